import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { baudFor, readDevicesYaml, readTestsYaml, usbIds } from '../../host/config/mlcommons.js';
import { KNOWN_DEVICES, knownFromYaml, recognise } from '../../host/devices/ports.js';

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tb-yaml-')), 'f.yaml');
  writeFileSync(path, text);
  return path;
}

describe('MLCommons devices.yaml', () => {
  const yaml = file(`- name: my-interface
  type: interface
  preference: 2
  baud: 115200
  usb:
    0x0483: 0x374E
- name: my-monitor
  type: power
  baud: 3686400
  voltage: 3.3
  usb:
    0x0483: 0x5740
- name: my-board
  type: dut
  baud:
    energy: 9600
    performance: 115200
    accuracy: 921600
  usb:
    0x2341:
      - 0x0043
      - 0x0001
`);
  it('reads integer and per-mode baud rates, VID/PID lists, preference and voltage', () => {
    const devices = readDevicesYaml(yaml);
    expect(devices.map((d) => d.name)).toEqual(['my-interface', 'my-monitor', 'my-board']);
    expect(baudFor(devices[0]!, 'energy')).toBe(115200);
    expect(baudFor(devices[2]!, 'accuracy')).toBe(921600);
    expect(baudFor(devices[2]!, 'energy')).toBe(9600);
    expect(devices[1]!.voltage).toBe(3.3);
    expect(usbIds(devices[2]!)).toEqual(['2341:0043', '2341:0001']);
    expect(recognise('2341:0001', knownFromYaml(devices))).toMatchObject({ name: 'my-board', role: 'dut' });
  });
  it('a DUT may name its port: a device path or a network-exported UART', () => {
    const devices = readDevicesYaml(file('- name: rack-a3\n  type: dut\n  port: rfc2217://exporter-7:3003\n- name: desk\n  type: dut\n  port: /dev/ttyACM0\n'));
    expect(devices.map((d) => d.port)).toEqual(['rfc2217://exporter-7:3003', '/dev/ttyACM0']);
    expect(() => readDevicesYaml(file('- name: x\n  type: dut\n  port: telnet://h:23\n'))).toThrow(
      /entry 1, field port: expected a serial device path, rfc2217:\/\/host:port or tcp:\/\/host:port/,
    );
  });
  it('names the entry and field of a mistake', () => {
    expect(() => readDevicesYaml(file('- name: x\n  type: gadget\n'))).toThrow(/f.yaml: entry 1, field type/);
    expect(() => readDevicesYaml(file('- name: x\n  type: dut\n  baud: fast\n'))).toThrow(/entry 1, field baud/);
    expect(() => readDevicesYaml(file('name: x\n'))).toThrow(/must be a list of devices/);
    expect(() => readDevicesYaml(file('- [unclosed\n'))).toThrow(/not readable YAML/);
  });
  it('recognises the built-in boards by VID:PID', () => {
    expect(recognise('0483:5740')?.role).toBe('power');
    expect(recognise('1915:C00A')?.name).toMatch(/PPK2/);
    expect(recognise('dead:beef')).toBeUndefined();
    expect(KNOWN_DEVICES.some((k) => k.role === 'interface')).toBe(true);
  });
});

describe('MLCommons tests_*.yaml', () => {
  it('reads loop counts, infer N W and truth files', () => {
    const plans = readTestsYaml(
      file(`kws01:
  name: kws
  model: kws01
  truth_file: y_labels.csv
  script:
    - loop 5:
      - download
      - infer 70 10
ad01:
  model: ad01
  truth_file: y_labels_alt.csv
  script:
    - loop:
      - download
      - infer 1 0
      - reset 20
`),
    );
    expect(plans.kws01).toEqual({ model: 'kws01', truthFile: 'y_labels.csv', loops: 5, iterations: 70, warmups: 10, stream: false });
    expect(plans.ad01).toMatchObject({ truthFile: 'y_labels_alt.csv', iterations: 1, warmups: 0 });
    expect(plans.ad01!.loops).toBeUndefined();
  });
  it('rejects unknown steps', () => {
    expect(() => readTestsYaml(file('kws01:\n  script:\n    - dance\n'))).toThrow(/kws01: unknown script step "dance"/);
  });
});
