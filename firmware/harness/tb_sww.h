/* The streaming-wakeword (sww01) mode of the DUT (protocol reference §1.10):
 * start/stop of I2S streaming, per-frame features + model + detection pins,
 * the activation log dumped on stop, and extract_uart_stream for checking the
 * feature extractor over the UART. Commands arrive through ee_harness's
 * extension hook, so name/profile/db and the reply framing stay shared. */
#ifndef TB_SWW_H
#define TB_SWW_H

#include "../engine/tb_engine.h"

#include <stdint.h>

/* Output[0] above this (int8) is a detection, as in the reference. */
#define TB_SWW_DETECT_THRESHOLD 115
#ifndef TB_SWW_LOG_MAX
/* Activations kept for the stop dump: the 1200 s long test is 37 500 frames. */
#define TB_SWW_LOG_MAX 40000
#endif

void tb_sww_init(tb_interpreter *it);
/* Handles start, stop, extract_uart_stream, run_model, state and the pin
 * debug commands; returns 0 for anything else. */
int tb_sww_command(char **tok, int n, const uint8_t *db, uint32_t db_len);
/* One I2S chunk: TB_SWW_HOP stereo int16 frames (left channel used). Ignored
 * unless streaming. */
void tb_sww_i2s_chunk(const int16_t *stereo);
/* Last hop's features before quantization (tests). */
const float *tb_sww_scaled_features(void);
uint32_t tb_sww_frames(void);

#endif
