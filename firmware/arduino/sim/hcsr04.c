#include "hcsr04.h"
#include <stdlib.h>
#include <avr_ioport.h>

#define ECHO_DELAY_US 300.0      /* 8 x 40 kHz burst, then ECHO rises */
#define US_PER_MM 5.8            /* there and back at ~343 m/s */
#define NO_OBJECT_US 38000.0

static avr_cycle_count_t us_to_cycles(hcsr04_t *s, double us) {
  return (avr_cycle_count_t)(us * (s->avr->frequency / 1e6) + 0.5);
}

static avr_cycle_count_t on_echo_end(avr_t *avr, avr_cycle_count_t when, void *param) {
  (void)avr;
  (void)when;
  hcsr04_t *s = param;
  avr_raise_irq(s->echo, 0);
  s->busy = false;
  return 0;
}

static avr_cycle_count_t on_echo_start(avr_t *avr, avr_cycle_count_t when, void *param) {
  (void)when;
  hcsr04_t *s = param;
  avr_raise_irq(s->echo, 1);
  avr_cycle_timer_register(avr, s->echo_cycles, on_echo_end, s);
  return 0;
}

static void on_trig(avr_irq_t *irq, uint32_t value, void *param) {
  (void)irq;
  hcsr04_t *s = param;
  bool level = value != 0;
  if (level == s->trig) return;
  s->trig = level;
  avr_cycle_count_t now = s->avr->cycle;
  if (level) {
    s->trig_rise = now;
    return;
  }
  if (now - s->trig_rise < us_to_cycles(s, 10.0)) {
    s->short_triggers++;
    return;
  }
  s->triggers++;
  if (s->busy) return;
  double t_s = (double)(now - *s->boot_cycle) / s->avr->frequency;
  int32_t gap = script_gap_at(s->script, t_s);
  if (gap == GAP_ABSENT || gap == GAP_FLOATING) return;
  if (gap == GAP_NO_ECHO) {
    s->no_echoes++;
    s->echo_cycles = us_to_cycles(s, NO_OBJECT_US);
  } else {
    s->echoes++;
    s->echo_cycles = us_to_cycles(s, (gap + (double)s->mount_offset_mm) * US_PER_MM);
  }
  s->busy = true;
  avr_cycle_timer_register(s->avr, us_to_cycles(s, ECHO_DELAY_US), on_echo_start, s);
}

static avr_cycle_count_t on_noise_end(avr_t *avr, avr_cycle_count_t when, void *param) {
  (void)avr;
  (void)when;
  hcsr04_t *s = param;
  if (!s->busy) avr_raise_irq(s->echo, 0);
  return 0;
}

static avr_cycle_count_t on_noise(avr_t *avr, avr_cycle_count_t when, void *param) {
  hcsr04_t *s = param;
  double t_s = (double)(avr->cycle - *s->boot_cycle) / avr->frequency;
  if (script_gap_at(s->script, t_s) == GAP_FLOATING && !s->busy) {
    s->noise_edges++;
    avr_raise_irq(s->echo, 1);
    avr_cycle_timer_register(avr, us_to_cycles(s, 2.0 + rand() % 19), on_noise_end, s);
  }
  return when + us_to_cycles(s, 20000.0 + rand() % 380000);
}

void hcsr04_init(hcsr04_t *s, avr_t *avr, const script_t *script, uint32_t mount_offset_mm,
                 avr_cycle_count_t *boot_cycle) {
  s->avr = avr;
  s->script = script;
  s->mount_offset_mm = mount_offset_mm;
  s->boot_cycle = boot_cycle;
  s->echo = avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('B'), 0);
  avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('D'), 7), on_trig, s);
  hcsr04_after_reset(s);
}

void hcsr04_after_reset(hcsr04_t *s) {
  s->trig = false;
  s->busy = false;
  avr_raise_irq(s->echo, 0);
  avr_cycle_timer_register(s->avr, us_to_cycles(s, 20000.0 + rand() % 380000), on_noise, s);
}
