// Back Station firmware for the Arduino Uno / Nano (ATmega328P, 16 MHz).
//
// Wiring, baud and build choices: bs_config.h and ../README.md.
// Protocol v1 (docs/protocol.md): "$BODY*CRC\r\n" sentences HELLO, CAL, F, D,
// STAT, ACK, ERR out; INFO, START, STOP, TARE, CAL, SETCAL, RATE, PING in.
//
// The loop does not block: the HX711 pair is polled and read with direct port
// access (its ready edges timed by a pin-change interrupt), the HC-SR04 echo
// is timed by Timer1 input capture (no pulseIn), a sample sentence is written
// only when it fits the UART buffer whole (a reply waits for room, draining
// the RX side meanwhile), and EEPROM is written one byte per loop. Protocol
// logic lives in the bs_*.cpp files, which have no Arduino dependency and
// are unit-tested on the host.
#include <string.h>
#include <avr/eeprom.h>
#include <avr/wdt.h>
#include <util/atomic.h>
#include "bs_config.h"
#include "bs_calib.h"
#include "bs_hx711.h"
#include "bs_pins.h"
#include "bs_platform.h"
#include "bs_station.h"

#if SERIAL_TX_BUFFER_SIZE < 128
#warning "64-byte TX buffer (the Arduino IDE's core): works, replies wait for room; the Makefile builds with 256"
#endif

#define LINE_MAX 80     // raw bytes kept of one command line (64 after stripping)
#define LINE_QUEUE 160  // complete lines waiting for their turn (a pasted burst)
#define MARK_OVERLONG '\x01'   // queue entries that stand for lines not kept
#define MARK_REFUSED '\x02'
// Room a reply needs before the next queued command is run, so that a burst
// is answered in full: INFO's HELLO + 2 CAL + 3 status ERRs is < 200 bytes.
#define REPLY_ROOM (SERIAL_TX_BUFFER_SIZE > 200 ? 200 : SERIAL_TX_BUFFER_SIZE - 1)

static Station station;

// ----- EEPROM: one byte per loop, so a 26-byte record never stalls the HX711
// reads. Two slots take turns (bs_calib.h): a store goes to the slot that does
// not hold the newest complete record, so a power cut mid-write costs only the
// store in progress. A store that arrives mid-write restarts that same slot.
static EepromRecord eeprom_pending;
static uint8_t eeprom_index = sizeof(EepromRecord);
static uint8_t eeprom_slot = 1;          // slot of the newest complete record
static uint8_t eeprom_generation = 0;    // its generation

static uint16_t slot_address(uint8_t slot) {
  return slot ? BS_RECORD_ADDRESS_B : BS_RECORD_ADDRESS;
}

void bs_record_store(const EepromRecord& rec) {
  eeprom_pending = rec;
  eeprom_pending.generation = (uint8_t)(eeprom_generation + 1);
  bs_record_seal(&eeprom_pending);
  eeprom_index = 0;
}

static void eeprom_poll() {
  if (eeprom_index >= sizeof(EepromRecord) || !eeprom_is_ready()) return;
  uint8_t* address = (uint8_t*)(slot_address(eeprom_slot ^ 1u) + eeprom_index);
  uint8_t value = ((const uint8_t*)&eeprom_pending)[eeprom_index++];
  if (eeprom_read_byte(address) != value) {
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE) { eeprom_write_byte(address, value); }
  }
  if (eeprom_index == sizeof(EepromRecord)) {   // complete: it is the newest now
    eeprom_slot ^= 1u;
    eeprom_generation = eeprom_pending.generation;
  }
}

// ----- UART in: every byte is taken off the core's 64-byte buffer at once
// (each loop pass, and while a reply waits for room), so a pasted burst loses
// nothing. A line ends at '\n' or '\r' ("\r\n" leaves an empty line, which
// costs nothing), or after BS_LINE_IDLE_US of silence (a terminal set to "No
// line ending"). Complete lines wait in a queue and are run one per loop pass
// once the reply fits the TX buffer; a line that finds the queue full is
// refused whole with ERR,CMD,overflow.
static char line_buf[LINE_MAX];
static uint8_t line_len = 0;
static bool line_overflow = false;
static uint32_t line_last_byte_us;
static char queue[LINE_QUEUE];   // NUL-terminated entries, oldest first
static uint8_t queue_len = 0;

