#include "fakes.h"
#include "bs_pins.h"
#include "bs_platform.h"

FakeBoard board;

bool bs_tx(const char* data, uint8_t len, bool droppable) {
  if (len > board.tx_room) {
    if (droppable) return false;
    board.tx_waits++;          // the sketch waits for the UART to make room
    board.tx.append(data, len);
    return true;
  }
  board.tx.append(data, len);
  board.tx_room -= len;
  return true;
}

void bs_rate_pin_write(bool high) {
  board.rate_pin_writes++;
  board.rate_pin_high = high;
}

void bs_record_store(const EepromRecord& rec) {
  board.record_stores++;
  board.stored = rec;
}

void bs_sck_high() {
  if (board.irq_enabled) board.sck_high_with_irq++;
  board.sck = true;
  if (board.hx_ready || board.hx_pulses) board.hx_pulses++;
  board.hx_ready = false;
}

void bs_sck_low() { board.sck = false; }

uint8_t bs_dout_bits() {
  if (board.hx_ready) return 0;
  if (board.hx_pulses == 0 || board.hx_pulses > 24) return 3;   // idle / after the 25th pulse
  uint8_t bits = 0;
  for (int ch = 0; ch < 2; ch++)
    bits |= (uint8_t)((((uint32_t)board.hx_value[ch] >> (24 - board.hx_pulses)) & 1u) << ch);
  return bits;
}

uint8_t bs_irq_save() {
  uint8_t was = board.irq_enabled;
  board.irq_enabled = false;
  return was;
}

void bs_irq_restore(uint8_t state) { board.irq_enabled = state != 0; }
void bs_pulse_delay() {}
