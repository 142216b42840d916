#include "tb_sww_features.h"

#include <math.h>
#include <string.h>

#define FFT_N (TB_SWW_WINDOW / 2) /* complex points of the packed real FFT */
#define PREEMPHASIS 0.96875f
#define MEL_WEIGHTS_MAX (2 * TB_SWW_BINS)

static float hamming[TB_SWW_WINDOW];
static float fft_cos[FFT_N / 2], fft_sin[FFT_N / 2]; /* e^{-2 pi i k / 512} */
static float split_cos[FFT_N], split_sin[FFT_N];     /* e^{-2 pi i k / 1024} */
static uint16_t bitrev[FFT_N];
/* The 513 x 40 mel matrix is sparse (each bin feeds at most two bands):
 * band j covers bins mel_first[j] .. mel_first[j] + mel_count[j] - 1 with
 * weights from mel_weight[mel_offset[j]]. */
static uint16_t mel_first[TB_SWW_MELS], mel_count[TB_SWW_MELS], mel_offset[TB_SWW_MELS];
static float mel_weight[MEL_WEIGHTS_MAX];
static int tables_ready;

static double hz_to_mel(double hz) { return 1127.0 * log(1.0 + hz / 700.0); }

/* TensorFlow's linear_to_mel_weight_matrix(40, 513, 16000, 0, 8000): triangles
 * between 42 evenly spaced mel edges, the DC bin left out. */
static void build_mel(void) {
  const double lo = hz_to_mel(0.0), hi = hz_to_mel(8000.0);
  double edges[TB_SWW_MELS + 2];
  for (int i = 0; i < TB_SWW_MELS + 2; ++i) edges[i] = lo + (hi - lo) * i / (TB_SWW_MELS + 1);
  unsigned used = 0;
  for (int j = 0; j < TB_SWW_MELS; ++j) {
    mel_first[j] = 0;
    mel_count[j] = 0;
    mel_offset[j] = (uint16_t)used;
    for (int k = 1; k < TB_SWW_BINS; ++k) {
      const double mel = hz_to_mel(8000.0 * k / (TB_SWW_BINS - 1));
      const double up = (mel - edges[j]) / (edges[j + 1] - edges[j]);
      const double down = (edges[j + 2] - mel) / (edges[j + 2] - edges[j + 1]);
      const double w = up < down ? up : down;
      if (w <= 0.0) continue;
      if (!mel_count[j]) mel_first[j] = (uint16_t)k;
      /* Bins inside a band are contiguous: the triangle is convex. */
      if (used < MEL_WEIGHTS_MAX) mel_weight[used++] = (float)w;
      mel_count[j]++;
    }
  }
}

void tb_sww_features_tables(void) {
  if (tables_ready) return;
  const double two_pi = 6.283185307179586476925286766559;
  for (int n = 0; n < TB_SWW_WINDOW; ++n) hamming[n] = (float)(0.54 - 0.46 * cos(two_pi * n / TB_SWW_WINDOW));
  for (int k = 0; k < FFT_N / 2; ++k) {
    fft_cos[k] = (float)cos(two_pi * k / FFT_N);
    fft_sin[k] = (float)-sin(two_pi * k / FFT_N);
  }
  for (int k = 0; k < FFT_N; ++k) {
    split_cos[k] = (float)cos(two_pi * k / TB_SWW_WINDOW);
    split_sin[k] = (float)-sin(two_pi * k / TB_SWW_WINDOW);
  }
  int bits = 0;
  while ((1 << bits) < FFT_N) ++bits;
  for (int i = 0; i < FFT_N; ++i) {
    unsigned r = 0;
    for (int b = 0; b < bits; ++b) r |= (unsigned)((i >> b) & 1) << (bits - 1 - b);
    bitrev[i] = (uint16_t)r;
  }
  build_mel();
  tables_ready = 1;
}

void tb_sww_features_reset(tb_sww_features *f) { memset(f, 0, sizeof *f); }

/* In-place iterative radix-2 FFT of FFT_N complex points. */
static void fft(float *re, float *im) {
  for (int i = 0; i < FFT_N; ++i) {
    const int j = bitrev[i];
    if (j > i) {
      float t = re[i];
      re[i] = re[j];
      re[j] = t;
      t = im[i];
      im[i] = im[j];
      im[j] = t;
    }
  }
  for (int len = 2; len <= FFT_N; len <<= 1) {
    const int half = len >> 1, step = FFT_N / len;
    for (int start = 0; start < FFT_N; start += len) {
      for (int k = 0; k < half; ++k) {
        const float wr = fft_cos[k * step], wi = fft_sin[k * step];
        const int a = start + k, b = a + half;
        const float tr = re[b] * wr - im[b] * wi, ti = re[b] * wi + im[b] * wr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
      }
    }
  }
}

int8_t tb_sww_quantize(float v, float input_scale) {
  const float q = v / input_scale - 128.0f;
  const int32_t t = (int32_t)q; /* |q| < 2^31 here, so the conversion is defined; it truncates */
  return (int8_t)(uint8_t)((uint32_t)t & 0xFFu);
}

void tb_sww_features_hop(tb_sww_features *f, const int16_t *samples, float input_scale, int8_t out[TB_SWW_MELS]) {
  static float re[FFT_N], im[FFT_N], power[TB_SWW_BINS];
  f->before = f->block[TB_SWW_HOP - 1];
  memmove(f->block, f->block + TB_SWW_HOP, TB_SWW_HOP * sizeof f->block[0]);
  for (int i = 0; i < TB_SWW_HOP; ++i) f->block[TB_SWW_HOP + i] = (float)samples[i] / 32768.0f;
  /* Pre-emphasis and window, packed as z[n] = x[2n] + i x[2n+1]. */
  float prev = f->before;
  for (int n = 0; n < TB_SWW_WINDOW; ++n) {
    const float x = f->block[n];
    const float y = (x - PREEMPHASIS * prev) * hamming[n];
    prev = x;
    if (n & 1) im[n >> 1] = y;
    else re[n >> 1] = y;
  }
  fft(re, im);
  /* Unpack the real spectrum: X[k] = E[k] + W^k O[k]. */
  for (int k = 0; k <= FFT_N; ++k) {
    const int a = k % FFT_N, b = (FFT_N - k) % FFT_N;
    const float er = 0.5f * (re[a] + re[b]), ei = 0.5f * (im[a] - im[b]);
    const float or_ = 0.5f * (im[a] + im[b]), oi = -0.5f * (re[a] - re[b]);
    float wr, wi;
    if (k < FFT_N) {
      wr = split_cos[k];
      wi = split_sin[k];
    } else {
      wr = -1.0f;
      wi = 0.0f;
    }
    const float xr = er + wr * or_ - wi * oi, xi = ei + wr * oi + wi * or_;
    power[k] = (xr * xr + xi * xi) / (float)TB_SWW_WINDOW;
  }
  for (int j = 0; j < TB_SWW_MELS; ++j) {
    float m = 0.0f;
    const float *w = mel_weight + mel_offset[j];
    for (int i = 0; i < mel_count[j]; ++i) m += power[mel_first[j] + i] * w[i];
    const float db = 10.0f * log10f(m > 1e-30f ? m : 1e-30f);
    float v = (db + 52.0f) / 64.0f;
    v = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
    f->scaled[j] = v;
    out[j] = tb_sww_quantize(v, input_scale);
  }
}
