import { describe, expect, it } from 'vitest';

import { ProtocolError } from '../../host/errors.js';
import { parseActivations, parseDetections, parseDutyCycle } from '../../host/protocol/sww.js';

describe('sww01 reply parsing', () => {
  it("reads the activation dump after target activations:, 16 a line, with the reference DUT's echo lines around it", () => {
    const lines = ['Received command: stop', 'Streaming stopped.', 'target activations: ', '[-128, -127, 116, ', '12, -5, ]'];
    expect(parseActivations(lines)).toEqual([-128, -127, 116, 12, -5]);
    expect(() => parseActivations(['Streaming stopped.'])).toThrow(ProtocolError);
  });

  it('reads print_detections: one "<ms>," a line after its header', () => {
    expect(parseDetections(['Detection Timestamps (ms)', '1234,', '5678,'])).toEqual([1234, 5678]);
    expect(parseDetections(['Detection Timestamps (ms)'])).toEqual([]);
    expect(() => parseDetections(['1234,'])).toThrow(/Detection Timestamps/);
    expect(() => parseDetections(['Detection Timestamps (ms)', '12x,'])).toThrow(/'12x' is not a time/);
  });

  it('reads print_dutycycle: 8 values a line, start then stop ticks (m-ready already split off by the board client)', () => {
    const lines = ['Duty cycle start times (s)', '10, 20, 30, 40, 50, 60, 70, 80, ', '90, ', 'Duty cycle stop times (s)', '15, 25, '];
    expect(parseDutyCycle(lines)).toEqual({ startTicks: [10, 20, 30, 40, 50, 60, 70, 80, 90], stopTicks: [15, 25] });
    expect(() => parseDutyCycle(['Duty cycle stop times (s)', '1, '])).toThrow(ProtocolError);
  });
});
