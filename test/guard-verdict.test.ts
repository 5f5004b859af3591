// The instruction-count guard (bench/guard.mjs) flags rises over 5% and drops over 20%.
import { describe, expect, it } from 'vitest';

// @ts-expect-error: a plain .mjs module of the bench scripts, without types
import { verdict } from '../bench/guard-verdict.mjs';

describe('bench guard verdict', () => {
  it('passes changes within +5% / -20%', () => {
    expect(verdict(1_000_000, 1_000_000).status).toBe('ok');
    expect(verdict(1_049_000, 1_000_000).status).toBe('ok');
    expect(verdict(810_000, 1_000_000).status).toBe('ok');
  });
  it('flags a rise over 5%', () => {
    expect(verdict(1_051_000, 1_000_000)).toEqual({ change: expect.closeTo(0.051, 6), status: 'rise' });
  });
  it('flags a drop over 20% (a kernel that stopped doing its work)', () => {
    expect(verdict(790_000, 1_000_000).status).toBe('drop');
    expect(verdict(0, 1_000_000).status).toBe('drop');
  });
  it('a workload without a baseline is new, not a failure', () => {
    expect(verdict(5, undefined)).toEqual({ change: null, status: 'new' });
  });
});
