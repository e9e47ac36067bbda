// Back Station firmware for the Arduino Uno / Nano (ATmega328P, 16 MHz).
//
// Wiring, baud and build choices: bs_config.h and ../README.md.
// Protocol v1 (docs/protocol.md): "$BODY*CRC\r\n" sentences HELLO, CAL, F, D,
// STAT, ACK, ERR out; INFO, START, STOP, TARE, CAL, SETCAL, RATE, PING in.
//
// The loop never blocks: the HX711 pair is polled and read with direct port
// access, the HC-SR04 echo is timed by Timer1 input capture (no pulseIn), the
// UART is written only when a whole sentence fits its buffer, and EEPROM is
// written one byte per loop. Protocol logic lives in the bs_*.cpp files,
// which have no Arduino dependency and are unit-tested on the host.
#include <avr/eeprom.h>
#include <avr/wdt.h>
#include <util/atomic.h>
#include "bs_config.h"
#include "bs_calib.h"
#include "bs_hx711.h"
#include "bs_platform.h"
#include "bs_station.h"

#if SERIAL_TX_BUFFER_SIZE < 128
#warning "build with -DSERIAL_TX_BUFFER_SIZE=256 (the Makefile does): 64 bytes overflow at 80 SPS"
#endif

#define LINE_MAX 80   // raw bytes kept of one command line (64 after stripping)

static Station station;
static char line_buf[LINE_MAX];
static uint8_t line_len = 0;
static bool line_overflow = false;

// ----- EEPROM: one byte per loop, so a 26-byte record never stalls the HX711 reads
static EepromRecord eeprom_pending;
static uint8_t eeprom_index = sizeof(EepromRecord);

void bs_record_store(const EepromRecord& rec) {
  eeprom_pending = rec;
  eeprom_index = 0;
}

static void eeprom_poll() {
  if (eeprom_index >= sizeof(EepromRecord) || !eeprom_is_ready()) return;
  uint8_t* address = (uint8_t*)(BS_RECORD_ADDRESS + eeprom_index);
  uint8_t value = ((const uint8_t*)&eeprom_pending)[eeprom_index++];
  if (eeprom_read_byte(address) != value) {
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE) { eeprom_write_byte(address, value); }
  }
}

// ----- UART
bool bs_tx(const char* data, uint8_t len) {
  if (Serial.availableForWrite() < len) return false;
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

static void serial_poll() {
  while (Serial.available()) {
    char c = (char)Serial.read();
    if (c != '\n') {
      if (line_len < LINE_MAX) line_buf[line_len++] = c;
      else line_overflow = true;
      continue;
    }
    if (line_overflow) station.on_overlong_line();
    else station.on_line(line_buf, line_len);
    line_len = 0;
    line_overflow = false;
    return;   // one command per loop: the HX711 is polled between them
  }
}

// ----- HC-SR04 on Timer1 input capture (ICP1 = D8), 0.5 us ticks
enum EchoState : uint8_t { ECHO_IDLE, ECHO_ARMED, ECHO_HIGH, ECHO_DONE };
static volatile EchoState echo_state = ECHO_IDLE;
static volatile uint16_t echo_rise_ticks;
static volatile uint16_t echo_width_ticks;
static volatile bool echo_ever = false;   // any echo edge since boot: a sensor is there
static uint32_t sonar_trigger_us;
static bool sonar_waiting = false;
static bool sonar_started = false;

ISR(TIMER1_CAPT_vect) {
  uint16_t ticks = ICR1;
  if (TCCR1B & _BV(ICES1)) {   // rising edge: the echo starts
    echo_ever = true;
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
  sonar_trigger_us = now_us;
  sonar_waiting = true;
  sonar_started = true;
}

// Returns true and sets *gap_mm (-1 = no echo) when a measurement completed.
static bool sonar_poll(uint32_t now_us, int16_t* gap_mm, uint32_t* t_us) {
  if (sonar_waiting) {
    EchoState state;
    uint16_t width;
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
      state = echo_state;
      width = echo_width_ticks;
    }
    bool timed_out = now_us - sonar_trigger_us > BS_SONAR_TIMEOUT_US;
    if (state == ECHO_DONE || timed_out) {
      bool ok = state == ECHO_DONE && (uint32_t)width / 2 <= BS_SONAR_TIMEOUT_US;
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

// ----- boot
static void hx711_begin() {
  BS_SCK_DDR |= _BV(BS_SCK_BIT);
  BS_SCK_PORT &= (uint8_t)~_BV(BS_SCK_BIT);
  BS_DOUT_DDR &= (uint8_t)~(_BV(BS_DOUT0_BIT) | _BV(BS_DOUT1_BIT));
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
// tells the truth: the rate the chips run at, and whether a sensor answers.
static void boot_probe(uint8_t* rate_hz, uint32_t* entropy) {
  uint32_t t0 = micros();
  uint32_t first_us = 0, interval_us = 0;
  uint8_t reads = 0;
  int16_t gap;
  uint32_t t_gap;
  for (;;) {
    wdt_reset();
    uint32_t now = micros();
    uint32_t elapsed = now - t0;
    if (bs_hx711_ready()) {
      int32_t raw[BS_CHANNELS];
      bs_hx711_read(raw);
      *entropy ^= (uint32_t)raw[0] ^ ((uint32_t)raw[1] << 8) ^ now;
      if (reads == 1) interval_us = now - first_us;
      if (reads == 0) first_us = now;
      if (reads < 2) reads++;
    }
    sonar_poll(now, &gap, &t_gap);
    if (elapsed >= BS_BOOT_PROBE_MIN_US && (reads >= 2 || elapsed >= BS_BOOT_PROBE_MAX_US)) break;
  }
  *rate_hz = (reads >= 2 && interval_us < 50000UL) ? 80 : 10;
}

void setup() {
  wdt_enable(WDTO_1S);
  Serial.begin(BS_BAUD);
  hx711_begin();
  sonar_begin();
  uint32_t entropy = entropy_from_adc();
  uint8_t rate_hz;
  boot_probe(&rate_hz, &entropy);
  EepromRecord rec;
  eeprom_read_block(&rec, (const void*)BS_RECORD_ADDRESS, sizeof(rec));
  RecordState state = bs_record_load(&rec, bs_device_id_from(entropy, micros()));
  bool switchable = BS_RATE_PIN && rate_hz == 80;
  station.begin(rec, state, rate_hz, switchable, echo_ever);
  if (state != RECORD_OK) bs_record_store(rec);   // the new device_id must persist
  station.send_info();
}

void loop() {
  wdt_reset();
  if (bs_hx711_ready()) {
    uint32_t t_us = micros();
    int32_t raw[BS_CHANNELS];
    bs_hx711_read(raw);
    station.on_force_sample(t_us, raw);
  }
  uint32_t now = micros();
  int16_t gap_mm;
  uint32_t t_gap_us;
  if (sonar_poll(now, &gap_mm, &t_gap_us)) {
    if (echo_ever) station.on_echo_seen();
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
