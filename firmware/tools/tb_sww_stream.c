/* Native driver for the sww01 feature extractor and model: raw int16 LE mono
 * samples in (a file), per 512-sample hop one line "f0 ... f39 | o0 o1 o2" of
 * the int8 features and model outputs out, with the DUT's sliding 30 x 40
 * window. Used by the sanitizer test; not part of any firmware. */
#include "../dsp/tb_sww_features.h"
#include "../engine/tb_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tb_read_file.h"

static uint8_t arena[64 * 1024];
static tb_interpreter interp;
static tb_sww_features features;

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: tb_sww_stream <str_ww_ref_model.tflite> <samples.s16le>\n");
    return 2;
  }
  size_t model_len, audio_len;
  uint8_t *model = read_file(argv[1], &model_len);
  uint8_t *audio = read_file(argv[2], &audio_len);
  if (!model || !audio) {
    fprintf(stderr, "cannot read the model or the samples\n");
    return 2;
  }
  if (tb_load(&interp, model, model_len, arena, sizeof arena) != TB_OK) {
    fprintf(stderr, "model error: %s\n", interp.error);
    return 1;
  }
  tb_sww_features_tables();
  tb_sww_features_reset(&features);
  int8_t *in = tb_input_data(&interp);
  const uint32_t n = tb_input(&interp)->elements;
  memset(in, 0, n);
  for (size_t at = 0; at + 2 * TB_SWW_HOP <= audio_len; at += 2 * TB_SWW_HOP) {
    int16_t mono[TB_SWW_HOP];
    int8_t row[TB_SWW_MELS];
    for (int i = 0; i < TB_SWW_HOP; ++i)
      mono[i] = (int16_t)(uint16_t)(audio[at + 2 * (size_t)i] | (uint16_t)audio[at + 2 * (size_t)i + 1] << 8);
    tb_sww_features_hop(&features, mono, tb_input(&interp)->scale, row);
    memmove(in, in + TB_SWW_MELS, n - TB_SWW_MELS);
    memcpy(in + n - TB_SWW_MELS, row, TB_SWW_MELS);
    tb_invoke(&interp);
    for (int j = 0; j < TB_SWW_MELS; ++j) printf("%d ", row[j]);
    const int8_t *y = tb_output_data(&interp);
    printf("| %d %d %d\n", y[0], y[1], y[2]);
  }
  free(model);
  free(audio);
  return 0;
}
