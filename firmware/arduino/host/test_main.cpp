// Host unit tests of the firmware logic: the same bs_*.cpp files the AVR
// build uses, compiled with g++ against fakes.cpp. Expected sentences were
// produced by the app's own codec (backstation.protocol.frame).
#include <stdlib.h>
#include <string.h>
#include <vector>
#include "bs_calib.h"
#include "bs_command.h"
#include "bs_config.h"
#include "bs_crc.h"
#include "bs_hx711.h"
#include "bs_sentence.h"
#include "bs_station.h"
#include "check.h"
#include "fakes.h"

int g_failures = 0;
int g_checks = 0;
static std::vector<std::pair<const char*, test_fn>>& tests() {
  static std::vector<std::pair<const char*, test_fn>> all;
  return all;
}
void register_test(const char* name, test_fn fn) { tests().push_back({name, fn}); }

static std::string str(const Sentence& s) { return std::string(s.data(), s.length()); }

// ----- CRC and sentences ---------------------------------------------------
TEST(crc_check_value_is_29B1) {
  CHECK_EQ_INT(bs_crc16((const uint8_t*)"123456789", 9), 0x29B1);
  CHECK_EQ_INT(bs_crc16((const uint8_t*)"", 0), 0xFFFF);
}

TEST(sentences_match_the_python_codec_byte_for_byte) {
  Sentence s;
  s.begin("HELLO");
  s.field("1");
  s.field("bs-0.1.0");
  s.field_hex32(0x1A2B3C4D);
  s.field_u32(2);
  s.field_u32(80);
  s.field("hcsr04");
  s.finish();
  CHECK_EQ_STR(str(s), "$HELLO,1,bs-0.1.0,1A2B3C4D,2,80,hcsr04*3D41\r\n");
  s.begin("CAL");
  s.field_u32(0);
  s.field_i32(-81234);
  s.field_fixed4(2145678);
  s.finish();
  CHECK_EQ_STR(str(s), "$CAL,0,-81234,214.5678*5309\r\n");
  s.begin("CAL");
  s.field_u32(1);
  s.field_i32(0);
  s.field_fixed4(10000000);
  s.finish();
  CHECK_EQ_STR(str(s), "$CAL,1,0,1000.0000*A200\r\n");
  s.begin("CAL");
  s.field_u32(0);
  s.field_i32(-8388608);
  s.field_fixed4(-1);
  s.finish();
  CHECK_EQ_STR(str(s), "$CAL,0,-8388608,-0.0001*3E0B\r\n");
  s.begin("F");
  s.field_u32(65535);
  s.field_u32(4294967295u);
  s.field_i32(-8388608);
  s.field_i32(8388607);
  s.finish();
  CHECK_EQ_STR(str(s), "$F,65535,4294967295,-8388608,8388607*1D99\r\n");
  s.begin("D");
  s.field_u32(204);
  s.field_u32(40200000);
  s.field_i32(-1);
  s.finish();
  CHECK_EQ_STR(str(s), "$D,204,40200000,-1*2CBA\r\n");
  s.begin("STAT");
  s.field_u32(41000000);
  s.field_u32(8000);
  s.field_u32(2000);
  s.field_u32(0);
  s.field_u32(0);
  s.finish();
  CHECK_EQ_STR(str(s), "$STAT,41000000,8000,2000,0,0*A94C\r\n");
}

// ----- command parsing -------------------------------------------------------
static ParsedCommand parse(const char* text) {
  static char buf[128];
  strcpy(buf, text);
  ParsedCommand cmd;
  bs_parse_command(buf, (uint8_t)strlen(buf), &cmd);
  return cmd;
}

TEST(commands_parse_with_and_without_crc_in_any_case) {
  ParsedCommand c = parse("INFO*01C6");
  CHECK(c.error == nullptr && c.id == CMD_INFO && c.argc == 0);
  c = parse("INFO*01c6");   // hosts may send lower-case hex
  CHECK(c.error == nullptr && c.id == CMD_INFO);
  c = parse("  info \r");
  CHECK(c.error == nullptr && c.id == CMD_INFO);
  c = parse("SETCAL 0 -81234 214.5678*496D");
  CHECK(c.error == nullptr && c.id == CMD_SETCAL && c.argc == 3);
  CHECK_EQ_STR(c.argv[1], "-81234");
  CHECK_EQ_STR(c.argv[2], "214.5678");
  c = parse("cal 1\t20000");
  CHECK(c.error == nullptr && c.id == CMD_CAL && c.argc == 2);
  CHECK_EQ_STR(c.argv[1], "20000");
}

