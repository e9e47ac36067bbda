// Back Station firmware: wiring, baud and build-time choices.
//
// Wiring (ATmega328P: Uno or Nano), see README.md for the diagram:
//   HX711 SCK (both chips)  D4  PD4
//   HX711 DOUT left  (ch 0) D5  PD5
//   HX711 DOUT right (ch 1) D6  PD6
//   HC-SR04 TRIG            D7  PD7
//   HC-SR04 ECHO            D8  PB0 (ICP1, Timer1 input capture)
//   HX711 RATE (both chips) D9  PB1, only with BS_RATE_PIN 1 (and the board's
//                           RATE solder bridge cut); by default D9 is never driven
// DOUT lines have the AVR's pull-ups on: a missing chip reads "not ready".
// Serial 250000 baud 8N1, protocol v1: "$BODY*CRC\r\n" (docs/protocol.md).
#pragma once

#define BS_FIRMWARE "bs-0.1.0"
#define BS_BAUD 250000UL

#define BS_SCK_PORT PORTD
#define BS_SCK_DDR DDRD
#define BS_SCK_BIT 4
#define BS_DOUT_PIN PIND
#define BS_DOUT_DDR DDRD
#define BS_DOUT_PORT PORTD
#define BS_DOUT0_BIT 5
#define BS_DOUT1_BIT 6
#define BS_TRIG_PORT PORTD
#define BS_TRIG_DDR DDRD
#define BS_TRIG_BIT 7
#define BS_ECHO_DDR DDRB
#define BS_ECHO_BIT 0
#define BS_RATE_PORT PORTB
#define BS_RATE_DDR DDRB
#define BS_RATE_BIT 1

// 1: HX711 RATE wired to D9 (the board's RATE-to-GND bridge cut), D9 driven and
// RATE 10|80 switches it. 0 (the default): D9 stays an input, so a board whose
// RATE is tied to GND or VCC cannot be shorted by a wire to D9.
#ifndef BS_RATE_PIN
#define BS_RATE_PIN 0
#endif
#ifndef BS_MOUNT_OFFSET_MM
#define BS_MOUNT_OFFSET_MM 30  // sensor face to the bar's contact line
#endif

#define BS_SONAR_PERIOD_US 60000UL   // HC-SR04 datasheet: >= 60 ms between triggers
#define BS_SONAR_TIMEOUT_US 30000UL  // ~5 m; longer (38 ms no-object pulse) = no echo
#define BS_BOOT_PROBE_MIN_US 200000UL  // >= 3 sonar cycles before HELLO
#define BS_BOOT_PROBE_MAX_US 600000UL  // 10 SPS needs 400 ms settling + 1 period
#define BS_BOOT_PROBE_INTERVALS 4      // conversion intervals the probe rates by (their minimum)
#define BS_RATE_SPLIT_US 35000UL       // an interval below this is 80 SPS (12.5 ms), above is 10
// A channel whose DOUT has not gone low (data ready) for this long is absent:
// longer than 10 SPS settling (400 ms) + one period, so a live chip never is.
#define BS_ABSENT_US 600000UL
// A command line typed with no line ending is taken after this much silence.
#define BS_LINE_IDLE_US 100000UL
