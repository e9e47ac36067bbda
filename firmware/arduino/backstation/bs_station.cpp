#include "bs_station.h"
#include "bs_config.h"
#include "bs_platform.h"
#include <string.h>

void RateMeter::add(uint32_t t_us) {
  if (count == 0 && !have_prev) {
    t_prev_us = t_us;
    have_prev = true;
    return;
  }
  t_last_us = t_us;
  count++;
}

uint32_t RateMeter::hz_x100_and_restart() {
  uint32_t result = 0;
  if (have_prev && count) {
    uint32_t span_us = t_last_us - t_prev_us;
    if (span_us) result = (uint32_t)(((uint64_t)count * 100000000ull + span_us / 2) / span_us);
    t_prev_us = t_last_us;
  }
  count = 0;
  return result;
}

void Station::begin(const EepromRecord& rec, RecordState state, uint8_t rate_hz,
                    bool rate_switchable, bool distance_present, uint8_t force_alive) {
  rec_ = rec;
  force_alive_ = force_alive;   // reported by send_info(), which follows
  record_state_ = state;
  rate_hz_ = rate_hz;
  rate_switchable_ = rate_switchable;
  distance_present_ = distance_present;
  force_rate_.reset();
  distance_rate_.reset();
}

void Station::send(Sentence& s, bool droppable) {
  uint8_t len = s.finish();
  if (!bs_tx(s.data(), len, droppable)) tx_overflows++;
}

void Station::send_absent(uint8_t ch) {
  char word[7] = {'F', 'O', 'R', 'C', 'E', (char)('0' + ch), 0};
  send_err(word, "absent");
}

void Station::abort_job(const char* reason) {
  Job job = job_;
  job_ = JOB_NONE;
  send_err(job == JOB_TARE ? "TARE" : "CAL", reason);
}

void Station::set_force_alive(uint8_t mask) {
  uint8_t lost = force_alive_ & (uint8_t)~mask;
  force_alive_ = mask;
  if (!lost) return;
  for (uint8_t ch = 0; ch < BS_CHANNELS; ch++)
    if (lost >> ch & 1u) send_absent(ch);
  if (job_ != JOB_NONE && (job_channels_ & lost)) abort_job("absent");
}

void Station::on_refused_line() { send_err("CMD", "overflow"); }

void Station::send_cal(uint8_t ch) {
  out_.begin("CAL");
  out_.field_u32(ch);
  out_.field_i32(rec_.cal[ch].offset_counts);
  out_.field_fixed4(rec_.cal[ch].cpn_e4);
  send(out_);
}

void Station::send_ack(const char* command, const char* detail) {
  out_.begin("ACK");
  out_.field(command);
  if (detail) out_.field(detail);
  send(out_);
}

void Station::send_err(const char* command, const char* reason) {
  out_.begin("ERR");
  out_.field(command);
  out_.field(reason);
  send(out_);
}

void Station::send_info() {
  out_.begin("HELLO");
  out_.field("1");
  out_.field(BS_FIRMWARE);
  out_.field_hex32(rec_.device_id);
  out_.field_u32(BS_CHANNELS);
  out_.field_u32(rate_hz_);
  out_.field(distance_present_ ? "hcsr04" : "none");
  send(out_);
  for (uint8_t ch = 0; ch < BS_CHANNELS; ch++) send_cal(ch);
  // The protocol has no sentence for "EEPROM defaults in use": an unsolicited
  // ERR is legal, shown by the app as a station fault, and matches no command.
  if (record_state_ == RECORD_BLANK) send_err("EEPROM", "blank");
  else if (record_state_ == RECORD_CORRUPT) send_err("EEPROM", "corrupt");
  for (uint8_t ch = 0; ch < BS_CHANNELS; ch++)
    if (!(force_alive_ >> ch & 1u)) send_absent(ch);
}

void Station::store() {
  bs_record_seal(&rec_);
  bs_record_store(rec_);
  record_state_ = RECORD_OK;
}

void Station::on_overlong_line() { send_err("CMD", "overlong"); }

