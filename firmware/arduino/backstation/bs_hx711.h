// Two HX711s on a shared SCK, read in lock-step so both channels share one
// timestamp (the cost with two oscillators: ../README.md, "Two oscillators").
// Interrupts are off only around each SCK pulse (2.94 us high, measured in
// simavr), so SCK is never high for long (> 60 us powers the chip down) and
// the UART keeps going.
#pragma once
#include <stdint.h>

#define BS_HX711_PULSES 25   // 24 data bits + 1: channel A, gain 128 for the next conversion

// DOUT low = data ready, bit per channel (a missing chip's pulled-up line reads 1).
uint8_t bs_hx711_ready_bits();
// Every channel in `alive_mask` has data ready (both by default); the lock-step
// read then clocks all chips, and an absent one shifts out all ones (-1).
bool bs_hx711_ready(uint8_t alive_mask = 3);
void bs_hx711_read(int32_t raw[2]);     // signed 24-bit counts, channel 0 then 1
int32_t bs_hx711_sign_extend(uint32_t bits24);
