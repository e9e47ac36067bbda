#include "bs_sentence.h"
#include "bs_crc.h"

static const char HEX_DIGITS[] = "0123456789ABCDEF";

void Sentence::put(char c) {
  if (len_ < BS_SENTENCE_MAX) buf_[len_++] = c;   // never overruns; an overlong body is a bug
}

void Sentence::put_u32(uint32_t value) {
  char digits[10];
  uint8_t n = 0;
  do {
    digits[n++] = (char)('0' + value % 10);
    value /= 10;
  } while (value);
  while (n) put(digits[--n]);
}

void Sentence::begin(const char* type) {
  len_ = 0;
  put('$');
  while (*type) put(*type++);
}

void Sentence::field(const char* text) {
  put(',');
  while (*text) put(*text++);
}

void Sentence::field_u32(uint32_t value) {
  put(',');
  put_u32(value);
}

void Sentence::field_i32(int32_t value) {
  put(',');
  if (value < 0) put('-');
  put_u32(value < 0 ? (uint32_t)0 - (uint32_t)value : (uint32_t)value);
}

void Sentence::field_fixed4(int32_t value_e4) {
  put(',');
  uint32_t mag = value_e4 < 0 ? (uint32_t)0 - (uint32_t)value_e4 : (uint32_t)value_e4;
  if (value_e4 < 0) put('-');
  put_u32(mag / 10000u);
  put('.');
  uint16_t frac = (uint16_t)(mag % 10000u);
  put((char)('0' + frac / 1000));
  put((char)('0' + frac / 100 % 10));
  put((char)('0' + frac / 10 % 10));
  put((char)('0' + frac % 10));
}

void Sentence::field_hex32(uint32_t value) {
  put(',');
  for (int8_t shift = 28; shift >= 0; shift -= 4) put(HEX_DIGITS[(value >> shift) & 0xF]);
}

uint8_t Sentence::finish() {
  uint16_t crc = bs_crc16((const uint8_t*)buf_ + 1, (uint16_t)(len_ - 1));
  put('*');
  for (int8_t shift = 12; shift >= 0; shift -= 4) put(HEX_DIGITS[(crc >> shift) & 0xF]);
  put('\r');
  put('\n');
  return len_;
}
