/* Two HX711s on a shared SCK, played by the datasheet:
 * - a conversion completes every 1/80 or 1/10 s (RATE pin), each chip on its
 *   own oscillator (--osc-ppm: one may tick 3 % faster); DOUT goes low;
 * - each SCK rising edge shifts out one bit, MSB first, valid 0.1 us later;
 *   SCK must stay high and low at least 0.2 us each (counted if not);
 *   the 25th pulse selects channel A gain 128 for the next conversion and
 *   DOUT goes high again;
 * - SCK high for more than 60 us powers the chip down (it restarts, with the
 *   settling time, when SCK goes low again);
 * - a RATE change restarts conversions after settle_periods; a chip that
 *   keeps its old data across it (keep_data) leaves DOUT low meanwhile;
 * - an absent chip (never there, or unplugged at unplug_s) drives nothing:
 *   its DOUT floats, and reads high only if the AVR's pull-up is on and
 *   holds it (no_pullup: it does not, as with a firmware that never turns it
 *   on, or perhaps an unpowered chip clamping the line: it reads low); one
 *   plugged back at replug_s converts again from its next period, its output
 *   register empty (a read it was in when it went is dropped);
 * - a conversion that completes before the previous one was read is counted
 *   as never read, one that completes mid-read as a read collision. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sim_avr.h>
#include "script.h"

typedef enum { RATE_WIRED_D9, RATE_TIED_LOW, RATE_TIED_HIGH } rate_wiring_t;

struct hx711_pair_t;

typedef struct {
  struct hx711_pair_t *pair;
  int index;
  int32_t value;
  int pulses;       /* SCK pulses since this conversion completed */
  bool ready;       /* DOUT low, nothing shifted yet */
  int32_t osc_ppm;  /* oscillator offset: +30000 = 3 % faster */
  bool absent;      /* not there at all */
  double unplug_s;  /* unplugged at this device time (< 0: never) */
  double replug_s;  /* plugged back at this device time (< 0: never) */
  bool back;        /* replug_s passed and the chip was reset for it */
  int dout;         /* the level the chip drives */
  /* counters since the harness started, per chip */
  uint64_t conversions;
  uint64_t samples_read;
  uint64_t never_read;
  uint64_t read_collisions;
} hx711_chip_t;

typedef struct hx711_pair_t {
  avr_t *avr;
  const script_t *script;
  rate_wiring_t wiring;
  uint32_t phase_us;     /* chip 1 starts this long after chip 0 */
  int settle_periods;    /* datasheet: 4 (50 ms at 80 SPS, 400 ms at 10 SPS) */
  bool keep_data;        /* old data survives a RATE change */
  bool no_pullup;        /* an absent chip's DOUT reads low whatever the AVR's pull-up */
  FILE *trace;           /* one line per conversion of chip 0: t_us raw0 raw1 */
  int rate_hz;
  bool rate_pin;
  bool rate_pin_output;
  bool sck;
  bool powered;
  uint8_t portd, ddrd;   /* the AVR's port D, for the pull-ups of floating DOUTs */
  avr_cycle_count_t sck_rise;
  avr_cycle_count_t *boot_cycle;   /* device time origin (last AVR reset) */
  hx711_chip_t chip[2];
  avr_irq_t *dout[2];
  /* counters since the harness started (chip 0 for the per-conversion ones) */
  uint64_t conversions;
  uint64_t samples_read;
  uint64_t never_read;
  uint64_t read_collisions;
  uint64_t sck_high_violations;/* SCK high > 50 us */
  uint64_t power_downs;        /* SCK high > 60 us */
  uint64_t wrong_pulse_count;  /* reads that were not exactly 25 pulses */
  uint64_t rate_changes;
  uint64_t rate_shorts;        /* D9 driven against a RATE pin tied on the board */
  avr_cycle_count_t sck_high_max; /* the longest SCK pulse, in cycles */
  avr_cycle_count_t sck_fall;
  uint64_t sck_too_short;      /* SCK high or low < 0.2 us (datasheet T3, T4) */
} hx711_pair_t;

void hx711_init(hx711_pair_t *h, avr_t *avr, const script_t *script, rate_wiring_t wiring,
                uint32_t phase_us, avr_cycle_count_t *boot_cycle, FILE *trace);
/* After every AVR reset: cycle timers are gone and the pins read afresh. */
void hx711_after_reset(hx711_pair_t *h);
