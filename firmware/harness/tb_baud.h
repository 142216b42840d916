/* Baud switching (tiny-bench extension, feature `baud`): the host proposes a
 * faster UART rate, the DUT answers at the old one, both switch, and the new
 * rate only stays if the host proves at it, within a bounded window, that it
 * hears the DUT (`baud probe`, then `baud commit`). Otherwise the DUT goes
 * back to the old rate by itself, so neither side is left waiting.
 *
 *   baud <rate>   m-baud-[<actual>,<old>,<window ms>]   (sent at the old rate;
 *                 the switch follows the reply's m-ready)
 *   baud probe    m-baud-probe-[<rate now>]
 *   baud commit   m-baud-commit-[<rate>]                 (idempotent)
 */
#ifndef TB_BAUD_H
#define TB_BAUD_H

#include <stdint.h>

/* How long an uncommitted rate stays before the DUT reverts, ms. */
#ifndef TB_BAUD_WINDOW_MS
#define TB_BAUD_WINDOW_MS 1500u
#endif

/* What a port provides (weak defaults in tb_baud.c: no switching). */
/* The UART's rate now; 0 when the port cannot change it (then `baud` is not advertised). */
uint32_t th_uart_baud(void);
/* The rate the UART's divisor gives for `baud` (within 2.5 %), or 0 when it
 * cannot; with apply != 0 it also sets it, once every queued byte has left. */
uint32_t th_uart_set_baud(uint32_t baud, int apply);
/* Milliseconds of real (or emulated) time, wrapping; only differences count. */
uint32_t th_wall_ms(void);
/* Told when a window starts (ms > 0) or ends (0): a port whose idle loop
 * sleeps must call tb_baud_poll within the window (weak default: nothing). */
void th_baud_window(uint32_t ms);

/* Non-zero when the port can switch: `baud` goes into m-features. */
int tb_baud_available(void);
/* At boot: the rate the port started the UART at; no switch pending. */
void tb_baud_reset(void);
/* `baud ...` from the dispatcher; prints its reply lines. */
void tb_baud_command(char **tok, int n);
/* After the reply (and its m-ready) went out: a switch the command asked for happens now. */
void tb_baud_after_reply(void);
/* From the idle loop: reverts an uncommitted rate whose window has passed. */
void tb_baud_poll(void);
/* Non-zero while a window runs (the idle loop must keep polling). */
int tb_baud_pending(void);

#endif