TEST(command_errors_name_the_command_and_the_reason) {
  ParsedCommand c = parse("tare 0*9DA7");   // the CRC is for "TARE 0"
  CHECK_EQ_STR(c.error ? c.error : "", "crc");
  CHECK_EQ_STR(c.name, "TARE");
  c = parse("INFO*1C6");
  CHECK_EQ_STR(c.error ? c.error : "", "crc");
  c = parse("INFO*0x1C6");
  CHECK_EQ_STR(c.error ? c.error : "", "crc");
  c = parse("foo bar");
  CHECK_EQ_STR(c.error ? c.error : "", "unknown");
  CHECK_EQ_STR(c.name, "FOO");
  c = parse("fo#o");
  CHECK_EQ_STR(c.error ? c.error : "", "unknown");
  CHECK_EQ_STR(c.name, "CMD");
  c = parse("*FFFF");   // a valid CRC of nothing
  CHECK_EQ_STR(c.error ? c.error : "", "syntax");
  CHECK_EQ_STR(c.name, "CMD");
  c = parse("PING \xC3\xA9");
  CHECK_EQ_STR(c.error ? c.error : "", "syntax");
  std::string longest(64, 'X');
  c = parse(("  " + longest + "  ").c_str());
  CHECK_EQ_STR(c.error ? c.error : "", "unknown");   // 64 bytes after stripping is allowed
  c = parse((longest + "Y").c_str());
  CHECK_EQ_STR(c.error ? c.error : "", "overlong");
  CHECK_EQ_STR(c.name, "CMD");
}

TEST(numbers_parse_like_python_and_round_to_four_decimals) {
  int32_t v = 0;
  CHECK(bs_parse_int("-81234", &v) && v == -81234);
  CHECK(bs_parse_int("+7", &v) && v == 7);
  CHECK(!bs_parse_int("7.0", &v));
  CHECK(!bs_parse_int("-", &v));
  CHECK(bs_parse_int("99999999999", &v) && v == 2147483647);
  CHECK(bs_parse_fixed4("214.5678", &v) == NUM_OK && v == 2145678);
  CHECK(bs_parse_fixed4("1e3", &v) == NUM_OK && v == 10000000);
  CHECK(bs_parse_fixed4(".5", &v) == NUM_OK && v == 5000);
  CHECK(bs_parse_fixed4("-0.00005", &v) == NUM_OK && v == -1);
  CHECK(bs_parse_fixed4("0.00004", &v) == NUM_OK && v == 0);
  CHECK(bs_parse_fixed4("20000", &v) == NUM_OK && v == 200000000);
  CHECK(bs_parse_fixed4("abc", &v) == NUM_SYNTAX);
  CHECK(bs_parse_fixed4("1.2.3", &v) == NUM_SYNTAX);
  CHECK(bs_parse_fixed4("nan", &v) == NUM_RANGE);
  CHECK(bs_parse_fixed4("-inf", &v) == NUM_RANGE);
  CHECK(bs_parse_fixed4("300000", &v) == NUM_RANGE);
}

// ----- calibration math ------------------------------------------------------
TEST(scale_from_a_known_mass_matches_the_simulator_formula) {
  Averager a;
  a.reset();
  for (int i = 0; i < 81; i++) a.add(i % 2 ? 43084 : 43086);
  int32_t cpn = 0;
  // Python: round((mean - 1000) / (20000 / 1000 * 9.80665), 4) == 214.5738
  CHECK(bs_scale_from_mass(a, 1000, 200000000, &cpn) == CAL_OK);
  CHECK_EQ_INT(cpn, 2145738);
  a.reset();
  for (int i = 0; i < 10; i++) a.add(-500000);
  CHECK(bs_scale_from_mass(a, -81234, 12345000, &cpn) == CAL_OK);
  CHECK_EQ_INT(cpn, -345907233);   // -34590.7233
  a.reset();
  for (int i = 0; i < 100; i++) a.add(8388607);
  CHECK(bs_scale_from_mass(a, -8388608, 2000000000, &cpn) == CAL_OK);
  CHECK_EQ_INT(cpn, 85539991);     // 8553.9991, the extremes do not overflow
  a.reset();
  for (int i = 0; i < 10; i++) a.add(1005);
  CHECK(bs_scale_from_mass(a, 1000, 200000000, &cpn) == CAL_RANGE);   // 0.0255 counts/N
}

