import { describe, expect, it } from 'vitest';

import { ProtocolError, WrongAnswerError } from '../../host/errors.js';
import { lapDeltaUs, parseDutError, parseExpecting, parseInferReply, parseName, parseProfile, parseResultValues } from '../../host/protocol/replies.js';

describe('result vectors', () => {
  it("tolerates the reference vww01 firmware's trailing comma", () => {
    expect(parseResultValues('m-results-[0.012,0.988,]')).toEqual([0.012, 0.988]);
  });
  it('parses kws-style digit-by-digit values and ad01 scores', () => {
    expect(parseResultValues('m-results-[0.000,0.996,0.004]')).toEqual([0, 0.996, 0.004]);
    expect(parseResultValues('m-results-[10.090348]')).toEqual([10.090348]);
  });
  it.each([
    ['m-results-[nan]', /not a finite number/],
    ['m-results-[inf,0.1]', /not a finite number/],
    ['m-results-[0.1,0x10]', /not a finite number/],
    ['m-results-[0.1;0.2]', /not a finite number/],
    ['m-results-0.1,0.2', /Not a results line/],
  ])('rejects %s', (line, message) => {
    expect(() => parseResultValues(line)).toThrow(message);
  });
});

describe('identification', () => {
  it('finds name and profile lines among others and reads the advertised buffer', () => {
    expect(parseName(['junk', 'm-name-dut-[unspecified]'])).toBe('unspecified');
    expect(parseProfile(['m-profile-[ULPMark for tinyML Firmware V0.0.1]', 'm-model-[kws01]'])).toEqual({
      firmware: 'ULPMark for tinyML Firmware V0.0.1',
      model: 'kws01',
    });
    expect(parseProfile(['m-model-[ad01]', 'm-cmd-buffer-[1024]']).commandBuffer).toBe(1024);
    expect(parseProfile(['m-model-[ic02]', 'm-clock-[core 16000000 Hz, HSI fallback: PLL did not lock]']).clock).toBe(
      'core 16000000 Hz, HSI fallback: PLL did not lock',
    );
    expect(parseProfile(['m-model-[ic02]'])).not.toHaveProperty('clock');
  });
  it('reads the RX buffer a DUT advertises, and none when it does not say', () => {
    expect(parseProfile(['m-model-[kws01]', 'm-rx-buffer-[4095]', 'm-features-[crc32,db-put]']).rxBuffer).toBe(4095);
    expect(parseProfile(['m-model-[kws01]', 'm-db-buffer-[27648]'])).not.toHaveProperty('rxBuffer');
    // A malformed line is no advertisement: the host then never sends ahead.
    expect(parseProfile(['m-model-[kws01]', 'm-rx-buffer-[4k]'])).not.toHaveProperty('rxBuffer');
  });
  it('rejects malformed identification replies', () => {
    expect(() => parseName(['m-name-dut-'])).toThrow(ProtocolError);
    expect(() => parseProfile(['m-profile-[x]'])).toThrow(/m-model/);
    expect(() => parseExpecting(['m-[Expecting 12 bytes]'], 13)).toThrow(/expects 12 bytes/);
    expect(() => parseExpecting(['m-ok'], 13)).toThrow(/did not acknowledge/);
  });
});

describe('infer replies', () => {
  const good = ['m-warmup-start-2', 'm-warmup-done', 'm-infer-start-5', 'm-lap-us-100', 'm-lap-us-600', 'm-infer-done', 'm-results-[0.5,0.5]'];
  it('parses the full sequence', () => {
    expect(parseInferReply(good, 5, 2)).toEqual({ warmups: 2, iterations: 5, laps: [100, 600], results: [0.5, 0.5] });
  });
  it.each([
    ['a missing lap', good.filter((l) => l !== 'm-lap-us-600'), /1 m-lap-us stamps/],
    ['a wrong echoed count', good.map((l) => (l === 'm-infer-start-5' ? 'm-infer-start-4' : l)), /inference count 4/],
    ['no m-infer-done', good.filter((l) => l !== 'm-infer-done'), /no m-infer-done/],
    ['no results', good.filter((l) => !l.startsWith('m-results')), /no m-results/],
  ])('rejects %s', (_, lines, message) => {
    expect(() => parseInferReply(lines, 5, 2)).toThrow(message);
  });
  it('accepts no laps in energy mode', () => {
    expect(
      parseInferReply(
        good.filter((l) => !l.startsWith('m-lap')),
        5,
        2,
        true,
      ).laps,
    ).toEqual([]);
  });
});