void Station::on_line(char* line, uint8_t len) {
  bool blank = true;
  for (uint8_t i = 0; i < len; i++)
    if (line[i] != '\r' && line[i] != ' ' && line[i] != '\t') blank = false;
  if (blank) return;   // "\r\n" endings and empty lines cost nothing
  ParsedCommand cmd;
  bs_parse_command(line, len, &cmd);
  const char* reason = cmd.error ? cmd.error : run(cmd, now_us_);
  if (reason) send_err(cmd.name, reason);
}

static bool parse_channel(const char* text, uint8_t* ch, const char** reason) {
  int32_t value;
  if (!bs_parse_int(text, &value)) {
    *reason = "syntax";
    return false;
  }
  if (value < 0 || value >= BS_CHANNELS) {
    *reason = "range";
    return false;
  }
  *ch = (uint8_t)value;
  return true;
}

const char* Station::run(const ParsedCommand& cmd, uint32_t now_us) {
  const char* reason = nullptr;
  uint8_t ch = 0;
  switch (cmd.id) {
    case CMD_INFO:
    case CMD_PING:
    case CMD_START:
    case CMD_STOP:
      if (cmd.argc) return "syntax";
      if (cmd.id == CMD_INFO) send_info();
      if (cmd.id == CMD_PING) send_ack("PING");
      if (cmd.id == CMD_START) {
        send_ack("START");
        if (!streaming_) {
          streaming_ = true;
          next_stat_us_ = now_us + BS_STAT_US;
          force_rate_.reset();
          distance_rate_.reset();
        }
      }
      if (cmd.id == CMD_STOP) {
        streaming_ = false;
        send_ack("STOP");
      }
      return nullptr;
    case CMD_RATE: {
      if (cmd.argc != 1) return "syntax";
      int32_t hz;
      if (!bs_parse_int(cmd.argv[0], &hz)) return "syntax";
      if (hz != 10 && hz != 80) return "range";
      if (busy()) return "busy";
      if (hz != rate_hz_ && !rate_switchable_) return "fixed";
      if (hz != rate_hz_) {
        rate_hz_ = (uint8_t)hz;
        bs_rate_pin_write(hz == 80);
        have_last_f_ = false;   // the chips settle anew: no "missed" gap
      }
      send_ack("RATE", hz == 80 ? "80" : "10");
      return nullptr;
    }
    case CMD_SETCAL: {
      if (cmd.argc != 3) return "syntax";
      if (!parse_channel(cmd.argv[0], &ch, &reason)) return reason;
      int32_t offset, cpn_e4;
      if (!bs_parse_int(cmd.argv[1], &offset)) return "syntax";
      NumberResult r = bs_parse_fixed4(cmd.argv[2], &cpn_e4);
      if (r == NUM_SYNTAX) return "syntax";
      if (r == NUM_RANGE || offset < BS_RAW_MIN || offset > BS_RAW_MAX || cpn_e4 == 0)
        return "range";
      if (busy()) return "busy";
      rec_.cal[ch].offset_counts = offset;
      rec_.cal[ch].cpn_e4 = cpn_e4;
      store();
      char detail[2] = {(char)('0' + ch), 0};
      send_ack("SETCAL", detail);
      send_cal(ch);
      return nullptr;
    }
    case CMD_TARE:
      if (cmd.argc > 1) return "syntax";
      if (cmd.argc == 1 && !parse_channel(cmd.argv[0], &ch, &reason)) return reason;
      if (busy()) return "busy";
      job_channels_ = cmd.argc ? (uint8_t)(1u << ch) : (uint8_t)((1u << BS_CHANNELS) - 1);
      if (job_channels_ & (uint8_t)~force_alive_) return "absent";   // no data will come
      job_ = JOB_TARE;
      job_explicit_ = cmd.argc == 1;
      job_length_us_ = BS_TARE_US;
      break;
    case CMD_CAL: {
      if (cmd.argc != 2) return "syntax";
      if (!parse_channel(cmd.argv[0], &ch, &reason)) return reason;
      int32_t grams_e4;
      NumberResult r = bs_parse_fixed4(cmd.argv[1], &grams_e4);
      if (r == NUM_SYNTAX) return "syntax";
      if (r == NUM_RANGE || grams_e4 <= 0 || grams_e4 > BS_MAX_CAL_GRAMS_E4) return "range";
      if (busy()) return "busy";
      if (!(force_alive_ >> ch & 1u)) return "absent";
      job_ = JOB_CAL;
      job_channels_ = (uint8_t)(1u << ch);
      job_explicit_ = true;
      job_length_us_ = BS_CAL_US;
      job_grams_e4_ = grams_e4;
      break;
    }
    default:
      return "unknown";
  }
  job_start_us_ = now_us;
  for (uint8_t c = 0; c < BS_CHANNELS; c++) avg_[c].reset();
  return nullptr;
}

