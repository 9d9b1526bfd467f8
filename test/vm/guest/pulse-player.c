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
 *
 * Hopper mode plays parallel change hoppers (Azkoyen U-II style, as the reference board wires them: motor on
 * the MCP23017, coin-out sensor on a Pi GPIO, active low):
 *   pulse-player hopper I2C_DEV ADDR REG PULSE_MS GAP_MS SECONDS BIT=PULL_FILE...
 * It polls the expander's output latch REG (OLATB) through i2c-dev every 2 ms (i2c-stub emulates the
 * chip's register file, so the latch holds what the daemon's driver wrote). While the motor bit BIT is set,
 * coins leave that hopper: a coin-out pulse of PULSE_MS on its line, GAP_MS, and the bit is read again
 * before the next coin, so the coins stop once the motor is off (a coin already started still drops, as
 * on a hopper running down). PULSE_TRACE gets "NS LEVEL BIT" per edge, and "NS m BITS" when the motor bits
 * it watches change (BITS: those set, hexadecimal, as read). Ends after SECONDS or at SIGTERM
 * and prints, per hopper: hopper BIT coins N width_ms MIN MAX
 */
#include <fcntl.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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

/* Writes the level and returns the time just after the write: the edge (tag: the hopper's bit, or -1). */
static long long set_tagged(int fd, const char *v, int active, int tag) {
  if (pwrite(fd, v, strlen(v), 0) < 0) { perror("pulse-player: write"); exit(1); }
  long long t = now_ns();
  if (trace && tag < 0) fprintf(trace, "%lld %d\n", t, active);
  if (trace && tag >= 0) { fprintf(trace, "%lld %d %d\n", t, active, tag); fflush(trace); }
  return t;
}

static long long set(int fd, const char *v, int active) { return set_tagged(fd, v, active, -1); }

static void realtime(void) {
  struct sched_param sp = { .sched_priority = 50 };
  if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0) perror("pulse-player: SCHED_FIFO (continuing)");
  if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0) perror("pulse-player: mlockall (continuing)");
}

static volatile sig_atomic_t stopping;
static void on_term(int sig) { (void)sig; stopping = 1; }

/* SMBus "read byte data": what i2cget does; i2c-stub answers nothing else. */
static int read_reg(int fd, int reg) {
  union i2c_smbus_data d;
  struct i2c_smbus_ioctl_data a = { .read_write = I2C_SMBUS_READ, .command = (unsigned char)reg, .size = I2C_SMBUS_BYTE_DATA, .data = &d };
  return ioctl(fd, I2C_SMBUS, &a) < 0 ? -1 : d.byte;
}

static int hopper(int argc, char **argv) {
  if (argc < 9) { fprintf(stderr, "usage: pulse-player hopper I2C_DEV ADDR REG PULSE_MS GAP_MS SECONDS BIT=PULL_FILE...\n"); return 2; }
  int bus = open(argv[2], O_RDWR);
  if (bus < 0) { perror(argv[2]); return 1; }
  if (ioctl(bus, I2C_SLAVE, strtol(argv[3], NULL, 0)) < 0) { perror("pulse-player: I2C_SLAVE"); return 1; }
  int reg = (int)strtol(argv[4], NULL, 0);
  long long pulse = atol(argv[5]) * 1000000LL, gap = atol(argv[6]) * 1000000LL, until = now_ns() + atol(argv[7]) * 1000000000LL;
  enum { MAX = 8 };
  int n = argc - 8, bit[MAX], fd[MAX];
  long coins[MAX] = {0};
  double wmin[MAX], wmax[MAX];
  if (n > MAX) { fprintf(stderr, "pulse-player: at most %d hoppers\n", MAX); return 2; }
  for (int i = 0; i < n; i++) {
    char *eq = strchr(argv[8 + i], '=');
    if (!eq) { fprintf(stderr, "pulse-player: BIT=PULL_FILE expected: %s\n", argv[8 + i]); return 2; }
    bit[i] = atoi(argv[8 + i]);
    fd[i] = open(eq + 1, O_WRONLY);
    if (fd[i] < 0) { perror(eq + 1); return 1; }
    wmin[i] = 1e9;
    wmax[i] = 0;
  }
  const char *tp = getenv("PULSE_TRACE");
  if (tp) trace = fopen(tp, "a");
  struct sigaction sa = { .sa_handler = on_term };
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  realtime();
  int errors = 0, mask = 0, motors = 0;
  for (int i = 0; i < n; i++) mask |= 1 << bit[i];
  while (!stopping && now_ns() < until) {
    int v = read_reg(bus, reg);
    if (v < 0) {
      if (errors++ == 0) perror("pulse-player: I2C read");
      sleep_until(now_ns() + 2000000LL);
      continue;
    }
    if ((v & mask) != motors && trace) {
      fprintf(trace, "%lld m %x\n", now_ns(), v & mask);
      fflush(trace);
    }
    motors = v & mask;
    int on = -1;
    for (int i = 0; i < n && on < 0; i++) if (v & (1 << bit[i])) on = i;
    if (on < 0) {
      sleep_until(now_ns() + 2000000LL);
      continue;
    }
    long long down = set_tagged(fd[on], "pull-down", 1, bit[on]);
    sleep_until(down + pulse);
    long long up = set_tagged(fd[on], "pull-up", 0, bit[on]);
    double w = (up - down) / 1e6;
    if (w < wmin[on]) wmin[on] = w;
    if (w > wmax[on]) wmax[on] = w;
    coins[on]++;
    sleep_until(up + gap);
  }
  if (trace) fclose(trace);
  for (int i = 0; i < n; i++) printf("hopper %d coins %ld width_ms %.1f %.1f\n", bit[i], coins[i], coins[i] ? wmin[i] : 0, wmax[i]);
  if (errors) printf("i2c read errors %d\n", errors);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "hopper") == 0) return hopper(argc, argv);
  if (argc < 6) { fprintf(stderr, "usage: pulse-player PULL_FILE PULSE_MS GAP_MS TRAIN_END_MS COUNT...\n"); return 2; }
  int fd = open(argv[1], O_WRONLY);
  if (fd < 0) { perror(argv[1]); return 1; }
  const char *tp = getenv("PULSE_TRACE");
  if (tp) trace = fopen(tp, "a");
  realtime();
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
