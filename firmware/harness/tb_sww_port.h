/* What a port provides for the streaming-wakeword mode (tb_sww.c), on top of
 * th_port.h: the pins the interface board watches and the cost of a hop on
 * simulated targets (protocol reference §1.10, §2.1). */
#ifndef TB_SWW_PORT_H
#define TB_SWW_PORT_H

/* Duty-cycle pin (reference PE9): high while a frame is being processed. */
void th_sww_processing_pin(int high);
/* WW_DETECTED pin (reference PB8): a short low pulse per detection. */
void th_sww_detection_pulse(void);
/* I2S receive on/off (the reference's DMA). */
void th_sww_i2s_enable(int on);
/* Called after each hop's feature extraction; simulated targets advance
 * their virtual clock, real ones ignore it. */
void th_sww_account_features(void);

#endif
