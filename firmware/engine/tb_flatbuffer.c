#include "tb_flatbuffer.h"

#include <string.h>

static int in_bounds(tb_fb *fb, uint32_t pos, uint32_t size) {
  if ((size_t)pos + size > fb->len || (size_t)pos + size < pos) {
    fb->bad = 1;
    return 0;
  }
  return 1;
}

/* Little-endian loads assembled byte by byte: the buffer may sit at any
 * alignment and the target may be big-endian. */
static uint16_t load_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t load_u32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

uint32_t tb_fb_read_u32(tb_fb *fb, uint32_t pos) { return in_bounds(fb, pos, 4) ? load_u32(fb->buf + pos) : 0; }

int32_t tb_fb_read_i32(tb_fb *fb, uint32_t pos) { return (int32_t)tb_fb_read_u32(fb, pos); }

int64_t tb_fb_read_i64(tb_fb *fb, uint32_t pos) {
  if (!in_bounds(fb, pos, 8)) return 0;
  uint64_t lo = load_u32(fb->buf + pos), hi = load_u32(fb->buf + pos + 4);
  return (int64_t)(lo | (hi << 32));
}

float tb_fb_read_f32(tb_fb *fb, uint32_t pos) {
  uint32_t bits = tb_fb_read_u32(fb, pos);
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

tb_fb_table tb_fb_root(tb_fb *fb) {
  uint32_t root = tb_fb_read_u32(fb, 0);
  if (root == 0 || !in_bounds(fb, root, 4)) {
    fb->bad = 1;
    return 0;
  }
  return root;
}

uint32_t tb_fb_field(tb_fb *fb, tb_fb_table t, int id) {
  if (t == 0) return 0;
  int64_t vt = (int64_t)t - (int64_t)tb_fb_read_i32(fb, t);
  if (vt < 0 || !in_bounds(fb, (uint32_t)vt, 4)) {
    fb->bad = 1;
    return 0;
  }
  uint16_t vt_size = load_u16(fb->buf + vt);
  uint32_t entry = 4u + 2u * (uint32_t)id;
  if (entry + 2 > vt_size || !in_bounds(fb, (uint32_t)vt + entry, 2)) return 0;
  uint16_t off = load_u16(fb->buf + vt + entry);
  return off ? t + off : 0;
}

uint8_t tb_fb_u8(tb_fb *fb, tb_fb_table t, int id, uint8_t dflt) {
  uint32_t p = tb_fb_field(fb, t, id);
  return (p && in_bounds(fb, p, 1)) ? fb->buf[p] : dflt;
}

int8_t tb_fb_i8(tb_fb *fb, tb_fb_table t, int id, int8_t dflt) { return (int8_t)tb_fb_u8(fb, t, id, (uint8_t)dflt); }

int32_t tb_fb_i32(tb_fb *fb, tb_fb_table t, int id, int32_t dflt) {
  uint32_t p = tb_fb_field(fb, t, id);
  return p ? tb_fb_read_i32(fb, p) : dflt;
}

uint32_t tb_fb_u32(tb_fb *fb, tb_fb_table t, int id, uint32_t dflt) {
  uint32_t p = tb_fb_field(fb, t, id);
  return p ? tb_fb_read_u32(fb, p) : dflt;
}

float tb_fb_f32(tb_fb *fb, tb_fb_table t, int id, float dflt) {
  uint32_t p = tb_fb_field(fb, t, id);
  return p ? tb_fb_read_f32(fb, p) : dflt;
}

static uint32_t follow(tb_fb *fb, uint32_t p) {
  if (!p) return 0;
  uint32_t off = tb_fb_read_u32(fb, p);
  uint32_t target = p + off;
  if (target < p || !in_bounds(fb, target, 4)) {
    fb->bad = 1;
    return 0;
  }
  return target;
}

tb_fb_table tb_fb_subtable(tb_fb *fb, tb_fb_table t, int id) { return follow(fb, tb_fb_field(fb, t, id)); }

tb_fb_vector tb_fb_vec(tb_fb *fb, tb_fb_table t, int id, uint32_t elem_size) {
  tb_fb_vector v = {0, 0};
  uint32_t p = follow(fb, tb_fb_field(fb, t, id));
  if (!p) return v;
  uint32_t count = tb_fb_read_u32(fb, p);
  if ((uint64_t)count * elem_size > fb->len || !in_bounds(fb, p + 4, count * elem_size)) {
    fb->bad = 1;
    return v;
  }
  v.pos = p + 4;
  v.count = count;
  return v;
}

tb_fb_table tb_fb_vec_table(tb_fb *fb, tb_fb_vector v, uint32_t i) {
  if (i >= v.count) {
    fb->bad = 1;
    return 0;
  }
  return follow(fb, v.pos + 4 * i);
}
