/* The native tools' file reader: the whole file in a 16-aligned buffer (so int32 constants in a
 * flatbuffer are aligned), NULL when it cannot be read. */
#ifndef TB_READ_FILE_H
#define TB_READ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  const long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = aligned_alloc(16, ((size_t)n + 15) & ~(size_t)15);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *len = (size_t)n;
  return buf;
}

#endif
