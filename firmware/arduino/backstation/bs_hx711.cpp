#include "bs_hx711.h"
#include "bs_pins.h"

uint8_t bs_hx711_ready_bits() { return (uint8_t)(~bs_dout_bits() & 3u); }

bool bs_hx711_ready(uint8_t alive_mask) {
  return alive_mask && (bs_hx711_ready_bits() & alive_mask) == alive_mask;
}

int32_t bs_hx711_sign_extend(uint32_t bits24) {
  bits24 &= 0xFFFFFFul;
  return (bits24 & 0x800000ul) ? (int32_t)(bits24 | 0xFF000000ul) : (int32_t)bits24;
}

void bs_hx711_read(int32_t raw[2]) {
  uint32_t v0 = 0, v1 = 0;
  for (uint8_t pulse = 0; pulse < BS_HX711_PULSES; pulse++) {
    uint8_t irq = bs_irq_save();
    bs_sck_high();
    bs_pulse_delay();
    uint8_t bits = bs_dout_bits();
    bs_sck_low();
    bs_irq_restore(irq);
    if (pulse < 24) {
      v0 = (v0 << 1) | (bits & 1u);
      v1 = (v1 << 1) | ((bits >> 1) & 1u);
    }
  }
  raw[0] = bs_hx711_sign_extend(v0);
  raw[1] = bs_hx711_sign_extend(v1);
}
