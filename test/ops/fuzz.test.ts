// Thousands of random bad calls to every native entry point: each one returns or throws a typed
// NnlabError (with a code); none may crash or hang the process.
import { describe, expect, it } from 'vitest';

import { NnlabError } from '../../lib/core/errors.js';
import { native, rng } from '../support/native.js';

const SKIP = new Set(['setErrorClasses', 'NativeTensor', 'setNumThreads']);

describe('bad input never crashes', () => {
  it('5000 random calls with malformed arguments', () => {
    const r = rng(20261122);
    const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
    const tensors = () => {
      const disposed = native.full([2, 2], 1, 'float32', 'cpu');
      disposed.dispose();
      return [
        native.full([2, 3], 1, 'float32', 'cpu'),
        native.full([4], 2, 'float32', 'cpu'),
        native.full([1, 1, 5, 5], 0.5, 'float32', 'cpu'),
        native.full([3], 1, 'int32', 'cpu'),
        native.full([2, 2], 9, 'int32', 'cpu'),
        native.full([3], 1, 'uint8', 'cpu'),
        native.full([], 3, 'float32', 'cpu'),
        native.full([0, 3], 0, 'float32', 'cpu'),
        native.full([2, 3, 4, 5], -1, 'float32', 'cpu'),
        disposed,
      ];
    };
    const fns = Object.keys(native).filter((k) => typeof (native as unknown as Record<string, unknown>)[k] === 'function' && !SKIP.has(k));
    expect(fns.length).toBeGreaterThan(40);
    let threw = 0,
      returned = 0;
    for (let i = 0; i < 5000; i++) {
      const ts = tensors();
      const scalar = () => pick([0, 1, 2, 3, -1, -7, 0.5, NaN, Infinity, -Infinity, 1e15, 2 ** 31, 64]);
      const arg = (): unknown =>
        pick([
          () => pick(ts),
          () => pick(ts),
          () => pick(ts),
          scalar,
          scalar,
          () => pick(['cpu', 'cuda', 'float32', 'relu', 'sum', 'add', 'uniform', 'bogus', '']),
          () => pick([true, false]),
          () => null,
          () => undefined,
          () => ({}),
          () => [scalar(), scalar()].map((v) => (Math.abs(v) > 64 ? 3 : v)),
          () => [pick(ts), pick(ts)],
          () => new Float32Array(3),
          () => new Float64Array(2),
          () => 10n,
        ])();
      const name = pick(fns);
      const args = Array.from({ length: Math.floor(r() * 9) }, arg);
      try {
        const out = (native as unknown as Record<string, (...a: unknown[]) => unknown>)[name](...args);
        returned++;
        for (const o of Array.isArray(out) ? out : [out]) (o as { dispose?: () => void })?.dispose?.();
      } catch (e) {
        threw++;
        if (!(e instanceof NnlabError))
          throw new Error(`${name}(${args.map((a) => typeof a).join(', ')}) threw a non-nnlab error: ${String(e)}`);
        expect(e.code).toMatch(/^ERR_/);
        expect(e.code).not.toBe('ERR_INTERNAL');
      }
      ts.forEach((t) => t.dispose());
    }
    console.log(`fuzz: ${threw} typed errors, ${returned} calls accepted, over ${fns.length} entry points`);
    expect(threw).toBeGreaterThan(4000);
  });
});
