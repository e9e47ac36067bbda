// Back Station firmware: wiring, baud and build-time choices.
//
// Wiring (ATmega328P: Uno or Nano), see README.md for the diagram:
//   HX711 SCK (both chips)  D4  PD4
//   HX711 DOUT left  (ch 0) D5  PD5
//   HX711 DOUT right (ch 1) D6  PD6
//   HC-SR04 TRIG            D7  PD7
//   HC-SR04 ECHO            D8  PB0 (ICP1, Timer1 input capture)
//   HX711 RATE (both chips) D9  PB1, optional (BS_RATE_PIN 1); tie RATE low
//                           instead for a fixed 10 SPS (set BS_RATE_PIN 0)
// Serial 250000 baud 8N1, protocol v1: "$BODY*CRC\r\n" (docs/protocol.md).
#pragma once

#define BS_FIRMWARE "bs-0.1.0"
#define BS_BAUD 250000UL

#define BS_SCK_PORT PORTD
#define BS_SCK_DDR DDRD
#define BS_SCK_BIT 4
#define BS_DOUT_PIN PIND
#define BS_DOUT_DDR DDRD
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

#ifndef BS_RATE_PIN
#define BS_RATE_PIN 1          // 1: HX711 RATE wired to D9, RATE 10|80 switches it
#endif
#ifndef BS_MOUNT_OFFSET_MM
#define BS_MOUNT_OFFSET_MM 30  // sensor face to the bar's contact line
#endif

#define BS_SONAR_PERIOD_US 60000UL   // HC-SR04 datasheet: >= 60 ms between triggers
#define BS_SONAR_TIMEOUT_US 30000UL  // ~5 m; longer (38 ms no-object pulse) = no echo
#define BS_BOOT_PROBE_MIN_US 200000UL  // >= 3 sonar cycles before HELLO
#define BS_BOOT_PROBE_MAX_US 600000UL  // 10 SPS needs 400 ms settling + 1 period
