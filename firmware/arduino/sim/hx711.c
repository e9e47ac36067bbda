#include "hx711.h"
#include <avr_ioport.h>

#define SCK_VIOLATION_US 50
#define POWER_DOWN_US 60
#define SETTLING_PERIODS 4   /* datasheet settling: 50 ms at 80 SPS, 400 ms at 10 SPS */

static avr_cycle_count_t us_to_cycles(hx711_pair_t *h, double us) {
  return (avr_cycle_count_t)(us * (h->avr->frequency / 1e6) + 0.5);
}

static void set_dout(hx711_pair_t *h, int ch, int level) {
  avr_raise_irq(h->dout[ch], level);
}

static avr_cycle_count_t period_cycles(hx711_pair_t *h) {
  return us_to_cycles(h, 1e6 / h->rate_hz);
}

static void complete(hx711_pair_t *h, int ch) {
  hx711_chip_t *c = &h->chip[ch];
  if (!h->powered) return;
  if (h->sck && h->avr->cycle - h->sck_rise > us_to_cycles(h, POWER_DOWN_US)) return;   /* down */
  if (c->ready && c->pulses == 0) h->never_read += ch == 0;
  if (c->pulses > 0 && c->pulses < 25) {
    h->read_collisions += ch == 0;
    return;   /* the output register is busy: this conversion is lost */
  }
  double t_s = (double)(h->avr->cycle - *h->boot_cycle) / h->avr->frequency;
  int32_t raw[2];
  script_force_at(h->script, t_s, raw);
  c->value = raw[ch];
  c->pulses = 0;
  c->ready = true;
  set_dout(h, ch, 0);
  if (ch == 0) {
    h->conversions++;
    if (h->trace)
      fprintf(h->trace, "%.0f %d %d\n", t_s * 1e6, (int)raw[0], (int)raw[1]);
  }
}

static avr_cycle_count_t on_chip1(avr_t *avr, avr_cycle_count_t when, void *param) {
  (void)avr;
  complete((hx711_pair_t *)param, 1);
  (void)when;
  return 0;
}

static avr_cycle_count_t on_conversion(avr_t *avr, avr_cycle_count_t when, void *param) {
  hx711_pair_t *h = param;
  complete(h, 0);
  if (h->phase_us) avr_cycle_timer_register(avr, us_to_cycles(h, h->phase_us), on_chip1, h);
  else complete(h, 1);
  return when + period_cycles(h);
}

/* Power-up, wake-up or a rate change: conversions restart after settling. */
static void restart(hx711_pair_t *h) {
  avr_cycle_timer_cancel(h->avr, on_conversion, h);
  avr_cycle_timer_cancel(h->avr, on_chip1, h);
  for (int ch = 0; ch < 2; ch++) {
    h->chip[ch].ready = false;
    h->chip[ch].pulses = 0;
    set_dout(h, ch, 1);
  }
  if (h->powered)
    avr_cycle_timer_register(h->avr, period_cycles(h) * SETTLING_PERIODS, on_conversion, h);
}

static int wired_rate(hx711_pair_t *h) {
  if (h->wiring == RATE_TIED_LOW) return 10;
  if (h->wiring == RATE_TIED_HIGH) return 80;
  return h->rate_pin ? 80 : 10;
}

static void on_rate_pin(avr_irq_t *irq, uint32_t value, void *param) {
  (void)irq;
  hx711_pair_t *h = param;
  h->rate_pin = value != 0;
  int rate = wired_rate(h);
  if (rate != h->rate_hz) {
    h->rate_hz = rate;
    h->rate_changes++;
    restart(h);
  }
}

static void on_sck(avr_irq_t *irq, uint32_t value, void *param) {
  (void)irq;
  hx711_pair_t *h = param;
  bool level = value != 0;
  if (level == h->sck) return;
  h->sck = level;
  avr_cycle_count_t now = h->avr->cycle;
  if (level) {
    h->sck_rise = now;
    if (!h->powered) return;
    for (int ch = 0; ch < 2; ch++) {
      hx711_chip_t *c = &h->chip[ch];
      if (!c->ready && c->pulses == 0) continue;   /* no data: the chip ignores the clock */
      c->pulses++;
      c->ready = false;
      if (c->pulses <= 24) set_dout(h, ch, (c->value >> (24 - c->pulses)) & 1);
      else set_dout(h, ch, 1);
      if (c->pulses == 25 && ch == 0) h->samples_read++;
      if (c->pulses == 26 && ch == 0) h->wrong_pulse_count++;
    }
    return;
  }
  avr_cycle_count_t high = now - h->sck_rise;
  if (high > us_to_cycles(h, SCK_VIOLATION_US)) h->sck_high_violations++;
  if (high > us_to_cycles(h, POWER_DOWN_US)) {
    h->power_downs++;
    h->powered = true;   /* SCK is low again: it wakes up and settles */
    restart(h);
  }
}

void hx711_init(hx711_pair_t *h, avr_t *avr, const script_t *script, rate_wiring_t wiring,
                uint32_t phase_us, avr_cycle_count_t *boot_cycle, FILE *trace) {
  h->avr = avr;
  h->script = script;
  h->wiring = wiring;
  h->phase_us = phase_us;
  h->boot_cycle = boot_cycle;
  h->trace = trace;
  h->powered = true;
  h->rate_pin = false;
  h->rate_hz = wired_rate(h);
  h->dout[0] = avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('D'), 5);
  h->dout[1] = avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('D'), 6);
  avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('D'), 4), on_sck, h);
  avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('B'), 1), on_rate_pin, h);
  restart(h);
}

void hx711_after_reset(hx711_pair_t *h) {
  /* The MCU reset releases SCK (low) and RATE (input: the line floats low). */
  h->sck = false;
  h->rate_pin = false;
  h->rate_hz = wired_rate(h);
  restart(h);
}
