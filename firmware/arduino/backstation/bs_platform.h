// What the station logic needs from the board. The sketch implements these
// for the AVR; the host tests fake them.
#pragma once
#include <stdint.h>
#include "bs_calib.h"

// Queue bytes for the UART. A droppable sentence (F, D, STAT) is never waited
// for: false (and nothing queued) when it does not fit, which the station
// counts as a tx overflow. Any other sentence (a reply, a status) waits for
// room, so even the Arduino core's 64-byte buffer delivers every one of them.
bool bs_tx(const char* data, uint8_t len, bool droppable);
// Drive the HX711 RATE line (only called when the board has it wired).
void bs_rate_pin_write(bool high);
// Persist the record; the sketch writes it a byte at a time, never blocking the loop.
void bs_record_store(const EepromRecord& rec);
