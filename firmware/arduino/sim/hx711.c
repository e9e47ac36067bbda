#include "hx711.h"
#include <avr_ioport.h>

#define SCK_VIOLATION_US 50
#define POWER_DOWN_US 60
#define DOUT_DELAY_US 0.1   /* datasheet T2: DOUT valid 0.1 us after SCK rises */
#define SCK_MIN_US 0.2      /* datasheet T3/T4: SCK high and low at least 0.2 us */

static avr_cycle_count_t us_to_cycles(hx711_pair_t *h, double us) {
  return (avr_cycle_count_t)(us * (h->avr->frequency / 1e6) + 0.5);
}

static double device_s(hx711_pair_t *h) {
  return (double)(h->avr->cycle - *h->boot_cycle) / h->avr->frequency;
}

static bool unplugged(hx711_chip_t *c) {
  if (c->absent) return c->replug_s < 0 || device_s(c->pair) < c->replug_s;
  double t_s = device_s(c->pair);
  return c->unplug_s >= 0 && t_s >= c->unplug_s && (c->replug_s < 0 || t_s < c->replug_s);
}

/* What the AVR reads on a chip's DOUT: its level, or the pull-up's if it is gone. */
static void update_pin(hx711_pair_t *h, int ch) {
  hx711_chip_t *c = &h->chip[ch];
  int bit = 5 + ch;
  avr_ioport_external_t ext = {.name = 'D', .mask = 0, .value = 0};
  for (int k = 0; k < 2; k++) {
    if (!unplugged(&h->chip[k])) {
      ext.mask |= (uint8_t)(1u << (5 + k));
      if (h->chip[k].dout) ext.value |= (uint8_t)(1u << (5 + k));
    } else if (h->no_pullup) {
      ext.mask |= (uint8_t)(1u << (5 + k));   /* held low: the pull-up loses */
    }
  }
  /* simavr lets a pull-up override a driven input unless the pin is "external" */
  avr_ioctl(h->avr, AVR_IOCTL_IOPORT_SET_EXTERNAL('D'), &ext);
  int level = c->dout;
  if (unplugged(c)) level = !h->no_pullup && !(h->ddrd >> bit & 1) && (h->portd >> bit & 1);
  avr_raise_irq(h->dout[ch], level);
}

static void set_dout(hx711_pair_t *h, int ch, int level) {
  h->chip[ch].dout = level;
  update_pin(h, ch);
}

static avr_cycle_count_t period_cycles(hx711_chip_t *c) {
  return (avr_cycle_count_t)(c->pair->avr->frequency / c->pair->rate_hz /
                             (1.0 + c->osc_ppm / 1e6) + 0.5);
}

static void complete(hx711_chip_t *c) {
  hx711_pair_t *h = c->pair;
  int ch = c->index;
  if (!h->powered || unplugged(c)) return;
  if (c->replug_s >= 0 && !c->back && device_s(h) >= c->replug_s) {   /* first since back */
    c->back = true;
    c->pulses = 0;
    c->ready = false;
  }
  if (h->sck && h->avr->cycle - h->sck_rise > us_to_cycles(h, POWER_DOWN_US)) return;   /* down */
  if (c->ready && c->pulses == 0) {
    c->never_read++;
    h->never_read += ch == 0;
  }
  if (c->pulses > 0 && c->pulses < 25) {
    c->read_collisions++;
    h->read_collisions += ch == 0;
    return;   /* the output register is busy: this conversion is lost */
  }
  double t_s = device_s(h);
  int32_t raw[2];
  script_force_at(h->script, t_s, raw);
  c->value = raw[ch];
  c->pulses = 0;
  c->ready = true;
  c->conversions++;
  h->conversions += ch == 0;
  set_dout(h, ch, 0);
  if (ch == 0 && h->trace) fprintf(h->trace, "%.0f %d %d\n", t_s * 1e6, (int)raw[0], (int)raw[1]);
}

static avr_cycle_count_t on_conversion(avr_t *avr, avr_cycle_count_t when, void *param) {
  (void)avr;
  hx711_chip_t *c = param;
  complete(c);
  return when + period_cycles(c);
}

static void start_chip(hx711_chip_t *c, avr_cycle_count_t delay) {
  avr_cycle_timer_cancel(c->pair->avr, on_conversion, c);
  avr_cycle_timer_register(c->pair->avr, delay, on_conversion, c);
}

/* Power-up, wake-up or a rate change: conversions restart after settling. */
static void restart(hx711_pair_t *h, bool keep_data) {
  for (int ch = 0; ch < 2; ch++) {
    hx711_chip_t *c = &h->chip[ch];
    avr_cycle_timer_cancel(h->avr, on_conversion, c);
    if (!keep_data || !c->ready) {
      c->ready = false;
      c->pulses = 0;
      set_dout(h, ch, 1);
    }
    if (h->powered)
      start_chip(c, period_cycles(c) * (avr_cycle_count_t)h->settle_periods +
                        (ch ? us_to_cycles(h, h->phase_us) : 0));
  }
}

static int wired_rate(hx711_pair_t *h) {
  if (h->wiring == RATE_TIED_LOW) return 10;
  if (h->wiring == RATE_TIED_HIGH) return 80;
  return h->rate_pin ? 80 : 10;
}

static void check_rate_short(hx711_pair_t *h) {
  /* the AVR drives D9 against the board's RATE tie: a short through the pin */
  if (h->rate_pin_output && ((h->wiring == RATE_TIED_LOW && h->rate_pin) ||
                             (h->wiring == RATE_TIED_HIGH && !h->rate_pin)))
    h->rate_shorts++;
}

