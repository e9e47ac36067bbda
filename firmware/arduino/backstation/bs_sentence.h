// One device-to-host sentence, built in place: "$BODY*CRC\r\n".
// Field formats are byte-compatible with src/backstation/protocol/sentences.py.
#pragma once
#include <stdint.h>

#define BS_SENTENCE_MAX 96   // the longest real sentence (F with 4 extreme channels) is < 70

class Sentence {
 public:
  void begin(const char* type);       // "$TYPE"
  void field(const char* text);       // ",text"
  void field_u32(uint32_t value);
  void field_i32(int32_t value);
  void field_fixed4(int32_t value_e4);  // value / 10^4 with exactly 4 decimals
  void field_hex32(uint32_t value);     // 8 upper-case hex digits
  uint8_t finish();                     // appends "*CRC\r\n"; returns the length
  const char* data() const { return buf_; }
  uint8_t length() const { return len_; }

 private:
  void put(char c);
  void put_u32(uint32_t value);
  char buf_[BS_SENTENCE_MAX];
  uint8_t len_ = 0;
};
