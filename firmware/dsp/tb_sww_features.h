/* Log-mel features of the MLPerf Tiny streaming-wakeword benchmark (sww01),
 * computed hop by hop as the reference DUT does (protocol reference §1.10):
 * 16 kHz int16 audio, a 1024-sample window moved by 512 samples, pre-emphasis,
 * periodic Hamming window, real FFT, power spectrum, 40 mel bands, log,
 * scaling to [0, 1] and the reference's int8 quantization with its
 * truncating, wrapping cast. No allocation; tables are built once at init. */
#ifndef TB_SWW_FEATURES_H
#define TB_SWW_FEATURES_H

#include <stdint.h>

#define TB_SWW_HOP 512
#define TB_SWW_WINDOW 1024
#define TB_SWW_BINS (TB_SWW_WINDOW / 2 + 1)
#define TB_SWW_MELS 40

typedef struct {
  float block[TB_SWW_WINDOW]; /* the last 1024 samples, scaled to [-1, 1) */
  float before;               /* the sample just before block[0] (pre-emphasis history) */
  float scaled[TB_SWW_MELS];  /* last hop's features before quantization, for tests */
} tb_sww_features;

/* Builds the shared window, twiddle and mel tables (idempotent). */
void tb_sww_features_tables(void);
/* Zeroes the sample history: the state at the start of a stream. */
void tb_sww_features_reset(tb_sww_features *f);
/* Consumes TB_SWW_HOP new samples and writes one int8 feature row quantized
 * with the model's input scale. */
void tb_sww_features_hop(tb_sww_features *f, const int16_t *samples, float input_scale, int8_t out[TB_SWW_MELS]);

/* The reference quantization: (v / scale - 128) cast to int8 by truncation
 * toward zero and wrap-around (the reference's out-of-range float->int8 cast
 * on Cortex-M, made well defined here). */
int8_t tb_sww_quantize(float v, float input_scale);

#endif
