// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor):
// the checksum of every protocol v1 sentence and of the EEPROM record.
#pragma once
#include <stdint.h>

#define BS_CRC_INIT 0xFFFFu

uint16_t bs_crc16_update(uint16_t crc, uint8_t byte);
uint16_t bs_crc16(const uint8_t* data, uint16_t len);