void Station::finish_job() {
  Job job = job_;
  job_ = JOB_NONE;
  const char* name = job == JOB_TARE ? "TARE" : "CAL";
  for (uint8_t ch = 0; ch < BS_CHANNELS; ch++)
    if ((job_channels_ >> ch & 1u) && avg_[ch].unstable(rec_.cal[ch].cpn_e4))
      return send_err(name, "unstable");
  uint8_t first = (job_channels_ & 1u) ? 0 : 1;
  char detail[2] = {(char)('0' + first), 0};
  if (job == JOB_TARE) {
    for (uint8_t ch = 0; ch < BS_CHANNELS; ch++)
      if (job_channels_ >> ch & 1u) rec_.cal[ch].offset_counts = avg_[ch].mean_rounded();
  } else {
    int32_t cpn_e4;
    if (bs_scale_from_mass(avg_[first], rec_.cal[first].offset_counts, job_grams_e4_, &cpn_e4) !=
        CAL_OK)
      return send_err("CAL", "range");
    rec_.cal[first].cpn_e4 = cpn_e4;
  }
  store();
  send_ack(name, job_explicit_ ? detail : nullptr);
  for (uint8_t ch = 0; ch < BS_CHANNELS; ch++)
    if (job_channels_ >> ch & 1u) send_cal(ch);
}

void Station::on_force_sample(uint32_t t_us, const int32_t raw[BS_CHANNELS]) {
  now_us_ = t_us;
  uint32_t period_us = rate_hz_ == 80 ? 12500u : 100000u;
  if (have_last_f_) {
    uint32_t dt = t_us - last_f_us_;
    if (dt > period_us + period_us / 2) missed_samples += (dt + period_us / 2) / period_us - 1;
  }
  last_f_us_ = t_us;
  have_last_f_ = true;
  force_rate_.add(t_us);
  if (job_ != JOB_NONE) {
    for (uint8_t ch = 0; ch < BS_CHANNELS; ch++) avg_[ch].add(raw[ch]);
    if (t_us - job_start_us_ >= job_length_us_) finish_job();
  }
  if (!streaming_) return;
  out_.begin("F");
  out_.field_u32(seq_f_++);
  out_.field_u32(t_us);
  for (uint8_t ch = 0; ch < BS_CHANNELS; ch++) out_.field_i32(raw[ch]);
  send(out_, true);
}

void Station::on_distance(uint32_t t_us, int16_t gap_mm) {
  now_us_ = t_us;
  if (!distance_present_) return;   // no sensor: no D, and a distance rate of 0
  distance_rate_.add(t_us);
  if (!streaming_) return;
  out_.begin("D");
  out_.field_u32(seq_d_++);
  out_.field_u32(t_us);
  out_.field_i32(gap_mm);
  send(out_, true);
}

void Station::poll(uint32_t now_us) {
  now_us_ = now_us;
  // A job whose samples stopped coming (a chip gone between two liveness
  // checks) ends anyway: never "busy" for good.
  if (job_ != JOB_NONE && now_us - job_start_us_ >= job_length_us_ + BS_ABSENT_US)
    abort_job("absent");
  if (!streaming_ || (int32_t)(now_us - next_stat_us_) < 0) return;
  next_stat_us_ += BS_STAT_US;
  out_.begin("STAT");
  out_.field_u32(now_us);
  out_.field_u32(force_rate_.hz_x100_and_restart());
  out_.field_u32(distance_rate_.hz_x100_and_restart());
  out_.field_u32(missed_samples);
  out_.field_u32(tx_overflows);
  send(out_, true);
}