// A refused run is one entry: MARK_REFUSED and a count byte (0x80 + n), so
// each refused line still gets its own ERR. A line keeps 3 bytes free for it.
static void enqueue(const char* text, uint8_t len) {
  if (queue_len + len + 1 + 3 <= LINE_QUEUE) {
    memcpy(queue + queue_len, text, len);
    queue_len = (uint8_t)(queue_len + len);
    queue[queue_len++] = '\0';
    return;
  }
  if (queue_len >= 3 && queue[queue_len - 3] == MARK_REFUSED) {
    if ((uint8_t)queue[queue_len - 2] < 0xFF) queue[queue_len - 2]++;
    return;
  }
  if (queue_len + 3 > LINE_QUEUE) return;   // cannot happen: a line leaves 3 bytes
  queue[queue_len++] = MARK_REFUSED;
  queue[queue_len++] = (char)0x81;
  queue[queue_len++] = '\0';
}

static void end_line() {
  if (line_overflow) {
    char mark = MARK_OVERLONG;
    enqueue(&mark, 1);
  } else {
    bool blank = true;
    for (uint8_t i = 0; i < line_len; i++)
      if (line_buf[i] != ' ' && line_buf[i] != '\t') blank = false;
    if (!blank) enqueue(line_buf, line_len);
  }
  line_len = 0;
  line_overflow = false;
}

static void serial_drain() {
  while (Serial.available()) {
    char c = (char)Serial.read();
    line_last_byte_us = micros();
    if (c == '\n' || c == '\r') {
      end_line();
    } else if (line_len < LINE_MAX) {
      line_buf[line_len++] = c;
    } else {
      line_overflow = true;
    }
  }
  if ((line_len || line_overflow) && micros() - line_last_byte_us >= BS_LINE_IDLE_US) end_line();
}

static void serial_poll() {
  serial_drain();
  if (!queue_len || Serial.availableForWrite() < REPLY_ROOM) return;
  uint8_t len = (uint8_t)strlen(queue);
  if (queue[0] == MARK_REFUSED) {
    station.on_refused_line();
    if ((uint8_t)queue[1] > 0x81) {   // more refused lines in this run: one ERR a pass
      queue[1]--;
      return;
    }
  } else if (queue[0] == MARK_OVERLONG) {
    station.on_overlong_line();
  } else {
    station.on_line(queue, len);   // may drain more bytes: they go behind this entry
  }
  memmove(queue, queue + len + 1, queue_len - len - 1);
  queue_len = (uint8_t)(queue_len - len - 1);
}

// ----- UART out
bool bs_tx(const char* data, uint8_t len, bool droppable) {
  // Formatting a sentence costs up to ~0.7 ms (32-bit divisions, CRC): drain
  // between sentences so that a long reply (INFO: ~3 ms) never lets the
  // core's 64-byte RX buffer (2.5 ms at 250000 baud) overflow.
  serial_drain();
  if (Serial.availableForWrite() < len) {
    if (droppable) return false;
    while (Serial.availableForWrite() < len) serial_drain();   // ~40 us a byte
  }
  Serial.write((const uint8_t*)data, len);
  return true;
}

void bs_rate_pin_write(bool high) {
#if BS_RATE_PIN
  if (high) BS_RATE_PORT |= _BV(BS_RATE_BIT);
  else BS_RATE_PORT &= (uint8_t)~_BV(BS_RATE_BIT);
#else
  (void)high;
#endif
}

