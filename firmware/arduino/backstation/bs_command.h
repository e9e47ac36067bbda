// Host-to-device command lines, parsed exactly like
// src/backstation/protocol/commands.py parse_command(): strip "\r\n \t",
// at most 64 bytes, optional "*CRC" over the text before the last star,
// case-insensitive command word, whitespace-separated arguments.
#pragma once
#include <stdint.h>

#define BS_COMMAND_MAX 64      // bytes after stripping, as the protocol says
#define BS_COMMAND_MAX_ARGS 4  // more arguments than any command takes
#define BS_WORD_MAX 32         // an ERR's command field is a word of at most 32 characters

enum CommandId : uint8_t {
  CMD_INFO, CMD_START, CMD_STOP, CMD_TARE, CMD_CAL, CMD_SETCAL, CMD_RATE, CMD_PING, CMD_NONE
};

struct ParsedCommand {
  CommandId id;
  char name[BS_WORD_MAX + 1];  // what goes into ERR,<name>,...: the upper-cased word or "CMD"
  uint8_t argc;                // BS_COMMAND_MAX_ARGS + 1 means "too many"
  const char* argv[BS_COMMAND_MAX_ARGS];
  const char* error;           // nullptr, or the ERR reason word
};

// Parses line[0..len) in place (arguments point into it). Always fills `out`;
// out->error says whether the device must refuse the line.
void bs_parse_command(char* line, uint8_t len, ParsedCommand* out);

// Python int(): optional sign and decimal digits. Values beyond int32 saturate
// (every caller range-checks them). False on anything else.
bool bs_parse_int(const char* text, int32_t* value);

enum NumberResult : uint8_t { NUM_OK, NUM_SYNTAX, NUM_RANGE };
// Python float() restricted to decimal notation ([+-]digits[.digits][e[+-]digits],
// inf/nan), rounded half-up to 4 decimals as a fixed-point value * 10^4.
// NUM_RANGE for non-finite values or magnitudes beyond int32 * 10^-4.
NumberResult bs_parse_fixed4(const char* text, int32_t* value_e4);
