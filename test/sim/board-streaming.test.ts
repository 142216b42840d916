/** The virtual H573's streaming commands byte for byte, against a stand-in DUT that raises pins on cue. */
import { describe, expect, it } from 'vitest';

import { encodeWav } from '../../datasets/wav.js';
import { createVirtualPair } from '../../host/link/virtual-link.js';
import { BoardStreaming } from '../../host/sim/board-streaming.js';
import { SimClock } from '../../host/sim/sim-clock.js';
import { VirtualInterfaceBoard } from '../../host/sim/virtual-interface-board.js';

function rig(files: Map<string, Uint8Array>) {
  const clock = new SimClock();
  const chunks: number[] = [];
  const usb = createVirtualPair('usb', { clock });
  const uart = createVirtualPair('uart', { clock });
  const streaming = new BoardStreaming({ clock, files, i2s: (_chunk, atUs) => chunks.push(atUs) });
  // The board serves usb.device from its constructor on.
  expect(new VirtualInterfaceBoard({ host: usb.device, dut: uart.host, dutWire: {}, dutBaud: 115200, boardBaud: 115200, streaming })).toBeDefined();
  let text = '';
  usb.host.onData((b) => (text += Buffer.from(b).toString('latin1')));
  const command = async (cmd: string): Promise<string> => {
    text = '';
    await usb.host.write(Buffer.from(`${cmd}%`));
    const t0 = performance.now();
    while (!text.endsWith('m-ready\r\n') && performance.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 2));
    return text;
  };
  clock.start();
  return { clock, streaming, chunks, command, close: () => clock.stop() };
}

const stereo = (frames: number): Uint8Array => encodeWav({ sampleRate: 16000, channels: 2, samples: new Int16Array(frames * 2) });

describe('virtual H573 streaming commands', () => {
  it('plays a 2-channel WAV as 512-frame I2S chunks every 32 ms of virtual time; replies end in bare \\n as the H573', async () => {
    const r = rig(
      new Map([
        ['a.wav', stereo(512 * 4 + 100)],
        ['mono.wav', encodeWav({ sampleRate: 16000, channels: 1, samples: new Int16Array(2048) })],
      ]),
    );
    expect(await r.command('ls')).toBe('a.wav\r\nmono.wav\r\nm-ready\r\n');
    const t0 = r.clock.nowUs;
    expect(await r.command('play a.wav')).toBe('Attempting to play a.wav\nsucceeded.\nm-ready\r\n');
    expect(r.chunks.map((t) => Math.round(t - t0))).toEqual([32000, 64000, 96000, 128000]);
    expect(r.clock.nowUs - t0).toBeGreaterThanOrEqual(128000 + 6250 - 1);
    expect(await r.command('play mono.wav')).toBe(
      'Attempting to play mono.wav\nError playing file. Check that the file exists and is a 2-channel wav file.\nm-ready\r\n',
    );
    expect(await r.command('play nothere.wav')).toMatch(/Error playing file/);
    r.close();
  });

  it('timestamps detections in ms on a 10 µs TIM2 zeroed by record_detections, 10 ms debounce; duty-cycle ticks 8 a line, m-ready glued', async () => {
    const r = rig(new Map());
    r.streaming.detectionEdge(r.clock.nowUs);
    expect(await r.command('record_detections')).toBe('Now recording detections\r\nm-ready\r\n');
    // The command cleared what came before it; zero again here, where the test knows the time.
    expect(r.streaming.detectionsMs).toEqual([]);
    r.streaming.recordDetections();
    const z = r.clock.nowUs;
    for (const ms of [5, 12, 20, 31]) r.streaming.detectionEdge(z + ms * 1000 + 3);
    // Half a tick inside each tick: the virtual clock's time is fractional, so exact tick boundaries would be rounding luck.
    for (let k = 0; k < 9; ++k) {
      r.streaming.dutyEdge(true, z + k * 32000 + 5);
      r.streaming.dutyEdge(false, z + k * 32000 + 1235);
    }
    // 12 is within 10 ms of 5, dropped; 20 is 15 ms after 5, kept; 31 is 11 ms after 20, kept.
    expect(await r.command('print_detections')).toBe('Detection Timestamps (ms)\r\n5,\r\n20,\r\n31,\r\nm-ready\r\n');
    const duty = await r.command('print_dutycycle');
    expect(duty).toBe(
      'Duty cycle start times (s)\r\n0, 3200, 6400, 9600, 12800, 16000, 19200, 22400, \r\n25600, \r\nDuty cycle stop times (s)\r\n123, 3323, 6523, 9723, 12923, 16123, 19323, 22523, \r\n25723, m-ready\r\n',
    );
    r.close();
  });
});