TEST(averaging_rounds_the_mean_and_flags_a_moving_load) {
  Averager a;
  a.reset();
  a.add(-3);
  a.add(-4);
  CHECK_EQ_INT(a.mean_rounded(), -4);   // -3.5: half away from zero
  a.add(100);
  CHECK(!a.unstable(2145678));          // 104 counts = 0.48 N
  a.add(3000);
  CHECK(a.unstable(2145678));           // 3004 counts = 14 N > 10 N
}

TEST(echo_width_converts_to_the_gap_minus_the_mounting_offset) {
  // gap 412 mm + 30 mm offset: 442 * 5.8 us = 2563.6 us = 5127 ticks of 0.5 us
  CHECK_EQ_INT(bs_echo_ticks_to_gap_mm(5127, 30), 412);
  CHECK_EQ_INT(bs_echo_ticks_to_gap_mm(100, 30), 0);
  CHECK_EQ_INT(bs_echo_ticks_to_gap_mm(65535, 0), 5650);
}

// ----- EEPROM record -----------------------------------------------------------
TEST(eeprom_record_survives_a_round_trip_and_falls_back_when_damaged) {
  EepromRecord rec;
  memset(&rec, 0, sizeof rec);
  rec.device_id = 0x1A2B3C4D;
  rec.cal[0] = {-81234, 2145678};
  rec.cal[1] = {100, -10000};
  bs_record_seal(&rec);
  EepromRecord copy = rec;
  CHECK(bs_record_load(&copy, 0x55555555) == RECORD_OK);
  CHECK(memcmp(&copy, &rec, sizeof rec) == 0);

  EepromRecord blank;
  memset(&blank, 0xFF, sizeof blank);
  CHECK(bs_record_load(&blank, 0x55555555) == RECORD_BLANK);
  CHECK_EQ_INT(blank.device_id, 0x55555555);
  CHECK_EQ_INT(blank.cal[1].offset_counts, 0);
  CHECK_EQ_INT(blank.cal[1].cpn_e4, BS_DEFAULT_CPN_E4);
  CHECK(bs_record_load(&blank, 0) == RECORD_OK);   // the defaults are sealed: storable as is

  for (size_t i = 0; i < sizeof rec; i++) {
    EepromRecord bad = rec;
    ((uint8_t*)&bad)[i] ^= 0x04;
    CHECK(bs_record_load(&bad, 0x66666666) == RECORD_CORRUPT);
    CHECK_EQ_INT(bad.device_id, 0x66666666);
  }
  CHECK_EQ_INT(sizeof(EepromRecord), 26);
}

TEST(device_ids_are_never_all_zeros_or_ones) {
  CHECK(bs_device_id_from(0, 0) != 0);
  CHECK(bs_device_id_from(1, 2) != bs_device_id_from(1, 3));
}

// ----- HX711 reader --------------------------------------------------------------
TEST(hx711_pair_reads_extremes_in_lock_step_with_25_pulses) {
  board.reset();
  board.hx_value[0] = -8388608;
  board.hx_value[1] = 8388607;
  CHECK(bs_hx711_ready());
  int32_t raw[2];
  bs_hx711_read(raw);
  CHECK_EQ_INT(raw[0], -8388608);
  CHECK_EQ_INT(raw[1], 8388607);
  CHECK_EQ_INT(board.hx_pulses, 25);
  CHECK(!board.sck);
  CHECK(board.irq_enabled);
  CHECK_EQ_INT(board.sck_high_with_irq, 0);   // interrupts off around every pulse
  CHECK(!bs_hx711_ready());
  CHECK_EQ_INT(bs_hx711_sign_extend(0xFFFFFF), -1);
  CHECK_EQ_INT(bs_hx711_sign_extend(0x7FFFFF), 8388607);
}

// ----- the station's protocol behaviour --------------------------------------------
static Station station;

