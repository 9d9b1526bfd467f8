/*
 * VM test only: plays coin-acceptor pulse trains on a gpio-sim line, with the reference board's timings
 * (board/profiles/reference-pi4.json: CH-926 "medium", 50 ms pulses). The line is active low and idles
 * high (pull-up); a pulse pulls it down. Timing by clock_nanosleep on CLOCK_MONOTONIC (absolute), so
 * the pulse lengths do not drift with the time the writes take.
 *
 * Usage: pulse-player PULL_FILE PULSE_MS GAP_MS TRAIN_END_MS COUNT...
 *   PULL_FILE: /sys/devices/platform/gpio-sim.N/gpiochipM/sim_gpioK/pull
 *   COUNT: pulses of one coin (the profile's table maps them to a value)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

static struct timespec at;

static void advance(long ms) {
  at.tv_nsec += ms * 1000000L;
  while (at.tv_nsec >= 1000000000L) { at.tv_nsec -= 1000000000L; at.tv_sec++; }
  clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
}

static void set(int fd, const char *v) {
  if (pwrite(fd, v, strlen(v), 0) < 0) { perror("pulse-player: write"); exit(1); }
}

int main(int argc, char **argv) {
  if (argc < 6) { fprintf(stderr, "usage: pulse-player PULL_FILE PULSE_MS GAP_MS TRAIN_END_MS COUNT...\n"); return 2; }
  int fd = open(argv[1], O_WRONLY);
  if (fd < 0) { perror(argv[1]); return 1; }
  long pulse = atol(argv[2]), gap = atol(argv[3]), end = atol(argv[4]);
  clock_gettime(CLOCK_MONOTONIC, &at);
  for (int i = 5; i < argc; i++) {
    int n = atoi(argv[i]);
    for (int k = 0; k < n; k++) {
      set(fd, "pull-down");
      advance(pulse);
      set(fd, "pull-up");
      advance(k + 1 < n ? gap : end);
    }
  }
  return 0;
}
