/* The UART <-> pty bridge. A small one of our own: simavr's uart_pty part
 * runs a thread that can hang on shutdown. Single-threaded: the harness calls
 * bridge_poll() from a simulated-time tick. */
#pragma once
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BRIDGE_BUF 65536
#define BRIDGE_PACE_BYTES 4096   /* fast mode: backlog at which the simulation waits */

typedef struct {
  int master;
  char path[128];
  bool host_open;        /* someone holds the slave open (no POLLHUP on the master) */
  bool block_on_full;    /* fast mode: wait for the host rather than drop bytes */
  volatile sig_atomic_t *stop;   /* set by a signal: stop waiting for the host */
  uint8_t tx[BRIDGE_BUF]; /* device -> host */
  size_t tx_len;
  uint8_t rx[BRIDGE_BUF]; /* host -> device */
  size_t rx_head, rx_tail;
  FILE *tx_log;
  uint64_t tx_bytes, rx_bytes, tx_dropped;
  uint64_t host_opens;
} bridge_t;

int bridge_open(bridge_t *b);           /* 0, or -1 with errno */
/* Reads host bytes, writes device bytes. Returns true when the host has just
 * opened the port (a DTR pulse on a real Uno). */
bool bridge_poll(bridge_t *b, bool may_block);
void bridge_device_byte(bridge_t *b, uint8_t byte);
bool bridge_next_host_byte(bridge_t *b, uint8_t *byte);
void bridge_close(bridge_t *b, double drain_s);
