#include "tb_quant.h"
#include "tb_types.h"

#include <math.h>

/* C99 roundf/round round half away from zero exactly; floor(x + 0.5) does
 * not (x + 0.5 can itself round up). */
float tb_roundf(float x) { return roundf(x); }
double tb_round(double x) { return round(x); }

void tb_quantize_multiplier(double real, int32_t *multiplier, int *shift) {
  if (real == 0.0) {
    *multiplier = 0;
    *shift = 0;
    return;
  }
  int exp = 0;
  const double q = frexp(real, &exp);
  int64_t q_fixed = (int64_t)tb_round(q * (double)(1LL << 31));
  if (q_fixed == (1LL << 31)) {
    q_fixed /= 2;
    ++exp;
  }
  if (exp < -31) {
    exp = 0;
    q_fixed = 0;
  }
  *multiplier = (int32_t)q_fixed;
  *shift = exp;
}

void tb_activation_range_int8(int activation, float scale, int32_t zero_point, int32_t *act_min, int32_t *act_max) {
  const int32_t qmin = -128, qmax = 127;
  /* TFLM quantizes the clamp bounds with a float division and round half away. */
  const int32_t q0 = zero_point + (int32_t)tb_roundf(0.0f / scale);
  const int32_t q6 = zero_point + (int32_t)tb_roundf(6.0f / scale);
  const int32_t qm1 = zero_point + (int32_t)tb_roundf(-1.0f / scale);
  const int32_t q1 = zero_point + (int32_t)tb_roundf(1.0f / scale);
  switch (activation) {
    case TB_ACT_RELU:
      *act_min = q0 > qmin ? q0 : qmin;
      *act_max = qmax;
      break;
    case TB_ACT_RELU6:
      *act_min = q0 > qmin ? q0 : qmin;
      *act_max = q6 < qmax ? q6 : qmax;
      break;
    case TB_ACT_RELU_N1_TO_1:
      *act_min = qm1 > qmin ? qm1 : qmin;
      *act_max = q1 < qmax ? q1 : qmax;
      break;
    default:
      *act_min = qmin;
      *act_max = qmax;
      break;
  }
}
