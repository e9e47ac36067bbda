// Calibration math and the EEPROM record, in integers so the AVR (32-bit
// float) and the host tests (64-bit double) compute identical digits.
// newtons = (raw - offset_counts) / counts_per_newton; the scale is kept as a
// fixed-point value * 10^4, exactly the 4 decimals a CAL sentence carries.
#pragma once
#include <stdint.h>

#define BS_CHANNELS 2
#define BS_RAW_MIN (-8388608L)
#define BS_RAW_MAX 8388607L
#define BS_DEFAULT_CPN_E4 10000000L     // 1000.0000 counts/N until calibrated
#define BS_CPN_MIN_E4 100000L           // |counts/N| a real load cell gives: 10 ...
#define BS_CPN_MAX_E4 1000000000L       // ... to 100000 (as the simulator)
#define BS_MAX_CAL_GRAMS_E4 2000000000L // 200 kg
#define BS_UNSTABLE_N 10                // peak-to-peak newtons while averaging
#define BS_AVERAGE_MAX 100              // samples kept per TARE/CAL (80 SPS * 1 s fits)

struct ChannelCal {
  int32_t offset_counts;
  int32_t cpn_e4;   // counts per newton * 10^4, never 0
};

// Running statistics of one channel while a TARE/CAL averages.
struct Averager {
  int32_t sum;
  int32_t min;
  int32_t max;
  uint8_t count;
  void reset();
  void add(int32_t raw);
  int32_t mean_rounded() const;   // half away from zero
  // The load moved more than BS_UNSTABLE_N newtons peak-to-peak at this scale.
  bool unstable(int32_t cpn_e4) const;
};

enum CalResult : uint8_t { CAL_OK, CAL_RANGE };
// Scale from `avg` of a known mass (grams * 10^4) on a channel whose offset is
// `offset_counts`: cpn = (mean - offset) / (kg * 9.80665), rounded to 4 decimals.
CalResult bs_scale_from_mass(const Averager& avg, int32_t offset_counts, int32_t grams_e4,
                             int32_t* cpn_e4);

// What the device keeps in EEPROM: identity and calibration, behind a CRC.
// Two slots take turns: a store writes the slot not holding the newest valid
// record, so a power cut mid-write leaves the previous record whole.
struct __attribute__((packed)) EepromRecord {
  uint8_t magic[2];   // 'B', 'S'
  uint8_t version;    // BS_RECORD_VERSION
  uint8_t generation; // +1 per store (mod 256): the newer of two valid slots wins
  uint32_t device_id;
  ChannelCal cal[BS_CHANNELS];
  uint16_t crc;       // CRC-16/CCITT-FALSE of every byte before it
};
#define BS_RECORD_VERSION 1
#define BS_RECORD_ADDRESS 0      // slot 0 (where a single-slot firmware kept it)
#define BS_RECORD_ADDRESS_B 32   // slot 1

enum RecordState : uint8_t { RECORD_OK, RECORD_BLANK, RECORD_CORRUPT };

// Checks a record read from EEPROM. On BLANK/CORRUPT `rec` is replaced by the
// defaults (offset 0, BS_DEFAULT_CPN_E4) with `new_device_id` as identity.
RecordState bs_record_load(EepromRecord* rec, uint32_t new_device_id);
void bs_record_seal(EepromRecord* rec);   // sets magic, version and crc (keeps generation)
bool bs_record_valid(const EepromRecord* rec);
// The newest valid record of the two slots (RECORD_OK, *slot = its index), or
// the defaults with `new_device_id` (BLANK when both slots are erased, else
// CORRUPT; *slot = 1 so the first store goes to slot 0).
RecordState bs_record_pick(const EepromRecord slots[2], uint32_t new_device_id,
                           EepromRecord* rec, uint8_t* slot);

// Mixes entropy into a device id that is never 0 or FFFFFFFF.
uint32_t bs_device_id_from(uint32_t entropy_a, uint32_t entropy_b);

// HC-SR04: echo width in Timer1 ticks (0.5 us at prescaler 8) to the gap in
// mm: 5.8 us per mm of range (there and back at 343 m/s), minus the mounting
// offset (sensor face to the bar's contact line), clamped to 0..10000.
int16_t bs_echo_ticks_to_gap_mm(uint16_t ticks, uint16_t mount_offset_mm);
