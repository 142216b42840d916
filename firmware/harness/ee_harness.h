/* The MLPerf Tiny / EEMBC test-harness protocol, DUT side (protocol
 * reference §1): '%'-terminated commands in, CRLF lines out, every reply
 * ending with m-ready. */
#ifndef EE_HARNESS_H
#define EE_HARNESS_H

#include "tb_bench_io.h"

#ifndef EE_CMD_MAX
/* Largest command buffer compiled in; ports may lower the limit at init. */
#define EE_CMD_MAX 8192
#endif
#ifndef EE_DB_MAX
#define EE_DB_MAX (96 * 96 * 3)
#endif
#define EE_FW_VERSION "tiny-bench firmware 0.1.0"
#define EE_VENDOR "tiny-bench"

/* Prints the boot banner. cmd_limit (<= EE_CMD_MAX) is advertised in the
 * profile reply so a host may send db chunks that fill it. */
void ee_harness_init(tb_interpreter *it, tb_bench_id bench, unsigned cmd_limit);
/* Standard flavour (on != 0): behave like the EEMBC reference harness to a
 * host, without tiny-bench's extension lines (integrity, command buffer,
 * features, buffer CRC) or positioned db chunks. Kept across
 * ee_harness_init, so a reboot stays in the flavour it was given. */
void ee_harness_set_standard(int on);
/* Feeds received bytes; runs a command each time '%' arrives. */
void ee_harness_rx(const uint8_t *bytes, unsigned len);

/* A benchmark's own commands (tb_sww.c), tried before "Unknown command";
 * returns non-zero when it handled the command. Survives ee_harness_init. */
typedef int (*ee_command_extension)(char **tok, int n, const uint8_t *db, uint32_t db_len);
void ee_harness_extend(ee_command_extension handler);
/* Reply output for extensions, covered by the reply's integrity line. */
void ee_print(const char *text);
void ee_print_u32(uint32_t v);
void ee_end_line(void);
void ee_say(const char *line);
void ee_error(const char *msg);
/* Whether `token` is the command's trailing "#<crc32>" and matches the CRC-32
 * of the text before it: extensions that must not act on a damaged copy. */
int ee_command_signed(const char *token);
/* Runs one inference and accounts its work to the port's clock (every caller of the model uses it). */
void ee_invoke_counted(tb_interpreter *it);

#endif
