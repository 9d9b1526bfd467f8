/*
 * VM test only: plays coin-acceptor pulse trains on a gpio-sim line, with the reference board's timings
 * (board/profiles/reference-pi4.json: CH-926 "medium", 50 ms pulses). The line is active low and idles
 * high (pull-up); a pulse pulls it down.
 *
 * Each spell (pulse, gap, pause after a coin) is timed from the moment its edge was actually written
 * (CLOCK_MONOTONIC), so a late wake-up makes a spell longer, never shorter: a device's pulses are never
 * shorter than its setting, and a late wake-up timed against a fixed schedule would squeeze the next
 * spell (a 0.1 ms gap merges two pulses). It runs SCHED_FIFO with its memory locked, so other guest
 * tasks do not delay its edges. It prints what it actually played, measured between its writes:
 *   played COINS pulses PULSES width_ms MIN MAX gap_ms MIN MAX
 * so that a check can tell a spell the machine stretched (a stalled virtual CPU) from a miscount.
 *
 * Usage: pulse-player PULL_FILE PULSE_MS GAP_MS TRAIN_END_MS COUNT...
 *   PULL_FILE: /sys/devices/platform/gpio-sim.N/gpiochipM/sim_gpioK/pull
 *   COUNT: pulses of one coin (the profile's table maps them to a value)
 * With PULSE_TRACE=FILE, appends "NS LEVEL" per edge (1 = pulse) for offline comparison with the daemon.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static FILE *trace;

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void sleep_until(long long ns) {
  struct timespec at = { .tv_sec = ns / 1000000000LL, .tv_nsec = ns % 1000000000LL };
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) != 0) {}
}

/* Writes the level and returns the time just after the write: the edge. */
static long long set(int fd, const char *v, int active) {
  if (pwrite(fd, v, strlen(v), 0) < 0) { perror("pulse-player: write"); exit(1); }
  long long t = now_ns();
  if (trace) fprintf(trace, "%lld %d\n", t, active);
  return t;
}

int main(int argc, char **argv) {
  if (argc < 6) { fprintf(stderr, "usage: pulse-player PULL_FILE PULSE_MS GAP_MS TRAIN_END_MS COUNT...\n"); return 2; }
  int fd = open(argv[1], O_WRONLY);
  if (fd < 0) { perror(argv[1]); return 1; }
  const char *tp = getenv("PULSE_TRACE");
  if (tp) trace = fopen(tp, "a");
  struct sched_param sp = { .sched_priority = 50 };
  if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0) perror("pulse-player: SCHED_FIFO (continuing)");
  if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0) perror("pulse-player: mlockall (continuing)");
  long long pulse = atol(argv[2]) * 1000000LL, gap = atol(argv[3]) * 1000000LL, end = atol(argv[4]) * 1000000LL;
  double wmin = 1e9, wmax = 0, gmin = 1e9, gmax = 0;
  long pulses = 0;
  for (int i = 5; i < argc; i++) {
    int n = atoi(argv[i]);
    long long up = 0;
    for (int k = 0; k < n; k++) {
      long long down = set(fd, "pull-down", 1);
      if (k > 0) {
        double g = (down - up) / 1e6;
        if (g < gmin) gmin = g;
        if (g > gmax) gmax = g;
      }
      sleep_until(down + pulse);
      up = set(fd, "pull-up", 0);
      double w = (up - down) / 1e6;
      if (w < wmin) wmin = w;
      if (w > wmax) wmax = w;
      pulses++;
      sleep_until(up + (k + 1 < n ? gap : end));
    }
  }
  if (trace) fclose(trace);
  if (gmin > gmax) gmin = gmax = 0;
  printf("played %d pulses %ld width_ms %.1f %.1f gap_ms %.1f %.1f\n", argc - 5, pulses, wmin, wmax, gmin, gmax);
  return 0;
}
