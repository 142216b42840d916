#include "ee_harness.h"
#include "th_port.h"
#include "tb_baud.h"

#include <string.h>

typedef struct {
  uint32_t cmd_crc;   /* CRC-32 of every command character received, kept or not (without '%') */
  uint32_t reply_crc; /* CRC-32 of every byte sent since the command arrived */
  int crc_active;
  uint32_t text_crc; /* CRC-32 of the command text before a trailing " #<crc>" */
  int has_text_crc;
  tb_interpreter *it;
  tb_bench_id bench;
  unsigned cmd_limit;
  char cmd[EE_CMD_MAX + 1];
  unsigned cmd_len;
  int cmd_overflow;
  uint8_t db[EE_DB_MAX];
  uint32_t db_expected; /* bytes announced by the last db load */
  uint32_t db_received;
  int db_pending;         /* a db load is still waiting for data */
  uint32_t bin_remaining; /* raw bytes of a `db bin` block still to come */
  uint32_t bin_at;        /* where the next one goes in db */
  uint32_t bin_want;      /* the block's CRC-32 as the command announced it */
  uint32_t bin_crc;       /* CRC-32 of the block as received */
  uint32_t db_base;       /* stream offset of db[0]: 0 after db load, moved by db slide */
  int have_results;
  /* The result vector, taken right after the inference: ad01's score compares
   * the reconstruction with the input bytes, which a later db load or db
   * slide overwrites, and `results` must still print what the inference gave. */
  float results[16]; /* the suite's longest vector is kws01's 12 */
  int result_count;
} ee_state;

static ee_state s;
static ee_command_extension extension;
/* Outside s: ee_harness_init clears s, a reboot must not change the flavour. */
static int standard;

void ee_harness_set_standard(int on) { standard = on != 0; }

/* ---- integrity ---------------------------------------------------------- */

/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32) with a 16-entry table:
 * small enough for any MCU, fast enough for a db payload. */
static uint32_t crc32_update(uint32_t crc, const uint8_t *p, unsigned n) {
  static const uint32_t nibble[16] = {0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
                                      0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
                                      0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu};
  crc = ~crc;
  for (unsigned i = 0; i < n; ++i) {
    crc ^= p[i];
    crc = (crc >> 4) ^ nibble[crc & 15u];
    crc = (crc >> 4) ^ nibble[crc & 15u];
  }
  return ~crc;
}

/* ---- output ------------------------------------------------------------ */

static char line[256];
static unsigned line_len;

static void out(const char *str) {
  while (*str && line_len < sizeof line - 2) line[line_len++] = *str++;
}

