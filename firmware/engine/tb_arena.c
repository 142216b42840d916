/* Static arena planner: every non-constant tensor gets an offset such that
 * tensors alive at the same time never overlap. Greedy: largest first, lowest
 * fitting offset, 16-byte aligned. Runs once at load time. */
#include "tb_engine.h"
#include "kernels/tb_kernels.h"

#define TB_ALIGN 16u

static uint32_t align_up(uint32_t v) { return (v + TB_ALIGN - 1) & ~(TB_ALIGN - 1); }

static void mark_use(tb_tensor *t, int16_t step) {
  if (t->first_use < 0 || step < t->first_use) t->first_use = step;
  if (step > t->last_use) t->last_use = step;
}

tb_status tb_plan_arena(tb_interpreter *it) {
  /* The input is live from before op 0; the output until after the last op. */
  mark_use(&it->tensors[it->input], 0);
  for (uint16_t i = 0; i < it->nops; ++i) {
    const tb_op *op = &it->ops[i];
    for (int k = 0; k < op->ninputs; ++k)
      if (op->inputs[k] >= 0) mark_use(&it->tensors[op->inputs[k]], (int16_t)i);
    for (int k = 0; k < op->noutputs; ++k) mark_use(&it->tensors[op->outputs[k]], (int16_t)i);
  }
  mark_use(&it->tensors[it->output], (int16_t)it->nops);
  /* The harness runs several inferences on one loaded input (warm-up, then
   * N timed runs), so the input must survive every invoke. */
  mark_use(&it->tensors[it->input], (int16_t)it->nops);

  uint8_t placed[TB_MAX_TENSORS] = {0};
  uint32_t high_water = 0;
  for (;;) {
    int best = -1;
    for (uint16_t i = 0; i < it->ntensors; ++i) {
      const tb_tensor *t = &it->tensors[i];
      if (placed[i] || t->const_data || t->first_use < 0) continue;
      if (best < 0 || t->bytes > it->tensors[best].bytes) best = i;
    }
    if (best < 0) break;
    tb_tensor *t = &it->tensors[best];
    uint32_t offset = 0;
    /* Retry from each conflicting block's end until no live tensor overlaps. */
    for (int moved = 1; moved;) {
      moved = 0;
      for (uint16_t j = 0; j < it->ntensors; ++j) {
        const tb_tensor *o = &it->tensors[j];
        if (!placed[j]) continue;
        const int lifetimes_overlap = !(o->last_use < t->first_use || t->last_use < o->first_use);
        const uint32_t o_start = (uint32_t)o->arena_offset, o_end = o_start + o->bytes;
        if (lifetimes_overlap && offset < o_end && o_start < offset + t->bytes) {
          offset = align_up(o_end);
          moved = 1;
        }
      }
    }
    t->arena_offset = (int32_t)offset;
    placed[best] = 1;
    if (offset + t->bytes > high_water) high_water = offset + t->bytes;
  }
  it->arena_used = align_up(high_water);
  /* Kernel scratch is read with 8-byte loads: align its address, not just its offset. */
  it->scratch_offset =
      (uint32_t)(it->arena_used + ((TB_ALIGN - ((uintptr_t)(it->arena + it->arena_used) & (TB_ALIGN - 1))) & (TB_ALIGN - 1)));
  it->arena_used = it->scratch_offset;
  if (it->arena_used > it->arena_len) {
    tb_op_error(it, "arena", "too small for this model; see arena_used");
    return TB_ERR_ARENA;
  }
  return TB_OK;
}
