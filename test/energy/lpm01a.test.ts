import { describe, expect, it } from 'vitest';

import { Lpm01aStream } from '../../energy/lpm01a-stream.js';

describe('LPM01A ascii_dec stream', () => {
  it('reads samples as mantissa x 10^exponent, events and TimeStamps with their sample index', () => {
    const s = new Lpm01aStream(1000);
    s.push('PowerShield > ack htc\r\n6409-07\r\n1000-06\r\nevent 1 ris\r\n2500-09\r\nTimeStamp: 001s 000ms, buff 00%\r\n');
    expect(s.samples).toHaveLength(3);
    expect(s.samples[0]).toBeCloseTo(6.409e-4, 12); // 6409 x 10^-7
    expect(s.samples[1]).toBeCloseTo(1e-3, 12);
    expect(s.samples[2]).toBeCloseTo(2.5e-6, 15);
    expect(s.events).toEqual([{ counter: 1, sampleIndex: 2, edge: 'rising' }]);
    expect(s.timestamps).toEqual([{ ms: 1000, sampleIndex: 3, bufferPercent: 0 }]);
    expect(s.messages).toEqual(['ack htc']);
  });

  it('joins a line split across reads', () => {
    const s = new Lpm01aStream();
    s.push('64');
    s.push('09-0');
    s.push('7\r\nev');
    s.push('ent 12 fal\r\n');
    expect(s.samples).toEqual([6409e-7]);
    expect(s.events).toEqual([{ counter: 12, sampleIndex: 1, edge: 'falling' }]);
  });

  it('counts garbled tokens instead of turning them into numbers (no NaN in any sum)', () => {
    const s = new Lpm01aStream();
    s.push('1000-06 09-07\r\n12#4-05\r\n2000-06\r\n');
    expect(s.samples).toEqual([1e-3, 2e-3]);
    expect(s.garbled.map((g) => g.split(' ')[0])).toEqual(['09-07', '12#4-05']);
    expect(s.samples.every(Number.isFinite)).toBe(true);
  });

  it('detects samples missing between TimeStamp lines, including runs past 999 s', () => {
    const s = new Lpm01aStream(1000);
    const second = (n: number): string => `${Array(n).fill('1000-06').join('\r\n')}\r\n`;
    s.push(`TimeStamp: 999s 000ms, buff 00%\r\n${second(1000)}TimeStamp: 1000s 000ms, buff 01%\r\n${second(997)}TimeStamp: 1001s 000ms, buff 00%\r\n`);
    expect(s.lostSamples()).toEqual([{ fromMs: 1_000_000, toMs: 1_001_000, expected: 1000, received: 997 }]);
  });
});