// ----- HC-SR04 on Timer1 input capture (ICP1 = D8), 0.5 us ticks
enum EchoState : uint8_t { ECHO_IDLE, ECHO_ARMED, ECHO_HIGH, ECHO_DONE };
static volatile EchoState echo_state = ECHO_IDLE;
static volatile uint16_t echo_rise_ticks;
static volatile uint16_t echo_width_ticks;
static uint32_t sonar_trigger_us;
static uint16_t sonar_trigger_ticks;   // Timer1 when TRIG fell
// ECHO has no pull-down: a floating pin picks up noise edges. An echo counts
// only when it rises 0.1-2 ms after TRIG (the module's burst) and, if it
// ended, was at least 0.1 ms wide (2 cm); the sensor is present after
// SONAR_PRESENT_RUN such echoes in a row, and then stays so.
#define ECHO_RISE_MIN_TICKS 200
#define ECHO_RISE_MAX_TICKS 4000
#define ECHO_WIDTH_MIN_TICKS 200
#define SONAR_PRESENT_RUN 3
static uint8_t sonar_real_run = 0;
static bool sonar_present = false;
static bool sonar_waiting = false;
static bool sonar_started = false;

ISR(TIMER1_CAPT_vect) {
  uint16_t ticks = ICR1;
  if (TCCR1B & _BV(ICES1)) {   // rising edge: the echo starts
    if (echo_state == ECHO_ARMED) {
      echo_rise_ticks = ticks;
      echo_state = ECHO_HIGH;
    }
    TCCR1B &= (uint8_t)~_BV(ICES1);
  } else {
    if (echo_state == ECHO_HIGH) {
      echo_width_ticks = ticks - echo_rise_ticks;
      echo_state = ECHO_DONE;
    }
    TCCR1B |= _BV(ICES1);
  }
  TIFR1 = _BV(ICF1);   // an edge-select change can set the flag spuriously
}

static void sonar_begin() {
  BS_TRIG_DDR |= _BV(BS_TRIG_BIT);
  BS_ECHO_DDR &= (uint8_t)~_BV(BS_ECHO_BIT);
  TCCR1A = 0;
  TCCR1B = _BV(ICNC1) | _BV(ICES1) | _BV(CS11);   // normal mode, clk/8, noise canceller
  TIFR1 = _BV(ICF1);
  TIMSK1 = _BV(ICIE1);
}

static void sonar_trigger(uint32_t now_us) {
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
    echo_state = ECHO_ARMED;
    TCCR1B |= _BV(ICES1);
    TIFR1 = _BV(ICF1);
  }
  BS_TRIG_PORT |= _BV(BS_TRIG_BIT);
  delayMicroseconds(12);   // the only busy wait: the 10 us trigger pulse (interrupts stay on)
  BS_TRIG_PORT &= (uint8_t)~_BV(BS_TRIG_BIT);
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) { sonar_trigger_ticks = TCNT1; }
  sonar_trigger_us = now_us;
  sonar_waiting = true;
  sonar_started = true;
}

// Returns true and sets *gap_mm (-1 = no echo) when a measurement completed.
static bool sonar_poll(uint32_t now_us, int16_t* gap_mm, uint32_t* t_us) {
  if (sonar_waiting) {
    EchoState state;
    uint16_t width, rise;
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
      state = echo_state;
      width = echo_width_ticks;
      rise = echo_rise_ticks;
    }
    bool timed_out = now_us - sonar_trigger_us > BS_SONAR_TIMEOUT_US;
    if (state == ECHO_DONE || timed_out) {
      uint16_t delay = (uint16_t)(rise - sonar_trigger_ticks);
      // still high at the timeout: the 38 ms "nothing in range" pulse
      bool real = (state == ECHO_HIGH || (state == ECHO_DONE && width >= ECHO_WIDTH_MIN_TICKS)) &&
                  delay >= ECHO_RISE_MIN_TICKS && delay <= ECHO_RISE_MAX_TICKS;
      if (!real) sonar_real_run = 0;
      else if (++sonar_real_run >= SONAR_PRESENT_RUN) sonar_present = true;
      bool ok = real && state == ECHO_DONE && (uint32_t)width / 2 <= BS_SONAR_TIMEOUT_US;
      *gap_mm = ok ? bs_echo_ticks_to_gap_mm(width, BS_MOUNT_OFFSET_MM) : -1;
      *t_us = sonar_trigger_us;
      sonar_waiting = false;
      ATOMIC_BLOCK(ATOMIC_RESTORESTATE) { echo_state = ECHO_IDLE; }
      return true;
    }
  }
  if (!sonar_started || now_us - sonar_trigger_us >= BS_SONAR_PERIOD_US) sonar_trigger(now_us);
  return false;
}

