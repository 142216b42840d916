/* Bounds-checked reader for the subset of the FlatBuffers wire format that a
 * .tflite file uses: tables with vtables, offsets, vectors, scalars.
 * Every accessor checks the buffer length so a truncated or hostile model
 * yields an error, never an out-of-bounds read. */
#ifndef TB_FLATBUFFER_H
#define TB_FLATBUFFER_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  const uint8_t *buf;
  size_t len;
  int bad; /* sticky: set by any out-of-bounds access */
} tb_fb;

/* A table is its absolute position in the buffer; 0 means absent. */
typedef uint32_t tb_fb_table;

typedef struct {
  uint32_t pos; /* first element */
  uint32_t count;
} tb_fb_vector;

tb_fb_table tb_fb_root(tb_fb *fb);
/* Absolute position of field `id` of table t, or 0 when absent. */
uint32_t tb_fb_field(tb_fb *fb, tb_fb_table t, int id);

uint8_t tb_fb_u8(tb_fb *fb, tb_fb_table t, int id, uint8_t dflt);
int8_t tb_fb_i8(tb_fb *fb, tb_fb_table t, int id, int8_t dflt);
int32_t tb_fb_i32(tb_fb *fb, tb_fb_table t, int id, int32_t dflt);
uint32_t tb_fb_u32(tb_fb *fb, tb_fb_table t, int id, uint32_t dflt);
float tb_fb_f32(tb_fb *fb, tb_fb_table t, int id, float dflt);
tb_fb_table tb_fb_subtable(tb_fb *fb, tb_fb_table t, int id);
/* elem_size is checked against the remaining buffer. */
tb_fb_vector tb_fb_vec(tb_fb *fb, tb_fb_table t, int id, uint32_t elem_size);
/* Element i of a vector of tables. */
tb_fb_table tb_fb_vec_table(tb_fb *fb, tb_fb_vector v, uint32_t i);

uint32_t tb_fb_read_u32(tb_fb *fb, uint32_t pos);
int32_t tb_fb_read_i32(tb_fb *fb, uint32_t pos);
int64_t tb_fb_read_i64(tb_fb *fb, uint32_t pos);
float tb_fb_read_f32(tb_fb *fb, uint32_t pos);

#endif
