#include "bs_command.h"
#include "bs_crc.h"
#include <string.h>

static const char* const COMMAND_NAMES[] = {
  "INFO", "START", "STOP", "TARE", "CAL", "SETCAL", "RATE", "PING"};

// Python str.split() whitespace (the line never holds '\n').
static bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\x0b' || c == '\x0c' ||
         (c >= '\x1c' && c <= '\x1f');
}

static bool is_word_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '.' || c == '-' || c == '+';
}

static char upper(char c) { return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c; }

static int8_t hex_value(char c) {
  if (c >= '0' && c <= '9') return (int8_t)(c - '0');
  c = upper(c);
  if (c >= 'A' && c <= 'F') return (int8_t)(c - 'A' + 10);
  return -1;
}

// The first whitespace-separated word of text[0..len), upper-cased, or "CMD"
// when it is not a protocol word (the ERR sentence could not carry it).
static void first_word(const char* text, uint8_t len, char* name) {
  uint8_t i = 0;
  while (i < len && is_space(text[i])) i++;
  uint8_t n = 0;
  bool ok = i < len;
  for (; i < len && !is_space(text[i]); i++) {
    if (!is_word_char(text[i]) || n == BS_WORD_MAX) ok = false;
    if (n < BS_WORD_MAX) name[n++] = upper(text[i]);
  }
  name[n] = '\0';
  if (!ok) strcpy(name, "CMD");
}

static void fail(ParsedCommand* out, const char* reason) {
  out->error = reason;
}

void bs_parse_command(char* line, uint8_t len, ParsedCommand* out) {
  out->id = CMD_NONE;
  out->argc = 0;
  out->error = nullptr;
  strcpy(out->name, "CMD");
  char* text = line;
  while (len && (*text == '\r' || *text == '\n' || *text == ' ' || *text == '\t')) {
    text++;
    len--;
  }
  while (len && (text[len - 1] == '\r' || text[len - 1] == '\n' || text[len - 1] == ' ' ||
                 text[len - 1] == '\t'))
    len--;
  if (len > BS_COMMAND_MAX) return fail(out, "overlong");
  int16_t star = -1;
  for (int16_t i = (int16_t)len - 1; i >= 0; i--)
    if (text[i] == '*') { star = i; break; }
  if (star >= 0) {
    uint16_t want = bs_crc16((const uint8_t*)text, (uint16_t)star);
    uint16_t got = 0;
    bool ok = len - star - 1 == 4;
    for (uint8_t k = 0; ok && k < 4; k++) {
      int8_t v = hex_value(text[star + 1 + k]);
      if (v < 0) ok = false;
      got = (uint16_t)(got << 4 | (uint8_t)v);
    }
    if (!ok || got != want) {
      first_word(text, (uint8_t)star, out->name);
      return fail(out, "crc");
    }
    len = (uint8_t)star;
  }
  for (uint8_t i = 0; i < len; i++)
    if ((uint8_t)text[i] >= 0x80) return fail(out, "syntax");
  // Split in place: every separator becomes a NUL.
  text[len] = '\0';
  const char* words[BS_COMMAND_MAX_ARGS + 1];
  uint8_t count = 0;
  bool too_many = false;
  for (uint8_t i = 0; i < len;) {
    while (i < len && is_space(text[i])) text[i++] = '\0';
    if (i >= len) break;
    if (count <= BS_COMMAND_MAX_ARGS) words[count++] = text + i;
    else too_many = true;
    while (i < len && !is_space(text[i])) i++;
  }
  if (count == 0) return fail(out, "syntax");
  first_word(words[0], (uint8_t)strlen(words[0]), out->name);
  for (uint8_t c = 0; c < CMD_NONE; c++) {
    if (strcmp(out->name, COMMAND_NAMES[c]) == 0) out->id = (CommandId)c;
  }
  if (out->id == CMD_NONE) return fail(out, "unknown");
  out->argc = too_many ? BS_COMMAND_MAX_ARGS + 1 : (uint8_t)(count - 1);
  for (uint8_t a = 1; a < count; a++) out->argv[a - 1] = words[a];
}

bool bs_parse_int(const char* text, int32_t* value) {
  bool negative = false;
  if (*text == '+' || *text == '-') negative = *text++ == '-';
  if (!*text) return false;
  uint32_t mag = 0;
  for (; *text; text++) {
    if (*text < '0' || *text > '9') return false;
    if (mag < 100000000u) mag = mag * 10 + (uint32_t)(*text - '0');
    else mag = 0x80000000u;   // saturate: far outside every valid range
  }
  if (mag > 0x7FFFFFFFu) mag = 0x7FFFFFFFu;
  *value = negative ? -(int32_t)mag : (int32_t)mag;
  return true;
}

static bool equals_nocase(const char* a, const char* b) {
  for (; *a && *b; a++, b++)
    if (upper(*a) != upper(*b)) return false;
  return *a == *b;
}

NumberResult bs_parse_fixed4(const char* text, int32_t* value_e4) {
  bool negative = false;
  if (*text == '+' || *text == '-') negative = *text++ == '-';
  if (equals_nocase(text, "inf") || equals_nocase(text, "infinity") ||
      equals_nocase(text, "nan"))
    return NUM_RANGE;
  // mantissa digits (at most 18 kept) and the power of ten they are scaled by
  uint64_t mantissa = 0;
  int16_t exponent = 0;
  uint8_t digits = 0;
  bool dot = false, any = false;
  for (; *text && *text != 'e' && *text != 'E'; text++) {
    if (*text == '.') {
      if (dot) return NUM_SYNTAX;
      dot = true;
      continue;
    }
    if (*text < '0' || *text > '9') return NUM_SYNTAX;
    any = true;
    if (digits < 18) {
      mantissa = mantissa * 10 + (uint8_t)(*text - '0');
      if (mantissa) digits++;
      if (dot) exponent--;
    } else if (!dot) {
      exponent++;   // digits beyond 18 significant ones only scale the value
    }
  }
  if (!any) return NUM_SYNTAX;
  if (*text) {   // exponent
    text++;
    int32_t e;
    if (!bs_parse_int(text, &e)) return NUM_SYNTAX;
    if (e > 100) e = 100;
    if (e < -100) e = -100;
    exponent = (int16_t)(exponent + e);
  }
  exponent += 4;   // scale to units of 10^-4
  // round half up on the first dropped digit
  while (exponent < -1) {
    mantissa /= 10;
    exponent++;
  }
  if (exponent == -1) {
    bool up = mantissa % 10 >= 5;
    mantissa = mantissa / 10 + (up ? 1 : 0);
    exponent = 0;
  }
  while (exponent > 0 && mantissa) {
    if (mantissa > 0x7FFFFFFFull) return NUM_RANGE;
    mantissa *= 10;
    exponent--;
  }
  if (mantissa > 0x7FFFFFFFull) return NUM_RANGE;
  *value_e4 = negative ? -(int32_t)mantissa : (int32_t)mantissa;
  return NUM_OK;
}