// ----- HX711 liveness: a chip whose DOUT has not gone low for BS_ABSENT_US is
// absent (with the pull-up, a missing or unplugged chip reads high for good).
// The pair is read when every live chip has data; a dead one never blocks it.
static uint32_t dout_low_us[BS_CHANNELS];
static uint8_t force_alive = 0;

// Each DOUT falling edge (data ready) is timed by the pin-change interrupt, so
// a sample's t_us is when the pair became ready even if the loop was busy
// (an INFO reply takes ~3 ms). Off during a read: the data bits toggle DOUT.
static volatile uint32_t dout_fall_us[BS_CHANNELS];
static volatile uint8_t dout_fell = 0;   // bit per channel: dout_fall_us holds this conversion
static volatile uint8_t dout_prev = 3;

ISR(PCINT2_vect) {
  uint8_t bits = bs_dout_bits();
  uint8_t fell = dout_prev & (uint8_t)~bits;
  dout_prev = bits;
  if (!fell) return;
  uint32_t now = micros();
  for (uint8_t ch = 0; ch < BS_CHANNELS; ch++)
    if (fell >> ch & 1u) dout_fall_us[ch] = now;
  dout_fell |= fell;
}

// Reads the pair; returns when it became ready (the later edge of the live chips).
static uint32_t hx711_read_timed(int32_t raw[BS_CHANNELS], uint8_t alive) {
  uint32_t t_us = micros();
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
    PCICR &= (uint8_t)~_BV(PCIE2);
    if ((dout_fell & alive) == alive) {
      bool first = true;
      for (uint8_t ch = 0; ch < BS_CHANNELS; ch++) {
        if (!(alive >> ch & 1u)) continue;
        if (first || (int32_t)(dout_fall_us[ch] - t_us) > 0) t_us = dout_fall_us[ch];
        first = false;
      }
    }
  }
  bs_hx711_read(raw);
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
    dout_prev = bs_dout_bits();
    dout_fell = 0;
    PCIFR = _BV(PCIF2);
    PCICR |= _BV(PCIE2);
  }
  return t_us;
}

static void hx711_watch(uint32_t now) {
  uint8_t ready = bs_hx711_ready_bits();
  uint8_t alive = 0;
  for (uint8_t ch = 0; ch < BS_CHANNELS; ch++) {
    if (ready >> ch & 1u) dout_low_us[ch] = now;
    if (now - dout_low_us[ch] < BS_ABSENT_US) alive |= (uint8_t)(1u << ch);
  }
  force_alive = alive;
}

// ----- boot
static void hx711_begin() {
  BS_SCK_DDR |= _BV(BS_SCK_BIT);
  BS_SCK_PORT &= (uint8_t)~_BV(BS_SCK_BIT);
  BS_DOUT_DDR &= (uint8_t)~(_BV(BS_DOUT0_BIT) | _BV(BS_DOUT1_BIT));
  BS_DOUT_PORT |= _BV(BS_DOUT0_BIT) | _BV(BS_DOUT1_BIT);   // pull-ups: absent = never ready
  PCMSK2 |= _BV(BS_DOUT0_BIT) | _BV(BS_DOUT1_BIT);         // PCINT21/22 = PD5/PD6
  PCIFR = _BV(PCIF2);
  PCICR |= _BV(PCIE2);
#if BS_RATE_PIN
  BS_RATE_DDR |= _BV(BS_RATE_BIT);
  bs_rate_pin_write(true);   // ask for 80 SPS; the boot probe sees what the board does
#endif
}

static uint32_t entropy_from_adc() {
  uint32_t bits = 0;
  for (uint8_t i = 0; i < 32; i++) bits = (bits << 1 | bits >> 31) ^ (uint32_t)analogRead(A0 + (i % 6));
  return bits;
}