static void out_u32(uint32_t v) {
  char tmp[11];
  int i = 0;
  do {
    tmp[i++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (i && line_len < sizeof line - 2) line[line_len++] = tmp[--i];
}

/* Fixed-point decimal without printf: round half away at `decimals`. */
static void out_fixed(float v, int decimals) {
  if (v != v) {
    out("nan");
    return;
  }
  if (v < 0) {
    out("-");
    v = -v;
  }
  uint32_t scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  const double scaled = (double)v * scale + 0.5;
  if (scaled >= 4294967295.0) {
    out("inf");
    return;
  }
  const uint32_t q = (uint32_t)scaled;
  out_u32(q / scale);
  if (decimals) {
    out(".");
    uint32_t frac = q % scale;
    char digits[10];
    for (int i = decimals - 1; i >= 0; --i) {
      digits[i] = (char)('0' + frac % 10);
      frac /= 10;
    }
    for (int i = 0; i < decimals; ++i) {
      char d[2] = {digits[i], 0};
      out(d);
    }
  }
}

static void end_line(void) {
  line[line_len++] = '\r';
  line[line_len++] = '\n';
  if (s.crc_active) s.reply_crc = crc32_update(s.reply_crc, (const uint8_t *)line, line_len);
  th_write(line, line_len);
  line_len = 0;
}

static void say(const char *msg);

static void out_hex32(uint32_t v) {
  static const char hex[] = "0123456789abcdef";
  char h[9];
  for (int i = 7; i >= 0; --i) {
    h[i] = hex[v & 15u];
    v >>= 4;
  }
  h[8] = 0;
  out(h);
}

/* Ends a reply: the integrity line (tiny-bench firmware only; standard hosts
 * ignore it), then m-ready, which is not covered. */
static void end_reply(void) {
  s.crc_active = 0;
  if (standard) {
    say("m-ready");
    return;
  }
  out("m-crc-[");
  out_hex32(s.cmd_crc);
  out(",");
  out_hex32(s.reply_crc);
  out("]");
  end_line();
  say("m-ready");
}

static void begin_reply(void) {
  s.reply_crc = 0;
  s.crc_active = 1;
}

static void say(const char *msg) {
  out(msg);
  end_line();
}

/* Every error line starts with a stable token, `e-[<token>: <message>]`:
 * hosts decide what to do (resend a damaged chunk, restart a load, give up)
 * from the token, so the message text may be reworded freely. The tokens
 * are listed in host/protocol/replies.ts (DUT_ERROR_TOKENS). */
static void error2(const char *a, const char *b) {
  out("e-[");
  out(a);
  out(b);
  out("]");
  end_line();
}

static void error(const char *msg) { error2(msg, ""); }

/* ---- timestamps ---------------------------------------------------------- */

static void print_lap(uint32_t us) {
  out("m-lap-us-");
  out_u32(us);
  end_line();
}

static void timestamp(void) {
  if (th_energy_mode()) th_timestamp_edge();
  else print_lap(th_time_us());
}

/* ---- parsing helpers -------------------------------------------------- */

/* Decimal uint32; returns 0 on anything else (sign, overflow, junk). */
static int parse_u32(const char *t, uint32_t *v) {
  uint64_t acc = 0;
  if (!t || !*t) return 0;
  for (; *t; ++t) {
    if (*t < '0' || *t > '9') return 0;
    acc = acc * 10 + (uint64_t)(*t - '0');
    if (acc > 0xFFFFFFFFu) return 0;
  }
  *v = (uint32_t)acc;
  return 1;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Splits in place on single spaces; returns the token count. */
static int tokenize(char *str, char **tok, int max) {
  int n = 0;
  while (*str && n < max) {
    while (*str == ' ') ++str;
    if (!*str) break;
    tok[n++] = str;
    while (*str && *str != ' ') ++str;
    if (*str) *str++ = 0;
  }
  return n;
}

/* ---- commands ------------------------------------------------------------ */

static void cmd_profile(void) {
  out("m-profile-[" EE_FW_VERSION "]");
  end_line();
  out("m-model-[");
  out(tb_bench_name(s.bench));
  out("]");
  end_line();
  if (standard) return;
  /* Ignored by hosts that only match m-profile/m-model; lets ours size db
   * chunks and use the integrity extensions. */
  out("m-cmd-buffer-[");
  out_u32(s.cmd_limit);
  out("]");
  end_line();
  /* The input buffer's size: a host streaming a long input (an ad01 file) sizes its segments to it. */
  out("m-db-buffer-[");
  out_u32(EE_DB_MAX);
  out("]");
  end_line();
  /* What arrives while the harness is busy stays in the port's buffer: a host
   * may send that much ahead (overlapping the next input with this one's run). */
  const unsigned rx = th_rx_buffer_bytes();
  if (rx) {
    out("m-rx-buffer-[");
    out_u32(rx);
    out("]");
    end_line();
  }
  out("m-features-[crc32,db-at,db-bin,db-put,db-window");
  if (tb_baud_available()) out(",baud");
  say("]");
  /* Another line standard hosts ignore: the clock the port runs at. */
  const char *clock = th_clock_note();
  if (clock) {
    out("m-clock-[");
    out(clock);
    out("]");
    end_line();
  }
}

/* Ports that know their clock define th_clock_note; the others get this. */
__attribute__((weak)) const char *th_clock_note(void) { return 0; }
__attribute__((weak)) const char *th_device_name(void) { return EE_VENDOR; }
__attribute__((weak)) unsigned th_rx_buffer_bytes(void) { return 0; }

static void cmd_help(void) {
  say(EE_FW_VERSION);
  say("");
  say("help         : Print this information");
  say("name         : Print the name of the device");
  say("timestamp    : Generate a timestamp");
  say("profile      : Print the firmware and model version");
  say("db load N    : Allocate N bytes for the next input tensor");
  say("db HH[HH]... : Load hex bytes into the input buffer");
  say("db print     : Print the loaded input buffer");
  say("infer N W    : Run W warm-up then N timed inferences (defaults 1 10)");
  say("results      : Print the result vector of the last inference");
  if (standard) return;
  /* tiny-bench extensions (features in m-features; host/protocol is the other side) */
  say("db @O HH.. #C: Load hex bytes at offset O (C: CRC-32 of the text before ' #')");
  say("db bin O L K #C: Take the next L raw bytes at offset O, their CRC-32 K");
  say("db slide F #C: Keep the buffered stream from offset F on (whole-file ad01)");
  say("infer N W @F,S,K: Run K windows from buffer offset F, stride S");
  if (tb_baud_available()) say("baud R #C | baud probe | baud commit: Switch the UART to R baud");
}

static void load_done(void) {
  s.db_pending = 0;
  say("m-load-done");
  if (standard) return;
  /* End-to-end check of the whole buffer (tiny-bench extension). */
  out("m-load-crc-[");
  out_hex32(crc32_update(0, s.db, s.db_received));
  out("]");
  end_line();
}

static int parse_hex32(const char *t, uint32_t *v) {
  uint32_t acc = 0;
  if (strlen(t) != 8) return 0;
  for (int k = 0; k < 8; ++k) {
    const int d = hex_value(t[k]);
    if (d < 0) return 0;
    acc = acc << 4 | (uint32_t)d;
  }
  *v = acc;
  return 1;
}

int ee_command_signed(const char *token) {
  uint32_t want = 0;
  return s.has_text_crc && token[0] == '#' && parse_hex32(token + 1, &want) && want == s.text_crc;
}

/* The command's own checksum when it is the text after the last token the
 * tokenizer keeps (db bin, db put: five tokens before it). */
static int signed_at_end(void) { return s.has_text_crc && ee_command_signed(s.cmd + s.cmd_len - 9); }

/* A db load / db put of `len` bytes fits the buffer; else says so. */
static int db_fits(const char *command, uint32_t len) {
  if (len <= EE_DB_MAX) return 1;
  out("e-[db-size: ");
  out(command);
  out(" ");
  out_u32(len);
  out(" exceeds the buffer of ");
  out_u32(EE_DB_MAX);
  out(" bytes]");
  end_line();
  return 0;
}

/* `db bin <offset> <length> <crc32> #<crc32 of the text>` (tiny-bench
 * extension): after m-bin-ready, the next <length> bytes are raw input, not
 * commands. Their reply follows them: m-bin-done, or an error when their
 * CRC-32 differs (the block stays unwritten in db_received, the host resends
 * it). The command's own checksum is required: a length damaged on the way
 * would otherwise make the harness swallow that many bytes of the commands
 * after it (up to the buffer, 27 648 bytes, when a long input is streamed). */
static void cmd_db_bin(char **tok, int n) {
  uint32_t at, len, want;
  if (n != 5 || !parse_u32(tok[2], &at) || !parse_u32(tok[3], &len) || !parse_hex32(tok[4], &want) || len == 0) {
    error("usage: Expected db bin <offset> <length> <crc32> #<crc32>");
    return;
  }
  if (!signed_at_end()) {
    error("db-crc: db bin command checksum mismatch");
    return;
  }
  if (s.db_expected == 0 || at > s.db_received) {
    error("db-gap: db bin offset must not leave a gap after db load");
    return;
  }
  if ((uint64_t)at + len > s.db_expected) {
    out("e-[db-overflow: db bin block exceeds the ");
    out_u32(s.db_expected);
    out(" bytes announced by db load]");
    end_line();
    return;
  }
  s.bin_at = at;
  s.bin_remaining = len;
  s.bin_want = want;
  s.bin_crc = 0;
  say("m-bin-ready");
}

/* `db put <length> <crc32> #<crc32 of the text>` (tiny-bench extension,
 * feature db-put): `db load <length>` and one `db bin 0 <length> <crc32>`
 * block of all of it in one command. A small input (kws01's 490 bytes) then
 * costs one short command instead of two: the host that sends inputs ahead of
 * their replies is bounded by its own bytes on the wire, and `db load`'s would
 * be 2.5 % of them. The checksum is required, as for db bin. */
static void cmd_db_put(char **tok, int n) {
  uint32_t len, want;
  if (n != 5 || !parse_u32(tok[2], &len) || !parse_hex32(tok[3], &want) || len == 0) {
    error("usage: Expected db put <length> <crc32> #<crc32>");
    return;
  }
  if (!signed_at_end()) {
    error("db-crc: db put command checksum mismatch");
    return;
  }
  if (!db_fits("db put", len)) return;
  s.db_expected = len;
  s.db_received = 0;
  s.db_base = 0;
  s.db_pending = 1;
  s.bin_at = 0;
  s.bin_remaining = len;
  s.bin_want = want;
  s.bin_crc = 0;
  say("m-bin-ready");
}

/* The last byte of a db bin block arrived: its own reply. The integrity line
 * carries the block's CRC where a command reply carries the command's. */
static void finish_bin(void) {
  begin_reply();
  s.cmd_crc = s.bin_crc;
  if (s.bin_crc != s.bin_want) {
    error("db-crc: db bin checksum mismatch");
  } else {
    if (s.bin_at > s.db_received) s.db_received = s.bin_at;
    say("m-bin-done");
    if (s.db_received == s.db_expected) load_done();
  }
  end_reply();
  s.cmd_crc = 0;
}

/* `db slide <from> #<crc32>` (tiny-bench extension, feature db-window): the
 * buffer holds a stretch of a longer input stream (an ad01 file) starting at
 * stream offset db_base; from now on it starts at <from>. Bytes before <from>
 * are dropped, the rest moves to the front, and `db bin` appends after them:
 * a host streams a 102 400-byte file through a buffer of any size, sending
 * each byte once, and runs each window with `infer ... @<offset>`. <from> is
 * absolute, so a resend after a damaged reply changes nothing; the checksum
 * is required, so a command damaged on the way is refused, not executed. */
static void cmd_db_slide(char **tok, int n) {
  uint32_t from;
  if (n != 4 || !parse_u32(tok[2], &from)) {
    error("usage: Expected db slide <from> #<crc32>");
    return;
  }
  if (!ee_command_signed(tok[3])) {
    error("db-crc: db slide checksum mismatch");
    return;
  }
  if (s.db_expected == 0 || from < s.db_base || from - s.db_base > s.db_received) {
    error("db-gap: db slide outside the buffered stretch of the stream");
    return;
  }
  const uint32_t drop = from - s.db_base;
  if (drop) memmove(s.db, s.db + drop, s.db_received - drop);
  s.db_received -= drop;
  s.db_base = from;
  s.db_pending = 0;
  out("m-db-at-[");
  out_u32(s.db_base);
  out(",");
  out_u32(s.db_received);
  out("]");
  end_line();
}

static void cmd_db(char **tok, int n) {
  if (n < 2) {
    error("usage: Command 'db' requires a subcommand");
    return;
  }
  if (!strcmp(tok[1], "load")) {
    uint32_t bytes;
    if (n < 3 || !parse_u32(tok[2], &bytes)) {
      error("usage: Command 'db load' requires the # of bytes");
      return;
    }
    if (bytes == 0) {
      error("usage: Command 'db load' must be >0 bytes");
      return;
    }
    if (!db_fits("db load", bytes)) return;
    s.db_expected = bytes;
    s.db_received = 0;
    s.db_base = 0;
    s.db_pending = 1;
    out("m-[Expecting ");
    out_u32(bytes);
    out(" bytes]");
    end_line();
    return;
  }
  if (!strcmp(tok[1], "bin") && !standard) {
    cmd_db_bin(tok, n);
    return;
  }
  if (!strcmp(tok[1], "put") && !standard) {
    cmd_db_put(tok, n);
    return;
  }
  if (!strcmp(tok[1], "slide") && !standard) {
    cmd_db_slide(tok, n);
    return;
  }
  if (!strcmp(tok[1], "print")) {
    for (uint32_t i = 0; i < s.db_received; i += 8) {
      out("m-buffer");
      for (uint32_t k = i; k < i + 8 && k < s.db_received; ++k) {
        static const char hex[] = "0123456789abcdef";
        char h[4] = {'-', hex[s.db[k] >> 4], hex[s.db[k] & 15], 0};
        out(h);
      }
      end_line();
    }
    return;
  }
  /* Anything else is hex data: `db <hex>` appends; `db @<offset> <hex>`
   * (tiny-bench extension) writes at an offset, so a host can resend a chunk
   * that was damaged on the way without starting the load again. */
  const char *hex = tok[1];
  uint32_t at = s.db_received;
  int positioned = 0;
  if (tok[1][0] == '@' && !standard) {
    if (n < 3 || n > 4 || !parse_u32(tok[1] + 1, &at)) {
      error("usage: Expected db @<offset> <hex> [#<crc32>]");
      return;
    }
    if (n == 4) {
      /* The chunk's own checksum: a chunk damaged on the way (say, in its
       * offset) is refused before it can overwrite good bytes. */
      if (!ee_command_signed(tok[3])) {
        error("db-crc: db chunk checksum mismatch");
        return;
      }
    }
    if (s.db_expected == 0 || at > s.db_received) {
      error("db-gap: db @offset must not leave a gap after db load");
      return;
    }
    hex = tok[2];
    positioned = 1;
  } else if (!s.db_pending) {
    error("db-no-load: db data without a pending db load; send db load N first");
    return;
  } else if (n > 2) {
    error("db-hex: Insufficient number of hex digits");
    return;
  }
  const size_t digits = strlen(hex);
  if (digits % 2) {
    error("db-hex: Insufficient number of hex digits");
    return;
  }
  if (at + digits / 2 > s.db_expected) {
    out("e-[db-overflow: db data exceeds the ");
    out_u32(s.db_expected);
    out(" bytes announced by db load]");
    end_line();
    s.db_pending = 0;
    return;
  }
  for (size_t i = 0; i < digits; i += 2) {
    const int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      char bad[5] = {'\'', hex[i], hex[i + 1], '\'', 0};
      error2("db-hex: Invalid hex digit ", bad);
      if (!positioned) s.db_pending = 0;
      return;
    }
    s.db[at++] = (uint8_t)(hi << 4 | lo);
  }
  if (at > s.db_received) s.db_received = at;
  if (s.db_received == s.db_expected && (s.db_pending || positioned)) load_done();
}

/* After an inference on the input at `input`. */
static void keep_results(const uint8_t *input) {
  const int count = tb_bench_result_count(s.it, s.bench), most = (int)(sizeof s.results / sizeof s.results[0]);
  s.result_count = count < most ? count : most;
  for (int i = 0; i < s.result_count; ++i) s.results[i] = tb_bench_result(s.it, s.bench, input, i);
  s.have_results = 1;
}

static void out_result_values(void) {
  for (int i = 0; i < s.result_count; ++i) {
    if (i) out(",");
    out_fixed(s.results[i], tb_bench_result_decimals(s.bench));
  }
}

static void print_results(void) {
  out("m-results-[");
  out_result_values();
  out("]");
  end_line();
}

/* One inference, its engine work (MACs, outputs, taps) handed to the port's clock. */
void ee_invoke_counted(tb_interpreter *it) {
  const tb_work before = it->work;
  tb_invoke(it);
  tb_work delta;
  for (int k = 0; k < 8; ++k) {
    delta.macs[k] = it->work.macs[k] - before.macs[k];
    delta.taps[k] = it->work.taps[k] - before.taps[k];
    delta.outputs[k] = it->work.outputs[k] - before.outputs[k];
  }
  delta.ops = it->work.ops - before.ops;
  th_account_inference(&delta);
}

static void run_inference(void) { ee_invoke_counted(s.it); }

/* Parses "<a>,<b>,<c>" (decimal). */
static int parse_u32_triple(const char *t, uint32_t v[3]) {
  char part[11];
  for (int k = 0; k < 3; ++k) {
    unsigned len = 0;
    while (*t && *t != ',' && len < sizeof part - 1) part[len++] = *t++;
    part[len] = 0;
    if (!parse_u32(part, &v[k]) || (k < 2 ? *t != ',' : *t != 0)) return 0;
    if (*t) ++t;
  }
  return 1;
}

/* `infer N W @<first>,<stride>,<count>` (tiny-bench extension, feature
 * db-window): the buffer holds a stretch of a longer input (an ad01 file),
 * and the command runs <count> windows of it, at <first>, <first> +
 * <stride>, ... Per window: W warm-ups and N timed inferences, then one line
 * `m-window-[<offset>,<elapsed us>,<crc32 of the window>,<results>]` — the
 * line is printed after the window's timed run, the input conversion and
 * the CRC before it, so each time is the inference only, as with plain
 * infer; the CRC tells the host which bytes the result came from. One
 * command for several windows: on a fast wire the per-command turnaround
 * and the standard reply's eight lines would cost more than the window's
 * 512 new bytes. */
static void infer_windows(const char *spec, uint32_t iterations, uint32_t warmup, uint32_t need) {
  uint32_t v[3];
  if (spec[0] != '@' || !parse_u32_triple(spec + 1, v) || v[1] == 0 || v[2] == 0) {
    error("usage: Expected infer N W @<first>,<stride>,<count>");
    return;
  }
  const uint64_t last = (uint64_t)v[0] + (uint64_t)v[1] * (v[2] - 1) + need;
  if (last > s.db_received) {
    out("e-[input-size: Windows up to byte ");
    out_u32((uint32_t)(last > 0xFFFFFFFFu ? 0xFFFFFFFFu : last));
    out(", the buffer holds ");
    out_u32(s.db_received);
    out("]");
    end_line();
    return;
  }
  for (uint32_t k = 0; k < v[2]; ++k) {
    const uint32_t at = v[0] + k * v[1];
    tb_bench_set_input(s.it, s.bench, s.db + at, need);
    const uint32_t crc = crc32_update(0, s.db + at, need);
    for (uint32_t i = 0; i < warmup; ++i) run_inference();
    const uint32_t t0 = th_time_us();
    for (uint32_t i = 0; i < iterations; ++i) run_inference();
    const uint32_t t1 = th_time_us();
    keep_results(s.db + at);
    out("m-window-[");
    out_u32(at);
    out(",");
    out_u32(t1 - t0);
    out(",");
    out_hex32(crc);
    out(",");
    out_result_values();
    out("]");
    end_line();
  }
}

static void cmd_infer(char **tok, int n) {
  uint32_t iterations = 1, warmup = 10; /* the reference firmware's defaults */
  if (n > 1 && (!parse_u32(tok[1], &iterations) || iterations == 0)) {
    error("usage: Inference iterations must be >0");
    return;
  }
  if (n > 2 && !parse_u32(tok[2], &warmup)) {
    error("usage: Inference warmup must be >=0");
    return;
  }
  const uint32_t need = tb_bench_input_bytes(s.it, s.bench);
  if (n > 3 && !standard) {
    infer_windows(tok[3], iterations, warmup, need);
    return;
  }
  if (s.db_pending || s.db_received != need) {
    out("e-[input-size: Input has ");
    out_u32(s.db_received);
    out(" bytes, expected ");
    out_u32(need);
    out("]");
    end_line();
    return;
  }
  tb_bench_set_input(s.it, s.bench, s.db, need);
  out("m-warmup-start-");
  out_u32(warmup);
  end_line();
  for (uint32_t i = 0; i < warmup; ++i) run_inference();
  say("m-warmup-done");
  out("m-infer-start-");
  out_u32(iterations);
  end_line();
  /* Both laps are printed after the run: sending a line inside the measured
   * window would add UART time to it (about 20 ms at 9600 baud). The host
   * sees the same lines in the same order. */
  uint32_t t0 = 0, t1 = 0;
  if (th_energy_mode()) th_timestamp_edge();
  else t0 = th_time_us();
  for (uint32_t i = 0; i < iterations; ++i) run_inference();
  if (th_energy_mode()) th_timestamp_edge();
  else {
    t1 = th_time_us();
    print_lap(t0);
    print_lap(t1);
  }
  say("m-infer-done");
  keep_results(s.db);
  print_results();
}

static void dispatch(void) {
  char *tok[5];
  begin_reply();
  s.cmd[s.cmd_len] = 0;
  /* Checksum of the text before a trailing " #<8 hex>", taken before tokenizing. */
  s.has_text_crc = s.cmd_len > 10 && s.cmd[s.cmd_len - 10] == ' ' && s.cmd[s.cmd_len - 9] == '#';
  if (s.has_text_crc) s.text_crc = crc32_update(0, (const uint8_t *)s.cmd, s.cmd_len - 10);
  const int n = tokenize(s.cmd, tok, 5);
  if (n == 0) {
    error("usage: Empty command");
  } else if (!strcmp(tok[0], "name")) {
    out("m-name-dut-[");
    out(th_device_name());
    out("]");
    end_line();
  } else if (!strcmp(tok[0], "timestamp")) {
    timestamp();
  } else if (!strcmp(tok[0], "profile")) {
    cmd_profile();
  } else if (!strcmp(tok[0], "help")) {
    cmd_help();
  } else if (!strcmp(tok[0], "db")) {
    cmd_db(tok, n);
  } else if (!strcmp(tok[0], "infer")) {
    cmd_infer(tok, n);
  } else if (!strcmp(tok[0], "baud") && !standard) {
    tb_baud_command(tok, n);
  } else if (!strcmp(tok[0], "results")) {
    if (s.have_results) print_results();
    else error("no-results: No results yet: run infer first");
  } else if (!extension || !extension(tok, n, s.db, s.db_received)) {
    error2("unknown-command: Unknown command: ", tok[0]);
  }
  end_reply();
  tb_baud_after_reply();
}

void ee_harness_rx(const uint8_t *bytes, unsigned len) {
  for (unsigned i = 0; i < len; ++i) {
    const char c = (char)bytes[i];
    if (s.bin_remaining) {
      s.db[s.bin_at++] = bytes[i];
      s.bin_crc = crc32_update(s.bin_crc, &bytes[i], 1);
      if (--s.bin_remaining == 0) finish_bin();
      continue;
    }
    if (c == '%') {
      if (s.cmd_overflow) {
        begin_reply();
        out("e-[too-long: Command longer than ");
        out_u32(s.cmd_limit);
        out(" characters]");
        end_line();
        end_reply();
      } else {
        dispatch();
      }
      s.cmd_len = 0;
      s.cmd_overflow = 0;
      s.cmd_crc = 0;
    } else {
      s.cmd_crc = crc32_update(s.cmd_crc, &bytes[i], 1);
      if (s.cmd_len < s.cmd_limit) s.cmd[s.cmd_len++] = c;
      else s.cmd_overflow = 1;
    }
  }
}

void ee_harness_extend(ee_command_extension handler) { extension = handler; }
void ee_print(const char *text) { out(text); }
void ee_print_u32(uint32_t v) { out_u32(v); }
void ee_end_line(void) { end_line(); }
void ee_say(const char *text) { say(text); }
void ee_error(const char *msg) { error(msg); }

void ee_harness_init(tb_interpreter *it, tb_bench_id bench, unsigned cmd_limit) {
  memset(&s, 0, sizeof s);
  s.it = it;
  s.bench = bench;
  s.cmd_limit = cmd_limit && cmd_limit <= EE_CMD_MAX ? cmd_limit : EE_CMD_MAX;
  tb_baud_reset();
  say(th_energy_mode() ? "m-timestamp-mode-energy" : "m-timestamp-mode-performance");
  timestamp();
  say("m-init-done");
  say("m-ready");
}
