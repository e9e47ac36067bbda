// Fakes for what the firmware logic takes from the board (bs_platform.h,
// bs_pins.h): a UART that records what was sent and can be made full, a RATE
// pin, an EEPROM, and two HX711s that shift out their values bit by bit.
#pragma once
#include <stdint.h>
#include <string>
#include "bs_calib.h"

struct FakeBoard {
  std::string tx;                 // every byte the station sent
  size_t tx_room = 1u << 20;      // bytes the UART buffer still takes
  int tx_waits = 0;               // replies that waited for room instead of being dropped
  int rate_pin_writes = 0;
  bool rate_pin_high = false;
  int record_stores = 0;
  EepromRecord stored;
  // HX711 pair
  int32_t hx_value[2] = {0, 0};
  bool hx_ready = true;
  int hx_pulses = 0;
  bool sck = false;
  bool irq_enabled = true;
  int sck_high_with_irq = 0;      // SCK went high while interrupts were on
  void reset() { *this = FakeBoard(); }
  std::string take_tx() {
    std::string out = tx;
    tx.clear();
    return out;
  }
};

extern FakeBoard board;
