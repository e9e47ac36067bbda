// Two HX711s on a shared SCK, read in lock-step so both channels share one
// timestamp. Interrupts are off only around each SCK pulse (~1 us), so SCK is
// never high for long (> 60 us powers the chip down) and the UART keeps going.
#pragma once
#include <stdint.h>

#define BS_HX711_PULSES 25   // 24 data bits + 1: channel A, gain 128 for the next conversion

bool bs_hx711_ready();                  // both DOUT lines low
void bs_hx711_read(int32_t raw[2]);     // signed 24-bit counts, channel 0 then 1
int32_t bs_hx711_sign_extend(uint32_t bits24);
