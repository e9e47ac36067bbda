// The pin operations the HX711 reader needs. On the AVR they are direct port
// accesses (a read of both chips takes ~60 us instead of ~1 ms with
// digitalRead/digitalWrite); the host tests link fakes that play two HX711s.
#pragma once
#include <stdint.h>

#if defined(__AVR__)
#include <avr/io.h>
#include <avr/interrupt.h>
#include "bs_config.h"

static inline void bs_sck_high() { BS_SCK_PORT |= _BV(BS_SCK_BIT); }
static inline void bs_sck_low() { BS_SCK_PORT &= (uint8_t)~_BV(BS_SCK_BIT); }
// bit 0 = DOUT of channel 0 (left), bit 1 = DOUT of channel 1 (right)
static inline uint8_t bs_dout_bits() {
  uint8_t pins = BS_DOUT_PIN;
  return (uint8_t)(((pins >> BS_DOUT0_BIT) & 1u) | (((pins >> BS_DOUT1_BIT) & 1u) << 1));
}
static inline uint8_t bs_irq_save() {
  uint8_t sreg = SREG;
  cli();
  return sreg;
}
static inline void bs_irq_restore(uint8_t sreg) { SREG = sreg; }
// DOUT is valid 0.1 us after the rising edge and SCK must stay high >= 0.2 us.
static inline void bs_pulse_delay() { __builtin_avr_delay_cycles(6); }
#else
void bs_sck_high();
void bs_sck_low();
uint8_t bs_dout_bits();
uint8_t bs_irq_save();
void bs_irq_restore(uint8_t state);
void bs_pulse_delay();
#endif