static void boot(RecordState state = RECORD_OK, bool switchable = true, uint8_t rate = 80) {
  board.reset();
  EepromRecord rec;
  memset(&rec, 0, sizeof rec);
  rec.device_id = 0x1A2B3C4D;
  rec.cal[0] = {-81234, 2145678};
  rec.cal[1] = {0, 10000000};
  bs_record_seal(&rec);
  station = Station();
  station.begin(rec, state, rate, switchable, true);
}

static void line(const char* text) {
  char buf[128];
  strcpy(buf, text);
  station.on_line(buf, (uint8_t)strlen(buf));
}

static void samples(uint32_t* t_us, uint32_t until_us, int32_t raw0, int32_t raw1,
                    int32_t wobble = 0) {
  for (int i = 0; *t_us <= until_us; i++, *t_us += 12500) {
    int32_t raw[2] = {raw0 + (i % 2 ? wobble : -wobble), raw1};
    station.on_force_sample(*t_us, raw);
  }
}

TEST(info_sends_hello_and_one_cal_per_channel) {
  boot();
  line("INFO*01C6");
  CHECK_EQ_STR(board.take_tx(),
               "$HELLO,1,bs-0.1.0,1A2B3C4D,2,80,hcsr04*3D41\r\n"
               "$CAL,0,-81234,214.5678*5309\r\n"
               "$CAL,1,0,1000.0000*A200\r\n");
}

TEST(a_blank_eeprom_is_reported_after_the_calibration) {
  boot(RECORD_BLANK);
  station.send_info();
  std::string out = board.take_tx();
  CHECK(out.size() > 24 && out.substr(out.size() - 24) == "$ERR,EEPROM,blank*D97E\r\n");
  line("SETCAL 1 -100 214.5678");
  CHECK_EQ_STR(board.take_tx(), "$ACK,SETCAL,1*C659\r\n$CAL,1,-100,214.5678*E019\r\n");
  line("INFO");
  CHECK(board.take_tx().find("EEPROM") == std::string::npos);   // stored: no longer defaults
  CHECK_EQ_INT(board.record_stores, 1);
  CHECK_EQ_INT(board.stored.cal[1].cpn_e4, 2145678);
  CHECK(bs_record_load(&board.stored, 0) == RECORD_OK);
}

// The CRC itself is pinned above; these build longer expectations from bodies.
static std::string framed(const char* body) {
  char crc[5];
  snprintf(crc, sizeof crc, "%04X", bs_crc16((const uint8_t*)body, (uint16_t)strlen(body)));
  return std::string("$") + body + "*" + crc + "\r\n";
}

TEST(simple_commands_reply_like_the_simulator) {
  boot();
  line("ping");
  line("");
  line("\r");
  line("START");
  line("STOP*AF2E");
  line("PING 1");
  line("HELLO");
  line("RATE 20");
  line("RATE ten");
  line("TARE 2");
  line("TARE x");
  line("CAL 0 0");
  line("CAL 0 200001");
  line("SETCAL 0 8388608 1");
  line("SETCAL 0 0 0");
  line("SETCAL 0 0 nan");
  line("STOP*0000");
  station.on_overlong_line();
  CHECK_EQ_STR(board.take_tx(),
               framed("ACK,PING") + framed("ACK,START") + framed("ACK,STOP") +
               framed("ERR,PING,syntax") + framed("ERR,HELLO,unknown") +
               framed("ERR,RATE,range") + framed("ERR,RATE,syntax") +
               framed("ERR,TARE,range") + framed("ERR,TARE,syntax") +
               framed("ERR,CAL,range") + framed("ERR,CAL,range") +
               framed("ERR,SETCAL,range") + framed("ERR,SETCAL,range") +
               framed("ERR,SETCAL,range") + framed("ERR,STOP,crc") +
               framed("ERR,CMD,overlong"));
}

