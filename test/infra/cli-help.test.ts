// The CLI on Node's util.parseArgs: help and version exit 0 and print to stdout; unknown flags
// and commands exit 2 with the usage on stderr.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';

import { nnlab } from '../support/cli.js';

describe('nnlab help and version', () => {
  it("--help, -h, help, and each command's --help exit 0 with its usage", () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const r = nnlab(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/usage:[\s\S]*nnlab train[\s\S]*nnlab run[\s\S]*nnlab devices/);
    }
    for (const [args, shown] of [
      [['train', '--help'], 'nnlab train'],
      [['run', '-h'], 'nnlab run'],
      [['help', 'devices'], 'nnlab devices'],
      [['run', 'cnn', '--help'], 'nnlab run'],
    ] as const) {
      const r = nnlab([...args]);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toContain(shown);
      expect(r.stdout).not.toContain(shown === 'nnlab train' ? 'nnlab devices' : 'nnlab train [');
    }
  });

  it("--version prints package.json's version", () => {
    const r = nnlab(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });

  it('unknown flags, commands and help topics exit 2 with the usage', () => {
    for (const args of [['train', '--bogus'], ['frobnicate'], ['help', 'nope'], ['devices', '-x'], ['run', 'cnn', '--quick=yes']]) {
      const r = nnlab(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/usage:/);
    }
    expect(nnlab(['train', '--bogus']).stderr).toMatch(/unknown flag '--bogus'/);
  });
});