// Watch the HX711s and the HC-SR04 for a moment before HELLO, so that HELLO
// tells the truth: which chips answer, the rate they run at, and whether a
// sonar answers. The rate is the shortest of up to BS_BOOT_PROBE_INTERVALS
// conversion intervals: the first ones after power-up or a RATE change may
// be stretched by settling (and a chip may keep old data across the change).
static void boot_probe(uint8_t* rate_hz, uint32_t* entropy) {
  uint32_t t0 = micros();
  for (uint8_t ch = 0; ch < BS_CHANNELS; ch++) dout_low_us[ch] = t0;
  uint32_t last_us = 0, shortest_us = 0xFFFFFFFFul;
  uint8_t reads = 0;
  int16_t gap;
  uint32_t t_gap;
  for (;;) {
    wdt_reset();
    uint32_t now = micros();
    uint32_t elapsed = now - t0;
    hx711_watch(now);
    if (bs_hx711_ready(force_alive)) {
      int32_t raw[BS_CHANNELS];
      hx711_read_timed(raw, force_alive);
      *entropy ^= (uint32_t)raw[0] ^ ((uint32_t)raw[1] << 8) ^ now;
      if (reads && now - last_us < shortest_us) shortest_us = now - last_us;
      last_us = now;
      if (reads <= BS_BOOT_PROBE_INTERVALS) reads++;
    }
    sonar_poll(now, &gap, &t_gap);
    // A chip found absent (at BS_ABSENT_US) held the pair's reads back until
    // then: the live one gets as long again to show its rate.
    uint32_t max_us = force_alive == (1u << BS_CHANNELS) - 1 ? BS_BOOT_PROBE_MAX_US
                                                             : 2 * BS_BOOT_PROBE_MAX_US;
    if (elapsed >= BS_BOOT_PROBE_MIN_US &&
        (reads > BS_BOOT_PROBE_INTERVALS || elapsed >= max_us)) break;
  }
  *rate_hz = shortest_us < BS_RATE_SPLIT_US ? 80 : 10;
}

void setup() {
  wdt_enable(WDTO_1S);
  Serial.begin(BS_BAUD);
  hx711_begin();
  sonar_begin();
  uint32_t entropy = entropy_from_adc();
  uint8_t rate_hz;
  boot_probe(&rate_hz, &entropy);
  EepromRecord slots[2], rec;
  eeprom_read_block(&slots[0], (const void*)BS_RECORD_ADDRESS, sizeof(EepromRecord));
  eeprom_read_block(&slots[1], (const void*)BS_RECORD_ADDRESS_B, sizeof(EepromRecord));
  RecordState state = bs_record_pick(slots, bs_device_id_from(entropy, micros()), &rec,
                                     &eeprom_slot);
  eeprom_generation = rec.generation;
  bool switchable = BS_RATE_PIN && rate_hz == 80;
  station.begin(rec, state, rate_hz, switchable, sonar_present, force_alive);
  if (state != RECORD_OK) bs_record_store(rec);   // the new device_id must persist
  station.send_info();
}

void loop() {
  wdt_reset();
  uint32_t now = micros();
  hx711_watch(now);
  if (force_alive != station.force_alive()) station.set_force_alive(force_alive);
  if (bs_hx711_ready(force_alive)) {
    int32_t raw[BS_CHANNELS];
    uint32_t t_us = hx711_read_timed(raw, force_alive);
    station.on_force_sample(t_us, raw);
  }
  now = micros();
  int16_t gap_mm;
  uint32_t t_gap_us;
  if (sonar_poll(now, &gap_mm, &t_gap_us)) {
    if (sonar_present) station.on_echo_seen();
    station.on_distance(t_gap_us, gap_mm);
  }
  serial_poll();
  station.poll(micros());
  eeprom_poll();
}

// Runs before main(): a watchdog reset leaves the watchdog on, and it must
// not fire again while the core initialises.
void bs_wdt_off_early() __attribute__((naked, used, section(".init3")));
void bs_wdt_off_early() {
  MCUSR = 0;
  wdt_disable();
}