TEST(streaming_sends_f_d_and_a_stat_every_second) {
  boot();
  uint32_t t = 1000000;
  station.poll(t);
  line("START");
  board.take_tx();
  int32_t raw[2] = {-8388608, 8388607};
  station.on_force_sample(1012500, raw);
  station.on_distance(1020000, 412);
  station.on_distance(1080000, -1);
  CHECK_EQ_STR(board.take_tx(), framed("F,0,1012500,-8388608,8388607") +
                                    framed("D,0,1020000,412") + framed("D,1,1080000,-1"));
  t = 1025000;
  samples(&t, 2000000, 5, 6);
  board.take_tx();
  station.poll(2000000);
  // 79 intervals of 12.5 ms after the first sample: 80.00 Hz; two D 60 ms apart
  CHECK_EQ_STR(board.take_tx(), framed("STAT,2000000,8000,1667,0,0"));
  t = 2050000;   // 2 samples (2012500, 2025000... 2037500) never came
  samples(&t, 2100000, 5, 6);
  station.poll(3000000);
  std::string out = board.take_tx();
  CHECK(out.find("$STAT,3000000,") != std::string::npos);
  CHECK(out.find(",3,0*") != std::string::npos);   // missed_samples = 3
  line("STOP");
  samples(&t, 2200000, 5, 6);
  station.poll(4000000);
  CHECK_EQ_STR(board.take_tx(), framed("ACK,STOP"));
}

TEST(a_full_uart_drops_whole_sentences_and_counts_them) {
  boot();
  line("START");
  board.take_tx();
  board.tx_room = 30;
  int32_t raw[2] = {-8388608, 8388607};
  station.on_force_sample(1000, raw);   // 33 bytes: does not fit
  station.on_distance(2000, 412);       // 24 bytes: fits
  CHECK_EQ_STR(board.take_tx(), framed("D,0,2000,412"));
  CHECK_EQ_INT(station.tx_overflows, 1);
  board.tx_room = 1000;
  station.on_force_sample(14500, raw);  // seq 1: the dropped one left a gap the host counts
  CHECK(board.take_tx().find("$F,1,14500,") == 0);
}

TEST(tare_averages_then_acks_and_sends_the_new_offset) {
  boot();
  uint32_t t = 0;
  line("TARE 0");
  samples(&t, 700000, 1234, 99);
  CHECK_EQ_STR(board.take_tx(), "");
  line("SETCAL 0 1 1");
  line("RATE 10");
  line("TARE");
  line("CAL 1 100");
  CHECK_EQ_STR(board.take_tx(), framed("ERR,SETCAL,busy") + framed("ERR,RATE,busy") +
                                    framed("ERR,TARE,busy") + framed("ERR,CAL,busy"));
  samples(&t, 760000, 1234, 99);
  CHECK_EQ_STR(board.take_tx(), framed("ACK,TARE,0") + framed("CAL,0,1234,214.5678"));
  CHECK_EQ_INT(board.stored.cal[0].offset_counts, 1234);
  line("TARE");   // all channels: no channel in the ACK
  samples(&t, 1600000, 50, 60);
  CHECK_EQ_STR(board.take_tx(), framed("ACK,TARE") + framed("CAL,0,50,214.5678") +
                                    framed("CAL,1,60,1000.0000"));
}

TEST(cal_with_a_known_mass_stores_the_scale) {
  boot();
  uint32_t t = 0;
  line("SETCAL 1 1000 500");
  board.take_tx();
  line("CAL 1 20000");
  // 20 kg * 9.80665 = 196.133 N at 214.5678 counts/N above the offset 1000
  samples(&t, 1000000, 0, 1000 + 42084);
  CHECK_EQ_STR(board.take_tx(), framed("ACK,CAL,1") + framed("CAL,1,1000,214.5687"));
  line("CAL 0 20000");
  samples(&t, 2100000, 0, 0, 3000);   // +-3000 counts at 214.5678 counts/N: 28 N p-p
  CHECK_EQ_STR(board.take_tx(), framed("ERR,CAL,unstable"));
  line("CAL 0 20000");
  samples(&t, 3200000, -81234, 0);    // nothing hangs there: 0 counts/N
  CHECK_EQ_STR(board.take_tx(), framed("ERR,CAL,range"));
}

TEST(rate_switches_the_pin_only_when_the_board_wires_it) {
  boot(RECORD_OK, true, 80);
  line("RATE 10");
  line("RATE 10");
  CHECK_EQ_STR(board.take_tx(), framed("ACK,RATE,10") + framed("ACK,RATE,10"));
  CHECK_EQ_INT(board.rate_pin_writes, 1);
  CHECK(!board.rate_pin_high);
  CHECK_EQ_INT(station.rate_hz(), 10);
  boot(RECORD_OK, false, 10);   // RATE tied low on the board
  line("RATE 10");
  line("RATE 80");
  CHECK_EQ_STR(board.take_tx(), framed("ACK,RATE,10") + framed("ERR,RATE,fixed"));
  CHECK_EQ_INT(board.rate_pin_writes, 0);
  line("INFO");
  CHECK(board.take_tx().find(",2,10,hcsr04*") != std::string::npos);
}

