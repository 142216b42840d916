/* The benchmark's .tflite file, linked into the image at build time.
 * 16-byte alignment keeps int32 constants inside the flatbuffer aligned. */
  .section .rodata.model, "a"
  .balign 16
  .global tb_model_data
tb_model_data:
  .incbin MODEL_FILE
  .global tb_model_end
tb_model_end:
  .balign 4