static void on_rate_pin(avr_irq_t *irq, uint32_t value, void *param) {
  (void)irq;
  hx711_pair_t *h = param;
  h->rate_pin = value != 0;
  check_rate_short(h);
  int rate = wired_rate(h);
  if (rate != h->rate_hz) {
    h->rate_hz = rate;
    h->rate_changes++;
    restart(h, h->keep_data);
  }
}

static void on_ddrb(avr_irq_t *irq, uint32_t value, void *param) {
  (void)irq;
  hx711_pair_t *h = param;
  h->rate_pin_output = (value >> 1) & 1;
  check_rate_short(h);
}

static void on_portd(avr_irq_t *irq, uint32_t value, void *param) {
  (void)irq;
  hx711_pair_t *h = param;
  h->portd = (uint8_t)value;
  for (int ch = 0; ch < 2; ch++)
    if (unplugged(&h->chip[ch])) update_pin(h, ch);
}

static void on_ddrd(avr_irq_t *irq, uint32_t value, void *param) {
  (void)irq;
  hx711_pair_t *h = param;
  h->ddrd = (uint8_t)value;
  for (int ch = 0; ch < 2; ch++)
    if (unplugged(&h->chip[ch])) update_pin(h, ch);
}

static avr_cycle_count_t on_dout_valid(avr_t *avr, avr_cycle_count_t when, void *param) {
  (void)avr;
  (void)when;
  hx711_chip_t *c = param;
  hx711_pair_t *h = c->pair;
  int level = c->pulses <= 24 ? (c->value >> (24 - c->pulses)) & 1 : 1;
  set_dout(h, c->index, level);
  return 0;
}

static void on_sck(avr_irq_t *irq, uint32_t value, void *param) {
  (void)irq;
  hx711_pair_t *h = param;
  bool level = value != 0;
  if (level == h->sck) return;
  h->sck = level;
  avr_cycle_count_t now = h->avr->cycle;
  if (level) {
    if (h->sck_fall && now - h->sck_fall < us_to_cycles(h, SCK_MIN_US)) h->sck_too_short++;
    h->sck_rise = now;
    if (!h->powered) return;
    for (int ch = 0; ch < 2; ch++) {
      hx711_chip_t *c = &h->chip[ch];
      if (unplugged(c)) {
        update_pin(h, ch);   /* the unplug instant: the line floats from now on */
        continue;
      }
      if (!c->ready && c->pulses == 0) continue;   /* no data: the chip ignores the clock */
      c->pulses++;
      c->ready = false;
      avr_cycle_timer_register(h->avr, us_to_cycles(h, DOUT_DELAY_US) ?: 1, on_dout_valid, c);
      if (c->pulses == 25) c->samples_read++;
      if (c->pulses == 25 && ch == 0) h->samples_read++;
      if (c->pulses == 26 && ch == 0) h->wrong_pulse_count++;
    }
    return;
  }
  avr_cycle_count_t high = now - h->sck_rise;
  h->sck_fall = now;
  if (high < us_to_cycles(h, SCK_MIN_US)) h->sck_too_short++;
  if (high > h->sck_high_max) h->sck_high_max = high;
  if (high > us_to_cycles(h, SCK_VIOLATION_US)) h->sck_high_violations++;
  if (high > us_to_cycles(h, POWER_DOWN_US)) {
    h->power_downs++;
    h->powered = true;   /* SCK is low again: it wakes up and settles */
    restart(h, false);
  }
}

void hx711_init(hx711_pair_t *h, avr_t *avr, const script_t *script, rate_wiring_t wiring,
                uint32_t phase_us, avr_cycle_count_t *boot_cycle, FILE *trace) {
  h->avr = avr;
  h->script = script;
  h->wiring = wiring;
  h->phase_us = phase_us;
  if (!h->settle_periods) h->settle_periods = 4;
  h->boot_cycle = boot_cycle;
  h->trace = trace;
  h->powered = true;
  h->rate_pin = false;
  h->rate_hz = wired_rate(h);
  for (int ch = 0; ch < 2; ch++) {
    h->chip[ch].pair = h;
    h->chip[ch].index = ch;
  }
  h->dout[0] = avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('D'), 5);
  h->dout[1] = avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('D'), 6);
  avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('D'), 4), on_sck, h);
  avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('B'), 1), on_rate_pin, h);
  avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('B'), IOPORT_IRQ_DIRECTION_ALL),
                          on_ddrb, h);
  avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('D'), IOPORT_IRQ_REG_PORT),
                          on_portd, h);
  avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('D'), IOPORT_IRQ_DIRECTION_ALL),
                          on_ddrd, h);
  restart(h, false);
}

void hx711_after_reset(hx711_pair_t *h) {
  /* The MCU reset releases SCK (low), RATE (input: the line floats low) and the pull-ups. */
  h->sck = false;
  h->sck_fall = 0;
  h->rate_pin = false;
  h->rate_pin_output = false;
  h->portd = h->ddrd = 0;
  h->rate_hz = wired_rate(h);
  restart(h, false);
  if (h->keep_data) {
    /* The chips ran on while the bootloader waited: each holds an unread
     * conversion (at the floating RATE's 10 SPS) when the firmware starts. */
    int32_t raw[2];
    script_force_at(h->script, 0.0, raw);
    for (int ch = 0; ch < 2; ch++) {
      hx711_chip_t *c = &h->chip[ch];
      if (unplugged(c)) continue;
      c->value = raw[ch];
      c->ready = true;
      set_dout(h, ch, 0);
      start_chip(c, period_cycles(c));
    }
  }
}
