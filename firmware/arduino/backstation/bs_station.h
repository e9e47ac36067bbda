// The station's protocol behaviour, with no Arduino dependency: commands in,
// sentences out, exactly as src/backstation/device/sim/commands.py and
// station.py describe (that simulator is the behavioural reference).
#pragma once
#include <stdint.h>
#include "bs_calib.h"
#include "bs_command.h"
#include "bs_sentence.h"

#define BS_TARE_US 750000UL   // averaging windows, as the simulator
#define BS_CAL_US 1000000UL
#define BS_STAT_US 1000000UL

struct RateMeter {   // samples per second over one STAT window
  uint32_t t_prev_us;  // last sample before the window
  uint32_t t_last_us;
  uint16_t count;      // samples in the window
  bool have_prev;
  void reset() { have_prev = false; count = 0; }
  void add(uint32_t t_us);
  uint32_t hz_x100_and_restart();
};

class Station {
 public:
  // rate_switchable: the RATE line is wired to a pin and the board followed it.
  void begin(const EepromRecord& rec, RecordState state, uint8_t rate_hz, bool rate_switchable,
             bool distance_present, uint8_t force_alive = (1u << BS_CHANNELS) - 1);
  void send_info();                               // HELLO, one CAL per channel (+ EEPROM note)
  void on_line(char* line, uint8_t len);          // one command line, without its '\n'
  void on_overlong_line();                        // more bytes than the line buffer holds
  void on_force_sample(uint32_t t_us, const int32_t raw[BS_CHANNELS]);
  void on_distance(uint32_t t_us, int16_t gap_mm);
  void on_echo_seen() { distance_present_ = true; }
  // Which HX711s answer (bit per channel, BS_ABSENT_US without data ready =
  // absent). A channel going absent is reported at once (ERR,FORCE<n>,absent)
  // and ends a TARE/CAL that needs it with ERR,<job>,absent.
  void set_force_alive(uint8_t mask);
  uint8_t force_alive() const { return force_alive_; }
  void on_refused_line();                         // the line queue was full: refused whole
  void poll(uint32_t now_us);                     // STAT once a second while streaming

  bool streaming() const { return streaming_; }
  bool busy() const { return job_ != JOB_NONE; }
  uint8_t rate_hz() const { return rate_hz_; }
  const EepromRecord& record() const { return rec_; }
  uint32_t missed_samples = 0;
  uint32_t tx_overflows = 0;

 private:
  enum Job : uint8_t { JOB_NONE, JOB_TARE, JOB_CAL };
  void send(Sentence& s, bool droppable = false);
  void send_absent(uint8_t ch);
  void abort_job(const char* reason);
  void send_cal(uint8_t ch);
  void send_ack(const char* command, const char* detail = nullptr);
  void send_err(const char* command, const char* reason);
  void store();
  void finish_job();
  const char* run(const ParsedCommand& cmd, uint32_t now_us);   // the ERR reason or nullptr

  EepromRecord rec_;
  RecordState record_state_ = RECORD_OK;
  uint8_t rate_hz_ = 10;
  bool rate_switchable_ = false;
  bool distance_present_ = false;
  uint8_t force_alive_ = (1u << BS_CHANNELS) - 1;
  bool streaming_ = false;
  uint16_t seq_f_ = 0;
  uint16_t seq_d_ = 0;
  uint32_t next_stat_us_ = 0;
  uint32_t last_f_us_ = 0;
  bool have_last_f_ = false;
  uint32_t now_us_ = 0;
  RateMeter force_rate_;
  RateMeter distance_rate_;
  Job job_ = JOB_NONE;
  uint8_t job_channels_ = 0;    // bit mask
  bool job_explicit_ = false;
  uint32_t job_start_us_ = 0;
  uint32_t job_length_us_ = 0;
  int32_t job_grams_e4_ = 0;
  Averager avg_[BS_CHANNELS];
  Sentence out_;
};