TEST(a_dead_channel_fails_calibration_at_once_and_never_blocks_the_other) {
  boot();
  station.set_force_alive(1u);   // channel 1 stops answering
  CHECK_EQ_STR(board.take_tx(), framed("ERR,FORCE1,absent"));
  uint32_t t = 0;
  line("TARE 1");
  line("TARE");
  line("CAL 1 20000");
  CHECK_EQ_STR(board.take_tx(), framed("ERR,TARE,absent") + framed("ERR,TARE,absent") +
                                    framed("ERR,CAL,absent"));
  CHECK(!station.busy());
  line("TARE 0");
  samples(&t, 760000, 1234, -1);
  CHECK_EQ_STR(board.take_tx(), framed("ACK,TARE,0") + framed("CAL,0,1234,214.5678"));
  line("INFO");   // the health follows every HELLO
  std::string out = board.take_tx(), health = framed("ERR,FORCE1,absent");
  CHECK(out.size() > health.size() && out.substr(out.size() - health.size()) == health);
}

TEST(a_channel_lost_mid_tare_ends_it_and_a_silent_job_times_out) {
  boot();
  uint32_t t = 0;
  line("TARE");
  samples(&t, 300000, 10, 20);
  station.set_force_alive(1u);
  CHECK_EQ_STR(board.take_tx(), framed("ERR,FORCE1,absent") + framed("ERR,TARE,absent"));
  CHECK(!station.busy());
  station.set_force_alive(3u);   // back: nothing to say, calibration works again
  line("TARE 1");                // ...and no sample ever comes
  uint32_t started = t - 12500;  // the station's clock: the last sample
  station.poll(started + BS_TARE_US + BS_ABSENT_US - 1);
  CHECK(station.busy());
  station.poll(started + BS_TARE_US + BS_ABSENT_US);
  CHECK_EQ_STR(board.take_tx(), framed("ERR,TARE,absent"));
  CHECK(!station.busy());
}

TEST(the_newest_valid_eeprom_slot_wins_and_a_torn_one_is_ignored) {
  EepromRecord slots[2], rec;
  memset(slots, 0xFF, sizeof slots);
  uint8_t slot = 9;
  CHECK(bs_record_pick(slots, 0x11111111, &rec, &slot) == RECORD_BLANK);
  CHECK_EQ_INT(slot, 1);
  CHECK_EQ_INT(rec.device_id, 0x11111111);
  memset(&slots[0], 0, sizeof slots[0]);
  slots[0].device_id = 0x1A2B3C4D;
  slots[0].cal[0] = {5, 10000};
  slots[0].cal[1] = {6, 10000};
  slots[0].generation = 255;
  bs_record_seal(&slots[0]);
  slots[1] = slots[0];
  slots[1].cal[1].offset_counts = 7;
  slots[1].generation = 0;       // 255 + 1: newer across the wrap
  bs_record_seal(&slots[1]);
  CHECK(bs_record_pick(slots, 0, &rec, &slot) == RECORD_OK);
  CHECK_EQ_INT(slot, 1);
  CHECK_EQ_INT(rec.cal[1].offset_counts, 7);
  for (size_t i = 0; i < sizeof(EepromRecord); i++) {   // slot 1 torn at any byte
    EepromRecord torn[2] = {slots[0], slots[1]};
    ((uint8_t*)&torn[1])[i] ^= 0x10;
    CHECK(bs_record_pick(torn, 0, &rec, &slot) == RECORD_OK);
    CHECK_EQ_INT(slot, 0);
    CHECK_EQ_INT(rec.device_id, 0x1A2B3C4D);
  }
  ((uint8_t*)&slots[0])[3] ^= 1;
  ((uint8_t*)&slots[1])[3] ^= 1;
  CHECK(bs_record_pick(slots, 0x22222222, &rec, &slot) == RECORD_CORRUPT);
}

int main() {
  for (auto& t : tests()) {
    int before = g_failures;
    t.second();
    fprintf(stderr, "%s %s\n", g_failures == before ? "ok  " : "FAIL", t.first);
  }
  fprintf(stderr, "%d checks, %d failed\n", g_checks, g_failures);
  return g_failures ? 1 : 0;
}
