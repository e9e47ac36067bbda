/* bs-simavr: the real Back Station firmware (.elf) on a simulated ATmega328P
 * at 16 MHz, with two HX711s and an HC-SR04 played by their datasheets, and
 * the UART bridged to a pty that the app opens like a real port.
 *
 * Prints the pty path on the first line of stdout; the firmware boots when
 * the host first opens the port, and every later open resets it (DTR, as on
 * an Uno). Runs in real time, or as fast as possible with --fast (the host
 * then paces it by reading). Stops on SIGTERM/SIGINT or after --duration
 * simulated seconds, and prints its counters as one JSON line. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sim_avr.h>
#include <sim_elf.h>
#include <sim_time.h>
#include <avr_eeprom.h>
#include <avr_uart.h>
#include <avr_adc.h>
#include "bridge.h"
#include "hcsr04.h"
#include "hx711.h"
#include "script.h"

#define TICK_US 1000       /* pty I/O, pacing and stop checks, in simulated time */
#define UART_BYTE_US 40    /* one byte at 250000 baud 8N1 */
#define EEPROM_SIZE 1024
#define EEPROM_WRITE_US 3300  /* datasheet tWD_EEPROM: 3.3 ms a byte (simavr takes none) */
#define EECR_ADDR 0x3F        /* data address of EECR on the ATmega328P */
#define EEPE_BIT 1

static volatile sig_atomic_t g_stop = 0;
static void on_signal(int sig) { (void)sig; g_stop = 1; }

/* simavr logs to stdout by default; stdout carries the pty path and the JSON. */
static void log_to_stderr(avr_t *avr, const int level, const char *format, va_list ap) {
  (void)avr;
  if (level <= LOG_WARNING) vfprintf(stderr, format, ap);
}

typedef struct {
  avr_t *avr;
  bridge_t bridge;
  hx711_pair_t hx;
  hcsr04_t sonar;
  script_t script;
  avr_cycle_count_t boot_cycle;
  avr_cycle_count_t start_cycle;   /* first host open */
  bool fast;
  double duration_s;
  struct timespec wall0;
  bool reset_seen;
  bool dtr_reset;
  uint64_t resets;
  bool uart_xoff;
  avr_irq_t *uart_in;
  void (*core_reset)(avr_t *);
  uint8_t eeprom_shadow[EEPROM_SIZE];
  uint64_t eeprom_writes;     /* bytes programmed since the harness started */
  uint64_t eeprom_cut_at;     /* the power goes during this write (1-based; 0: never) */
  bool power_cut;
} harness_t;

static harness_t g;   /* simavr's reset hook takes no user pointer */

