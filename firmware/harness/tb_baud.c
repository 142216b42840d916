#include "tb_baud.h"

#include <string.h>

#include "ee_harness.h"

__attribute__((weak)) uint32_t th_uart_baud(void) { return 0; }
__attribute__((weak)) uint32_t th_uart_set_baud(uint32_t baud, int apply) {
  (void)baud;
  (void)apply;
  return 0;
}
__attribute__((weak)) uint32_t th_wall_ms(void) { return 0; }
__attribute__((weak)) void th_baud_window(uint32_t ms) { (void)ms; }

static struct {
  uint32_t rate;     /* the UART's rate now */
  uint32_t old_rate; /* where an uncommitted switch goes back to */
  uint32_t asked;    /* a switch the last command asked for, done after its reply */
  uint32_t since_ms; /* when the uncommitted rate started */
  int pending;       /* the rate is uncommitted: reverts at since_ms + window */
  int probed;        /* a probe was answered at the uncommitted rate */
} b;

int tb_baud_available(void) { return th_uart_baud() != 0; }

void tb_baud_reset(void) {
  memset(&b, 0, sizeof b);
  b.rate = th_uart_baud();
}

static int parse_rate(const char *t, uint32_t *v) {
  uint32_t acc = 0;
  if (!*t) return 0;
  for (; *t; ++t) {
    if (*t < '0' || *t > '9' || acc > 100000000u) return 0;
    acc = acc * 10 + (uint32_t)(*t - '0');
  }
  *v = acc;
  return acc > 0;
}

static void say_rate(const char *prefix, uint32_t rate) {
  ee_print(prefix);
  ee_print_u32(rate);
  ee_print("]");
  ee_end_line();
}

void tb_baud_command(char **tok, int n) {
  uint32_t want = 0;
  if (!tb_baud_available()) {
    ee_error("baud-unsupported: this port cannot change its UART rate");
  } else if (n == 2 && !strcmp(tok[1], "probe")) {
    if (b.pending) b.probed = 1;
    say_rate("m-baud-probe-[", b.rate);
  } else if (n == 2 && !strcmp(tok[1], "commit")) {
    /* Idempotent: a host whose first commit reply was lost asks again. */
    if (b.pending && !b.probed) {
      ee_error("baud-state: baud commit before baud probe at the new rate");
      return;
    }
    if (b.pending) th_baud_window(0);
    b.pending = 0;
    say_rate("m-baud-commit-[", b.rate);
  } else if (n != 3 || !parse_rate(tok[1], &want)) {
    ee_error("usage: Expected baud <rate> #<crc32>, baud probe or baud commit");
  } else if (!ee_command_signed(tok[2])) {
    /* A digit damaged on the way would switch to a rate the host does not listen at. */
    ee_error("db-crc: baud command checksum mismatch");
  } else if (b.pending) {
    ee_error("baud-state: a rate switch is waiting for baud commit");
  } else {
    /* The port checks the rate now, but switches only after this reply. */
    const uint32_t actual = want == b.rate ? b.rate : th_uart_set_baud(want, 0);
    if (!actual) {
      ee_print("e-[baud-unsupported: ");
      ee_print_u32(want);
      ee_print(" baud is out of this UART's range]");
      ee_end_line();
      return;
    }
    ee_print("m-baud-[");
    ee_print_u32(actual);
    ee_print(",");
    ee_print_u32(b.rate);
    ee_print(",");
    ee_print_u32(actual == b.rate ? 0 : TB_BAUD_WINDOW_MS);
    ee_print("]");
    ee_end_line();
    if (actual != b.rate) b.asked = want;
  }
}

void tb_baud_after_reply(void) {
  if (!b.asked) return;
  const uint32_t want = b.asked;
  b.asked = 0;
  const uint32_t set = th_uart_set_baud(want, 1);
  if (!set) return; /* refused: the old rate stays, the host's probe fails and it falls back */
  b.old_rate = b.rate;
  b.rate = set;
  b.pending = 1;
  b.probed = 0;
  b.since_ms = th_wall_ms();
  th_baud_window(TB_BAUD_WINDOW_MS);
}

void tb_baud_poll(void) {
  if (!b.pending || th_wall_ms() - b.since_ms < TB_BAUD_WINDOW_MS) return;
  b.pending = 0;
  th_baud_window(0);
  const uint32_t set = th_uart_set_baud(b.old_rate, 1);
  if (set) b.rate = set;
}

int tb_baud_pending(void) { return b.pending; }
