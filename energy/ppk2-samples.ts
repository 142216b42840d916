/**
 * Nordic PPK2 measurement words (protocol reference §3.3): 32-bit little
 * endian, 100 000 per second. Bits 0-13 ADC value (x4), 14-16 range, 18-23 a
 * 6-bit rolling counter (loss detection), 24-31 the digital inputs D0-D7.
 */
export interface Ppk2Calibration {
  /** Per range 0-4 (metadata keys R, GS, GI, O, S, I, UG). */
  r: number[];
  gs: number[];
  gi: number[];
  o: number[];
  s: number[];
  i: number[];
  ug: number[];
}

/** The Nordic app's defaults when metadata lacks a key. */
export const PPK2_DEFAULT_CALIBRATION: Ppk2Calibration = {
  r: [1031.64, 101.65, 10.15, 0.94, 0.043],
  gs: [1, 1, 1, 1, 1],
  gi: [1, 1, 1, 1, 1],
  o: [0, 0, 0, 0, 0],
  s: [0, 0, 0, 0, 0],
  i: [0, 0, 0, 0, 0],
  ug: [1, 1, 1, 1, 1],
};

export const PPK2_SAMPLE_PERIOD_S = 10e-6;

/** Parses the reply to GetMetadata: `key: value` lines up to `END`; `-nan` and absent keys keep the defaults. */
export function parsePpk2Metadata(text: string): Ppk2Calibration {
  const cal: Ppk2Calibration = structuredClone(PPK2_DEFAULT_CALIBRATION);
  const keys: Record<string, keyof Ppk2Calibration> = { R: 'r', GS: 'gs', GI: 'gi', O: 'o', S: 's', I: 'i', UG: 'ug' };
  for (const line of text.split('\n')) {
    const m = /^\s*(R|GS|GI|O|S|I|UG)([0-4])\s*:\s*(\S+)/.exec(line);
    if (!m) continue;
    const value = Number(m[3]);
    if (Number.isFinite(value)) cal[keys[m[1]!]!][Number(m[2])] = value;
  }
  return cal;
}

export interface Ppk2Sample {
  adc: number;
  range: number;
  counter: number;
  digital: number;
}

export function decodePpk2Word(word: number): Ppk2Sample {
  return { adc: (word & 0x3fff) * 4, range: (word >>> 14) & 0x7, counter: (word >>> 18) & 0x3f, digital: (word >>> 24) & 0xff };
}

/** Current in amperes for one sample, the vendor app's formula; vddMv is the source voltage. */
export function ppk2Current(sample: Ppk2Sample, cal: Ppk2Calibration, vddMv: number): number {
  const r = sample.range;
  if (r > 4) throw new RangeError(`PPK2 range ${r} does not exist (0-4)`);
  const k = 1.8 / 163840;
  const x = ((sample.adc - cal.o[r]!) * k) / cal.r[r]!;
  return cal.ug[r]! * (x * (cal.gs[r]! * x + cal.gi[r]!) + (cal.s[r]! * vddMv) / 1000 + cal.i[r]!);
}

export interface Ppk2Decoded {
  currents: Float64Array;
  digital: Uint8Array;
  /** Samples missing according to the rolling counter (gaps, in samples). */
  lost: number;
  /** Where they went missing: [index of the first sample after the gap, samples lost]. */
  gaps: Array<[number, number]>;
}

/** Decodes a run of words: currents, digital inputs, and losses from counter gaps. */
export function decodePpk2Stream(
  bytes: Uint8Array,
  cal: Ppk2Calibration,
  vddMv: number,
  previousCounter?: number,
): Ppk2Decoded & { lastCounter: number | undefined } {
  const n = Math.floor(bytes.length / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, n * 4);
  const currents = new Float64Array(n);
  const digital = new Uint8Array(n);
  let lost = 0;
  const gaps: Array<[number, number]> = [];
  let last = previousCounter;
  for (let k = 0; k < n; ++k) {
    const s = decodePpk2Word(view.getUint32(4 * k, true));
    const gap = last === undefined ? 0 : (s.counter - last - 1 + 64) % 64;
    if (gap) {
      lost += gap;
      gaps.push([k, gap]);
    }
    last = s.counter;
    currents[k] = ppk2Current(s, cal, vddMv);
    digital[k] = s.digital;
  }
  return { currents, digital, lost, gaps, lastCounter: last };
}

/** Sample indexes where digital input `channel` goes from 1 to 0 (the DUT's timestamp pulse). */
export function fallingEdges(digital: Uint8Array, channel: number): number[] {
  const edges: number[] = [];
  for (let k = 1; k < digital.length; ++k) {
    if ((digital[k - 1]! >> channel) & 1 && !((digital[k]! >> channel) & 1)) edges.push(k);
  }
  return edges;
}
