#include "bs_calib.h"
#include "bs_crc.h"
#include <stddef.h>
#include <string.h>

void Averager::reset() {
  sum = 0;
  min = BS_RAW_MAX;
  max = BS_RAW_MIN;
  count = 0;
}

void Averager::add(int32_t raw) {
  if (count == BS_AVERAGE_MAX) return;   // keeps the sum and the scale math in range
  sum += raw;
  if (raw < min) min = raw;
  if (raw > max) max = raw;
  count++;
}

int32_t Averager::mean_rounded() const {
  if (!count) return 0;
  int32_t half = count / 2;
  return sum >= 0 ? (sum + half) / count : -((-sum + half) / count);
}

bool Averager::unstable(int32_t cpn_e4) const {
  if (!count) return true;
  uint64_t spread_e4 = (uint64_t)(uint32_t)(max - min) * 10000u;
  uint64_t limit_e4 = (uint64_t)(cpn_e4 < 0 ? -(int64_t)cpn_e4 : cpn_e4) * BS_UNSTABLE_N;
  return spread_e4 > limit_e4;
}

CalResult bs_scale_from_mass(const Averager& avg, int32_t offset_counts, int32_t grams_e4,
                             int32_t* cpn_e4) {
  if (!avg.count || grams_e4 <= 0) return CAL_RANGE;
  // cpn_e4 = D * 10^16 / (n * grams_e4 * 980665), D = sum - n * offset,
  // split in two divisions so every intermediate fits 64 bits.
  int64_t d = (int64_t)avg.sum - (int64_t)avg.count * offset_counts;
  bool negative = d < 0;
  uint64_t mag = (uint64_t)(negative ? -d : d);          // <= 255 * 2^24
  uint64_t denom = (uint64_t)avg.count * (uint64_t)grams_e4;
  uint64_t q = mag * 10000000000ull / denom;              // < 1.8e19
  uint64_t r = mag * 10000000000ull % denom;
  if (q > 1000000000000ull) return CAL_RANGE;             // far beyond BS_CPN_MAX_E4
  uint64_t num = q * 1000000u + r * 1000000u / denom;
  uint64_t result = (num + 980665u / 2) / 980665u;
  if (result < (uint64_t)BS_CPN_MIN_E4 || result > (uint64_t)BS_CPN_MAX_E4) return CAL_RANGE;
  *cpn_e4 = negative ? -(int32_t)result : (int32_t)result;
  return CAL_OK;
}

static uint16_t record_crc(const EepromRecord* rec) {
  return bs_crc16((const uint8_t*)rec, (uint16_t)offsetof(EepromRecord, crc));
}

void bs_record_seal(EepromRecord* rec) {
  rec->magic[0] = 'B';
  rec->magic[1] = 'S';
  rec->version = BS_RECORD_VERSION;
  rec->crc = record_crc(rec);
}

bool bs_record_valid(const EepromRecord* rec) {
  bool valid = rec->magic[0] == 'B' && rec->magic[1] == 'S' &&
               rec->version == BS_RECORD_VERSION && rec->crc == record_crc(rec);
  for (uint8_t ch = 0; valid && ch < BS_CHANNELS; ch++)
    if (rec->cal[ch].cpn_e4 == 0) valid = false;
  return valid;
}

static bool record_blank(const EepromRecord* rec) {
  const uint8_t* bytes = (const uint8_t*)rec;
  for (uint8_t i = 0; i < sizeof(EepromRecord); i++)
    if (bytes[i] != 0xFF) return false;
  return true;
}

RecordState bs_record_pick(const EepromRecord slots[2], uint32_t new_device_id,
                           EepromRecord* rec, uint8_t* slot) {
  bool valid0 = bs_record_valid(&slots[0]), valid1 = bs_record_valid(&slots[1]);
  if (valid0 || valid1) {
    uint8_t pick = !valid0 ? 1 : !valid1 ? 0
                 : ((int8_t)(uint8_t)(slots[1].generation - slots[0].generation) > 0 ? 1 : 0);
    *rec = slots[pick];
    *slot = pick;
    return RECORD_OK;
  }
  *slot = 1;
  *rec = slots[0];
  bs_record_load(rec, new_device_id);
  return record_blank(&slots[0]) && record_blank(&slots[1]) ? RECORD_BLANK : RECORD_CORRUPT;
}

RecordState bs_record_load(EepromRecord* rec, uint32_t new_device_id) {
  bool blank = record_blank(rec);
  if (bs_record_valid(rec)) return RECORD_OK;
  memset(rec, 0, sizeof(EepromRecord));
  rec->device_id = new_device_id;
  for (uint8_t ch = 0; ch < BS_CHANNELS; ch++) {
    rec->cal[ch].offset_counts = 0;
    rec->cal[ch].cpn_e4 = BS_DEFAULT_CPN_E4;
  }
  bs_record_seal(rec);
  return blank ? RECORD_BLANK : RECORD_CORRUPT;
}

uint32_t bs_device_id_from(uint32_t entropy_a, uint32_t entropy_b) {
  // xorshift32 rounds over both words: every input bit reaches every output bit
  uint32_t x = entropy_a ^ 0x9E3779B9u;
  for (uint8_t i = 0; i < 4; i++) {
    x ^= entropy_b;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    entropy_b = (entropy_b >> 7) | (entropy_b << 25);
  }
  if (x == 0 || x == 0xFFFFFFFFu) x = 0x1BACC0DEu;
  return x;
}

int16_t bs_echo_ticks_to_gap_mm(uint16_t ticks, uint16_t mount_offset_mm) {
  int32_t range_mm = (int32_t)(((uint32_t)ticks * 10u + 58u) / 116u);
  int32_t gap_mm = range_mm - mount_offset_mm;
  if (gap_mm < 0) gap_mm = 0;
  if (gap_mm > 10000) gap_mm = 10000;
  return (int16_t)gap_mm;
}
