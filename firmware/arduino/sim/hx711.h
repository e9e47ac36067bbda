/* Two HX711s on a shared SCK, played by the datasheet:
 * - a conversion completes every 1/80 or 1/10 s (RATE pin); DOUT goes low;
 * - each SCK rising edge shifts out one bit, MSB first; the 25th pulse selects
 *   channel A gain 128 for the next conversion and DOUT goes high again;
 * - SCK high for more than 60 us powers the chip down (it restarts, with the
 *   settling time, when SCK goes low again);
 * - a conversion that completes before the previous one was read is counted
 *   as never read. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sim_avr.h>
#include "script.h"

typedef enum { RATE_WIRED_D9, RATE_TIED_LOW, RATE_TIED_HIGH } rate_wiring_t;

typedef struct {
  int32_t value;
  int pulses;       /* SCK pulses since this conversion completed */
  bool ready;       /* DOUT low, nothing shifted yet */
} hx711_chip_t;

typedef struct {
  avr_t *avr;
  const script_t *script;
  rate_wiring_t wiring;
  uint32_t phase_us;     /* chip 1 completes this long after chip 0 */
  FILE *trace;           /* one line per conversion: t_us raw0 raw1 */
  int rate_hz;
  bool rate_pin;
  bool sck;
  bool powered;
  avr_cycle_count_t sck_rise;
  avr_cycle_count_t *boot_cycle;   /* device time origin (last AVR reset) */
  hx711_chip_t chip[2];
  avr_irq_t *dout[2];
  /* counters since the harness started */
  uint64_t conversions;        /* per chip pair */
  uint64_t samples_read;       /* conversions fully clocked out (25 pulses), per chip pair */
  uint64_t never_read;         /* conversions overwritten before any bit was read */
  uint64_t read_collisions;    /* a conversion completed in the middle of a read */
  uint64_t sck_high_violations;/* SCK high > 50 us */
  uint64_t power_downs;        /* SCK high > 60 us */
  uint64_t wrong_pulse_count;  /* reads that were not exactly 25 pulses */
  uint64_t rate_changes;
} hx711_pair_t;

void hx711_init(hx711_pair_t *h, avr_t *avr, const script_t *script, rate_wiring_t wiring,
                uint32_t phase_us, avr_cycle_count_t *boot_cycle, FILE *trace);
/* After every AVR reset: cycle timers are gone and the pins read afresh. */
void hx711_after_reset(hx711_pair_t *h);
