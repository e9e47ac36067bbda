/* The HC-SR04 as the firmware sees it: a TRIG pulse of at least 10 us starts
 * a measurement; ECHO rises ECHO_DELAY_US later and stays high 5.8 us per mm
 * of range (gap + mounting offset), or 38 ms when nothing is in range; a
 * missing sensor never raises ECHO, unless the pin floats: then a 2-20 us
 * noise pulse comes every 20-400 ms, at random (srand(--seed)). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sim_avr.h>
#include "script.h"

typedef struct {
  avr_t *avr;
  const script_t *script;
  uint32_t mount_offset_mm;
  avr_cycle_count_t *boot_cycle;
  avr_irq_t *echo;
  bool trig;
  bool busy;
  avr_cycle_count_t trig_rise;
  avr_cycle_count_t echo_cycles;
  uint64_t triggers;
  uint64_t short_triggers;   /* < 10 us: ignored, as the real module does */
  uint64_t echoes;           /* pulses for an object in range */
  uint64_t no_echoes;        /* 38 ms "nothing" pulses */
  uint64_t noise_edges;      /* pulses on a floating ECHO */
} hcsr04_t;

void hcsr04_init(hcsr04_t *s, avr_t *avr, const script_t *script, uint32_t mount_offset_mm,
                 avr_cycle_count_t *boot_cycle);
void hcsr04_after_reset(hcsr04_t *s);