static double wall_since(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)(t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

static double sim_s(void) {
  return (double)(g.avr->cycle - g.start_cycle) / g.avr->frequency;
}

static avr_cycle_count_t on_tick(avr_t *avr, avr_cycle_count_t when, void *param) {
  (void)param;
  if (bridge_poll(&g.bridge, true)) g.dtr_reset = true;
  if (g.duration_s > 0 && sim_s() >= g.duration_s) g_stop = 1;
  if (!g.fast) {
    double ahead = sim_s() - wall_since(&g.wall0);
    if (ahead > 0.002) usleep((useconds_t)(ahead * 1e6));
  }
  return when + avr_usec_to_cycles(avr, TICK_US);
}

static avr_cycle_count_t on_uart_feed(avr_t *avr, avr_cycle_count_t when, void *param) {
  (void)param;
  uint8_t byte;
  if (!g.uart_xoff && bridge_next_host_byte(&g.bridge, &byte)) avr_raise_irq(g.uart_in, byte);
  return when + avr_usec_to_cycles(avr, UART_BYTE_US);
}

static void on_uart_out(avr_irq_t *irq, uint32_t value, void *param) {
  (void)irq;
  (void)param;
  bridge_device_byte(&g.bridge, (uint8_t)value);
}

static void on_uart_xon(avr_irq_t *irq, uint32_t value, void *param) {
  (void)irq; (void)value; (void)param;
  g.uart_xoff = false;
}

static void on_uart_xoff(avr_irq_t *irq, uint32_t value, void *param) {
  (void)irq; (void)value; (void)param;
  g.uart_xoff = true;
}

/* EEPROM writes take 3.3 ms each (EEPE stays set meanwhile), and the power
 * can be cut in the middle of one: that byte is left torn and the run ends. */
static uint8_t *eeprom_bytes(void) {
  avr_eeprom_desc_t d = {.ee = NULL, .offset = 0, .size = EEPROM_SIZE - 1};
  avr_ioctl(g.avr, AVR_IOCTL_EEPROM_GET, &d);
  return d.ee;
}

static avr_cycle_count_t on_eeprom_done(avr_t *avr, avr_cycle_count_t when, void *param) {
  (void)when; (void)param;
  avr->data[EECR_ADDR] &= (uint8_t)~(1u << EEPE_BIT);
  return 0;
}

static avr_cycle_count_t on_eeprom_check(avr_t *avr, avr_cycle_count_t when, void *param) {
  (void)when; (void)param;
  uint8_t *ee = eeprom_bytes();
  for (int i = 0; ee && i < EEPROM_SIZE - 1; i++) {
    if (ee[i] == g.eeprom_shadow[i]) continue;
    g.eeprom_writes++;
    if (g.eeprom_cut_at && g.eeprom_writes == g.eeprom_cut_at) {
      ee[i] = (uint8_t)~ee[i];   /* half programmed: neither the old byte nor the new */
      g.power_cut = true;
      g_stop = 1;
    }
    g.eeprom_shadow[i] = ee[i];
    avr->data[EECR_ADDR] |= (uint8_t)(1u << EEPE_BIT);
    avr_cycle_timer_register_usec(avr, EEPROM_WRITE_US, on_eeprom_done, NULL);
  }
  return 0;
}

static void on_eecr_write(avr_t *avr, avr_io_addr_t addr, uint8_t v, void *param) {
  (void)addr; (void)v; (void)param;
  avr_cycle_timer_register(avr, 1, on_eeprom_check, NULL);   /* after simavr's own handler */
}

static void harness_reset(avr_t *avr) {
  if (g.core_reset) g.core_reset(avr);
  g.reset_seen = true;
}

/* An AVR reset (ours, or the watchdog's) drops every cycle timer. */
static void after_reset(void) {
  g.reset_seen = false;
  g.resets++;
  g.boot_cycle = g.avr->cycle;
  g.uart_xoff = false;
  avr_cycle_timer_register_usec(g.avr, TICK_US, on_tick, NULL);
  avr_cycle_timer_register_usec(g.avr, UART_BYTE_US, on_uart_feed, NULL);
  uint8_t *ee = eeprom_bytes();
  if (ee) memcpy(g.eeprom_shadow, ee, EEPROM_SIZE - 1);
  g.avr->data[EECR_ADDR] &= (uint8_t)~(1u << EEPE_BIT);
  hx711_after_reset(&g.hx);
  hcsr04_after_reset(&g.sonar);
}

/* simavr's EEPROM ioctl returns -1 on success too; only -2 (bad argument) is an error. */
static int eeprom_io(const char *path, bool save) {
  uint8_t data[EEPROM_SIZE];
  avr_eeprom_desc_t d = {.ee = data, .offset = 0, .size = EEPROM_SIZE};
  if (save) {
    if (avr_ioctl(g.avr, AVR_IOCTL_EEPROM_GET, &d) < -1) return -1;
    if (d.ee != data) memcpy(data, d.ee, EEPROM_SIZE);
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t n = fwrite(data, 1, EEPROM_SIZE, f);
    fclose(f);
    return n == EEPROM_SIZE ? 0 : -1;
  }
  FILE *f = fopen(path, "rb");
  if (!f) return errno == ENOENT ? 0 : -1;   /* a new board: blank EEPROM */
  memset(data, 0xFF, sizeof data);
  size_t n = fread(data, 1, EEPROM_SIZE, f);
  fclose(f);
  d.size = (uint32_t)n;
  return n && avr_ioctl(g.avr, AVR_IOCTL_EEPROM_SET, &d) < -1 ? -1 : 0;
}

static void usage(void) {
  fprintf(stderr,
    "usage: bs-simavr ELF [--fast] [--duration S] [--script FILE] [--force RAW0,RAW1]\n"
    "       [--gap MM|none|absent|floating] [--rate-pin d9|low|high] [--phase-us US]\n"
    "       [--mount-offset-mm MM] [--eeprom FILE] [--trace FILE] [--tx-log FILE] [--seed N]\n"
    "       [--absent CH] [--unplug CH@S] [--replug CH@S] [--osc-ppm PPM0,PPM1]\n"
    "       [--settle-periods N] [--keep-data-on-rate-change] [--eeprom-cut-at N] [--no-pullup]\n");
}

int main(int argc, char **argv) {
  static struct option opts[] = {
    {"fast", no_argument, 0, 'f'}, {"duration", required_argument, 0, 'd'},
    {"script", required_argument, 0, 's'}, {"force", required_argument, 0, 'F'},
    {"gap", required_argument, 0, 'g'}, {"rate-pin", required_argument, 0, 'r'},
    {"phase-us", required_argument, 0, 'p'}, {"mount-offset-mm", required_argument, 0, 'm'},
    {"eeprom", required_argument, 0, 'e'}, {"trace", required_argument, 0, 't'},
    {"tx-log", required_argument, 0, 'l'}, {"seed", required_argument, 0, 'S'},
    {"absent", required_argument, 0, 'A'}, {"unplug", required_argument, 0, 'U'},
    {"replug", required_argument, 0, 'R'},
    {"osc-ppm", required_argument, 0, 'O'}, {"settle-periods", required_argument, 0, 'P'},
    {"keep-data-on-rate-change", no_argument, 0, 'K'}, {"no-pullup", no_argument, 0, 'N'},
    {"eeprom-cut-at", required_argument, 0, 'C'},
    {0, 0, 0, 0}};
  g.hx.chip[0].unplug_s = g.hx.chip[1].unplug_s = -1;
  g.hx.chip[0].replug_s = g.hx.chip[1].replug_s = -1;
  unsigned seed = 1;
  const char *eeprom_path = NULL, *trace_path = NULL, *tx_log_path = NULL;
  rate_wiring_t wiring = RATE_WIRED_D9;
  uint32_t phase_us = 300, mount_offset_mm = 30;
  int have_force = 0, have_gap = 0;
  int c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
      case 'f': g.fast = true; break;
      case 'd': g.duration_s = atof(optarg); break;
      case 's': if (script_load(&g.script, optarg)) return 2; break;
      case 'F': {
        long r0, r1;
        if (sscanf(optarg, "%ld,%ld", &r0, &r1) != 2) { usage(); return 2; }
        script_add_force(&g.script, 0.0, (int32_t)r0, (int32_t)r1);
        have_force = 1;
        break;
      }
      case 'g': {
        int32_t gap;
        if (script_parse_gap(optarg, &gap)) { usage(); return 2; }
        script_add_gap(&g.script, 0.0, gap);
        have_gap = 1;
        break;
      }
      case 'r':
        if (!strcmp(optarg, "d9")) wiring = RATE_WIRED_D9;
        else if (!strcmp(optarg, "low")) wiring = RATE_TIED_LOW;
        else if (!strcmp(optarg, "high")) wiring = RATE_TIED_HIGH;
        else { usage(); return 2; }
        break;
      case 'p': phase_us = (uint32_t)atoi(optarg); break;
      case 'm': mount_offset_mm = (uint32_t)atoi(optarg); break;
      case 'e': eeprom_path = optarg; break;
      case 't': trace_path = optarg; break;
      case 'l': tx_log_path = optarg; break;
      case 'S': seed = (unsigned)strtoul(optarg, NULL, 10); break;
      case 'A': {
        int ch = atoi(optarg);
        if (ch < 0 || ch > 1) { usage(); return 2; }
        g.hx.chip[ch].absent = true;
        break;
      }
      case 'U': {
        int ch;
        double t;
        if (sscanf(optarg, "%d@%lf", &ch, &t) != 2 || ch < 0 || ch > 1) { usage(); return 2; }
        g.hx.chip[ch].unplug_s = t;
        break;
      }
      case 'R': {   /* an absent or unplugged chip plugged back */
        int ch;
        double t;
        if (sscanf(optarg, "%d@%lf", &ch, &t) != 2 || ch < 0 || ch > 1) { usage(); return 2; }
        g.hx.chip[ch].replug_s = t;
        break;
      }
      case 'O': {
        long p0, p1;
        if (sscanf(optarg, "%ld,%ld", &p0, &p1) != 2) { usage(); return 2; }
        g.hx.chip[0].osc_ppm = (int32_t)p0;
        g.hx.chip[1].osc_ppm = (int32_t)p1;
        break;
      }
      case 'P': g.hx.settle_periods = atoi(optarg); break;
      case 'K': g.hx.keep_data = true; break;
      case 'N': g.hx.no_pullup = true; break;
      case 'C': g.eeprom_cut_at = strtoull(optarg, NULL, 10); break;
      default: usage(); return 2;
    }
  }
  if (optind != argc - 1) { usage(); return 2; }
  if (!have_force && !g.script.n_force) script_add_force(&g.script, 0.0, 0, 0);
  if (!have_gap && !g.script.n_gap) script_add_gap(&g.script, 0.0, 300);

  avr_global_logger_set(log_to_stderr);
  elf_firmware_t fw;
  memset(&fw, 0, sizeof fw);
  if (elf_read_firmware(argv[optind], &fw)) {
    fprintf(stderr, "cannot read %s\n", argv[optind]);
    return 2;
  }
  g.avr = avr_make_mcu_by_name("atmega328p");
  if (!g.avr) return 2;
  avr_init(g.avr);
  g.avr->log = LOG_ERROR;
  fw.frequency = 16000000;
  avr_load_firmware(g.avr, &fw);
  g.avr->frequency = 16000000;
  g.avr->vcc = g.avr->avcc = g.avr->aref = 5000;   /* mV */
  /* Floating analog pins: the firmware mixes them into a new device_id. */
  srand(seed);
  for (int ch = 0; ch < 6; ch++)
    avr_raise_irq(avr_io_getirq(g.avr, AVR_IOCTL_ADC_GETIRQ, ADC_IRQ_ADC0 + ch),
                  (uint32_t)(rand() % 5000));
  if (eeprom_path && eeprom_io(eeprom_path, false)) {
    fprintf(stderr, "cannot read %s\n", eeprom_path);
    return 2;
  }

  uint32_t flags = 0;
  avr_ioctl(g.avr, AVR_IOCTL_UART_GET_FLAGS('0'), &flags);
  flags &= ~(uint32_t)(AVR_UART_FLAG_STDIO | AVR_UART_FLAG_POLL_SLEEP);
  avr_ioctl(g.avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);
  g.uart_in = avr_io_getirq(g.avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_INPUT);
  avr_irq_register_notify(avr_io_getirq(g.avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT),
                          on_uart_out, NULL);
  avr_irq_register_notify(avr_io_getirq(g.avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XON),
                          on_uart_xon, NULL);
  avr_irq_register_notify(avr_io_getirq(g.avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XOFF),
                          on_uart_xoff, NULL);

  FILE *trace = trace_path ? fopen(trace_path, "w") : NULL;
  if (trace) setvbuf(trace, NULL, _IOLBF, 0);   /* followable: a test waits on simulated time */
  g.bridge.tx_log = tx_log_path ? fopen(tx_log_path, "wb") : NULL;
  g.bridge.block_on_full = g.fast;
  g.bridge.stop = &g_stop;
  hx711_init(&g.hx, g.avr, &g.script, wiring, phase_us, &g.boot_cycle, trace);
  hcsr04_init(&g.sonar, g.avr, &g.script, mount_offset_mm, &g.boot_cycle);
  avr_register_io_write(g.avr, EECR_ADDR, on_eecr_write, NULL);
  g.core_reset = g.avr->reset;
  g.avr->reset = harness_reset;

  if (bridge_open(&g.bridge)) {
    perror("openpty");
    return 2;
  }
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  signal(SIGPIPE, SIG_IGN);
  printf("%s\n", g.bridge.path);
  fflush(stdout);

  /* The board is powered by the host's first open, as a USB board would be. */
  while (!g_stop && !bridge_poll(&g.bridge, false)) usleep(5000);
  int state = cpu_Running;
  if (!g_stop) {
    clock_gettime(CLOCK_MONOTONIC, &g.wall0);
    g.start_cycle = g.avr->cycle;
    after_reset();
    g.resets = 0;
    while (!g_stop) {
      state = avr_run(g.avr);
      if (state == cpu_Done || state == cpu_Crashed) break;
      if (g.dtr_reset) {
        g.dtr_reset = false;
        avr_reset(g.avr);
      }
      if (g.reset_seen) after_reset();
    }
  }
  double wall_s = g.wall0.tv_sec ? wall_since(&g.wall0) : 0.0;
  double run_s = g.wall0.tv_sec ? sim_s() : 0.0;
  bridge_close(&g.bridge, 0.5);
  int eeprom_err = eeprom_path && g.wall0.tv_sec ? eeprom_io(eeprom_path, true) : 0;
  if (trace) fclose(trace);
  if (g.bridge.tx_log) fclose(g.bridge.tx_log);
  char chips[512];
  int used = 0;
  for (int ch = 0; ch < 2; ch++) {
    hx711_chip_t *c = &g.hx.chip[ch];
    used += snprintf(chips + used, sizeof chips - (size_t)used,
                     "%s{\"conversions\": %llu, \"samples_read\": %llu, \"never_read\": %llu, "
                     "\"read_collisions\": %llu}", ch ? ", " : "",
                     (unsigned long long)c->conversions, (unsigned long long)c->samples_read,
                     (unsigned long long)c->never_read, (unsigned long long)c->read_collisions);
  }
  printf("{\"sim_s\": %.6f, \"wall_s\": %.3f, \"speed\": %.3f, \"cpu_state\": %d, "
         "\"resets\": %llu, \"host_opens\": %llu, \"eeprom_saved\": %s, "
         "\"hx711\": {\"rate_hz\": %d, \"conversions\": %llu, \"samples_read\": %llu, "
         "\"never_read\": %llu, \"read_collisions\": %llu, \"sck_high_violations\": %llu, "
         "\"power_downs\": %llu, \"wrong_pulse_count\": %llu, \"rate_changes\": %llu, "
         "\"rate_shorts\": %llu, \"sck_high_max_us\": %.3f, \"sck_too_short\": %llu, \"chips\": [%s]}, "
         "\"eeprom\": {\"writes\": %llu, \"power_cut\": %s}, "
         "\"hcsr04\": {\"triggers\": %llu, \"short_triggers\": %llu, \"echoes\": %llu, "
         "\"no_echoes\": %llu, \"noise_edges\": %llu}, "
         "\"uart\": {\"tx_bytes\": %llu, \"rx_bytes\": %llu, \"tx_dropped\": %llu}}\n",
         run_s, wall_s, wall_s > 0 ? run_s / wall_s : 0.0, state,
         (unsigned long long)g.resets, (unsigned long long)g.bridge.host_opens,
         eeprom_path && !eeprom_err && g.wall0.tv_sec ? "true" : "false",
         g.hx.rate_hz, (unsigned long long)g.hx.conversions,
         (unsigned long long)g.hx.samples_read, (unsigned long long)g.hx.never_read,
         (unsigned long long)g.hx.read_collisions, (unsigned long long)g.hx.sck_high_violations,
         (unsigned long long)g.hx.power_downs, (unsigned long long)g.hx.wrong_pulse_count,
         (unsigned long long)g.hx.rate_changes, (unsigned long long)g.hx.rate_shorts,
         (double)g.hx.sck_high_max * 1e6 / g.avr->frequency,
         (unsigned long long)g.hx.sck_too_short, chips,
         (unsigned long long)g.eeprom_writes, g.power_cut ? "true" : "false",
         (unsigned long long)g.sonar.triggers, (unsigned long long)g.sonar.short_triggers,
         (unsigned long long)g.sonar.echoes, (unsigned long long)g.sonar.no_echoes,
         (unsigned long long)g.sonar.noise_edges,
         (unsigned long long)g.bridge.tx_bytes, (unsigned long long)g.bridge.rx_bytes,
         (unsigned long long)g.bridge.tx_dropped);
  fflush(stdout);
  script_free(&g.script);
  avr_terminate(g.avr);
  return 0;
}
