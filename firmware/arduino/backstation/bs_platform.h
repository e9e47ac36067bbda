// What the station logic needs from the board. The sketch implements these
// for the AVR; the host tests fake them.
#pragma once
#include <stdint.h>
#include "bs_calib.h"

// Queue bytes for the UART without blocking; false (and nothing queued) when
// they do not fit, which the station counts as a tx overflow.
bool bs_tx(const char* data, uint8_t len);
// Drive the HX711 RATE line (only called when the board has it wired).
void bs_rate_pin_write(bool high);
// Persist the record; the sketch writes it a byte at a time, never blocking the loop.
void bs_record_store(const EepromRecord& rec);
