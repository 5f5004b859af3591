// A randomized loop of bad calls over the public API for a bounded time (NNLAB_BADCALL_SECONDS,
// default 5): shapes near the 64-bit overflow, odd strides, wrong dtypes, disposed tensors, and
// tensors handed to and from worker threads. Every call must return or throw an NnlabError; a
// crash fails the test (the loop runs in this process). test/fuzz.test.ts covers the raw addon.
import { describe, expect, it } from 'vitest';

import * as api from '../../lib/index.js';
import { NnlabError, ops } from '../../lib/index.js';
import { rng } from '../support/native.js';

const SECONDS = Number(process.env.NNLAB_BADCALL_SECONDS ?? 5);

describe('randomized bad calls over the public API', () => {
  it(`returns or throws NnlabError for ${SECONDS} s of random calls`, () => {
    const r = rng(24);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
    // Sizes either overflow or exceed any machine (2**45 floats = 128 TiB): none may be allocated for
    // real on a shared test machine, and each must be refused at once.
    const huge = [2 ** 45, 2 ** 53 - 1, 2 ** 62, 2 ** 63, -1, -(2 ** 40), 1e300, NaN, Infinity, 0, 1, 3];
    const shapes = (): number[] =>
      pick([
        () => [pick(huge)],
        () => [pick(huge), pick(huge)],
        () => [2 ** 30, 2 ** 30, 2 ** 30],
        () => [2 ** 25, 2 ** 39],
        () => [0, 3],
        () => [2, 3],
        () => [],
        () => [1.5],
        () => [3, -2],
        () => Array.from({ length: 9 }, () => 2),
      ])();
    const makeTensors = () => {
      const disposed = api.zeros([2, 2]);
      disposed.dispose();
      return [
        api.zeros([2, 3]),
        api.ones([4]),
        api.zeros([1, 1, 5, 5]),
        api.tensor(Int32Array.from([1, 2, 3]), [3]),
        api.tensor(Uint8Array.from([1, 2]), [2]),
        api.zeros([]),
        api.zeros([0, 3]),
        disposed,
      ];
    };
    const opNames = Object.keys(ops).filter((k) => typeof (ops as Record<string, unknown>)[k] === 'function');
    const factories = ['zeros', 'ones', 'full', 'rand', 'randn', 'tensor', 'arange'].filter(
      (k) => typeof (api as Record<string, unknown>)[k] === 'function',
    );
    expect(opNames.length).toBeGreaterThan(30);
    const deadline = performance.now() + SECONDS * 1000;
    let calls = 0,
      threw = 0;
    while (performance.now() < deadline) {
      const ts = makeTensors();
      const arg = (): unknown =>
        pick([
          () => pick(ts),
          () => pick(ts),
          shapes,
          () => pick(huge),
          () => pick(['float32', 'int32', 'uint8', 'float64', 'cuda', 'cpu', '']),
          () => ({ dim: pick(huge), keepdim: true, stride: [pick(huge), 1], padding: pick(huge) }),
          () => null,
          () => undefined,
          () => [pick(ts), pick(ts)],
          () => new Float32Array(3),
        ])();
      const useFactory = r() < 0.3;
      const name = useFactory ? pick(factories) : pick(opNames);
      const fn = (useFactory ? api : ops) as unknown as Record<string, (...a: unknown[]) => unknown>;
      const args = Array.from({ length: Math.floor(r() * 5) }, arg);
      try {
        const out = fn[name](...args);
        for (const o of Array.isArray(out) ? out : [out]) (o as { dispose?: () => void })?.dispose?.();
      } catch (e) {
        threw++;
        if (!(e instanceof NnlabError)) {
          // Plain JS mistakes (calling a method on a number) are TypeErrors of the caller's making, not crashes.
          if (e instanceof TypeError || e instanceof RangeError) continue;
          throw new Error(`${name}(${args.map((a) => (Array.isArray(a) ? `[${a.join(',')}]` : typeof a)).join(', ')}) threw ${String(e)}`);
        }
        expect(e.code).not.toBe('ERR_INTERNAL');
      } finally {
        calls++;
        ts.forEach((t) => t.dispose());
      }
    }
    console.log(`${calls} random public-API calls in ${SECONDS} s, ${threw} refused with an error, no crash`);
    expect(calls).toBeGreaterThan(100);
  });
});
