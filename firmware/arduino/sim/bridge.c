#define _GNU_SOURCE
#include "bridge.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

int bridge_open(bridge_t *b) {
  int slave;
  if (openpty(&b->master, &slave, NULL, NULL, NULL) < 0) return -1;
  struct termios tio;
  if (tcgetattr(slave, &tio) == 0) {
    cfmakeraw(&tio);
    tcsetattr(slave, TCSANOW, &tio);
  }
  const char *name = ttyname(slave);
  snprintf(b->path, sizeof b->path, "%s", name ? name : "?");
  close(slave);   /* from now on POLLHUP on the master means nobody holds the port */
  fcntl(b->master, F_SETFL, fcntl(b->master, F_GETFL) | O_NONBLOCK);
  return 0;
}

/* Fast mode is paced by the host: past BRIDGE_PACE_BYTES of backlog the
 * simulation waits for the host to read, however long it takes (a loaded
 * machine may not schedule the host for seconds), so no byte is dropped and
 * simulated time never runs far ahead of what the host has seen. It stops
 * waiting when the host closes the port or the harness is told to stop. */
static void write_out(bridge_t *b, bool may_block) {
  while (b->tx_len) {
    ssize_t n = write(b->master, b->tx, b->tx_len);
    if (n > 0) {
      memmove(b->tx, b->tx + n, b->tx_len - (size_t)n);
      b->tx_len -= (size_t)n;
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) break;
    if (!may_block || b->tx_len <= BRIDGE_PACE_BYTES) break;
    if (b->stop && *b->stop) break;
    struct pollfd p = {b->master, POLLOUT, 0};
    int ready = poll(&p, 1, 50);
    if (ready < 0 && errno != EINTR) break;
    if (ready > 0 && (p.revents & (POLLHUP | POLLERR))) break;
  }
}

bool bridge_poll(bridge_t *b, bool may_block) {
  struct pollfd p = {b->master, POLLIN, 0};
  poll(&p, 1, 0);
  bool open = !(p.revents & POLLHUP);
  bool opened = open && !b->host_open;
  b->host_open = open;
  if (opened) b->host_opens++;
  if (!open) {
    b->tx_dropped += b->tx_len;   /* a board with nobody listening: bytes go nowhere */
    b->tx_len = 0;
    return false;
  }
  if (p.revents & POLLIN) {
    uint8_t buf[512];
    ssize_t n = read(b->master, buf, sizeof buf);
    for (ssize_t i = 0; i < n; i++) {
      size_t next = (b->rx_head + 1) % BRIDGE_BUF;
      if (next == b->rx_tail) break;
      b->rx[b->rx_head] = buf[i];
      b->rx_head = next;
      b->rx_bytes++;
    }
  }
  write_out(b, may_block && b->block_on_full);
  return opened;
}

void bridge_device_byte(bridge_t *b, uint8_t byte) {
  if (b->tx_log) fputc(byte, b->tx_log);
  b->tx_bytes++;
  if (b->tx_len < BRIDGE_BUF) b->tx[b->tx_len++] = byte;
  else b->tx_dropped++;
}

bool bridge_next_host_byte(bridge_t *b, uint8_t *byte) {
  if (b->rx_tail == b->rx_head) return false;
  *byte = b->rx[b->rx_tail];
  b->rx_tail = (b->rx_tail + 1) % BRIDGE_BUF;
  return true;
}

void bridge_close(bridge_t *b, double drain_s) {
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (b->tx_len && b->host_open) {   /* give the host a moment for the last bytes */
    bridge_poll(b, false);
    clock_gettime(CLOCK_MONOTONIC, &t);
    if ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 > drain_s) break;
    usleep(2000);
  }
  close(b->master);
  b->master = -1;
}