describe('lap deltas', () => {
  it('subtracts within the counter range', () => {
    expect(lapDeltaUs(1000, 11_001_000)).toBe(11_000_000);
  });
  it('handles one wrap of the 32-bit microsecond counter', () => {
    // 4294967296 - 4294000000 = 967296 us before the wrap, plus 10000000 after it
    expect(lapDeltaUs(4_294_000_000, 10_000_000)).toBe(10_967_296);
    expect(lapDeltaUs(4_294_967_295, 0)).toBe(1);
  });
  it('rejects stamps outside the counter', () => {
    expect(() => lapDeltaUs(2 ** 32, 5)).toThrow(/outside the 32-bit/);
  });
  it('tells a wrap from a timer that ran backwards by what the command could have taken', () => {
    // issue 12 #2: a second lap 500 us below the first would be a 4294.97 s "wrap" for a 120 s probe.
    expect(() => lapDeltaUs(1000, 500, 120e6)).toThrow(WrongAnswerError);
    expect(() => lapDeltaUs(1000, 500, 120e6)).toThrow(
      /below the first \(1000\), so the DUT's timer ran backwards \(as a 32-bit wrap it would mean 4294\.97 s, longer than the 120 s/,
    );
    // A real wrap inside an 11 s window of a command allowed 32 s is fine.
    expect(lapDeltaUs(4_294_000_000, 10_000_000, 32e6)).toBe(10_967_296);
  });
});

describe('error tokens (issue 13 #4)', () => {
  it.each([
    ['e-[db-gap: db @offset must not leave a gap after db load]', 'db-gap', 'load-lost', 'db @offset must not leave a gap after db load'],
    // Reworded messages keep their meaning: the decision follows the token.
    ['e-[db-gap: offset beyond what was received]', 'db-gap', 'load-lost', 'offset beyond what was received'],
    ['e-[input-size: Input has 100 bytes, expected 490]', 'input-size', 'load-lost', 'Input has 100 bytes, expected 490'],
    ['e-[db-no-load: no load pending]', 'db-no-load', 'load-lost', 'no load pending'],
    ['e-[db-crc: db chunk checksum mismatch]', 'db-crc', 'damaged', 'db chunk checksum mismatch'],
    ['e-[unknown-command: Unknown command: nmae]', 'unknown-command', 'damaged', 'Unknown command: nmae'],
    ['e-[db-size: db load 30000 exceeds the buffer of 27648 bytes]', 'db-size', 'refused', 'db load 30000 exceeds the buffer of 27648 bytes'],
    ['e-[model: unsupported operator 97]', 'model', 'refused', 'unsupported operator 97'],
  ])('%s', (line, token, kind, message) => {
    expect(parseDutError(line)).toEqual({ token, kind, message });
  });

  it('standard firmware without tokens: the message as it is, kind unknown (old wording no longer decides)', () => {
    expect(parseDutError('e-[Input has 100 bytes, expected 490]')).toEqual({ kind: 'unknown', message: 'Input has 100 bytes, expected 490' });
    expect(parseDutError("e-[Command 'db' requires a subcommand]")).toEqual({ kind: 'unknown', message: "Command 'db' requires a subcommand" });
    // Something shaped like a token that is not one stays part of the message.
    expect(parseDutError('e-[note: whatever]')).toEqual({ kind: 'unknown', message: 'note: whatever' });
    expect(parseDutError('m-ready')).toBeUndefined();
  });
});
