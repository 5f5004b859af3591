// tanh and sigmoid (native/kernels/activation_math.h: one fma sequence that the CPU's vector and
// portable loops and the CUDA kernels all run) against double precision: the error bound the
// header states, over floats of every binade (a scattered sweep of all 2^32 bit patterns) and a
// dense range around 0, and the cases that must be exact: +-0, +-inf, NaN, saturation, tiny and
// subnormal inputs. The fused linear layer runs the same loops (test/simd_paths.test.ts, the bits
// of every path; test/ops/linear-act.test.ts, the bits of the separate ops).
import { describe, expect, it } from 'vitest';

import { native, tensor, testDevices, values } from '../support/op-test.js';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const REFS = { tanh: Math.tanh, sigmoid } as const;
// The largest errors over all 2^32 floats: tanh 1.38 ulp, sigmoid 2.41 ulp.
const ULP_BOUND = { tanh: 1.5, sigmoid: 2.5 } as const;

const f64 = new DataView(new ArrayBuffer(8));
/** |got - want| in units of the float ulp at want (2^-149 below the normal range). */
function ulpError(got: number, want: number): number {
  if (got === want) return 0;
  f64.setFloat64(0, Math.abs(want));
  const exponent = (f64.getUint32(0) >>> 20) - 1023;
  return Math.abs(got - want) / 2 ** (Math.max(exponent, -126) - 23);
}

/** Every binade's floats (a multiplicative hash of the index scatters them over all bit patterns), then a dense run over [-12, 12]. */
function sweep(): Float32Array {
  const scattered = 1 << 21,
    dense = 1 << 20;
  const bits = new Uint32Array(scattered + dense);
  for (let i = 0; i < scattered; i++) bits[i] = Math.imul(i, 0x9e3779b1) >>> 0;
  const x = new Float32Array(bits.buffer);
  for (let i = 0; i < dense; i++) x[scattered + i] = -12 + (24 * i) / dense;
  return x;
}

describe.each(testDevices())('tanh and sigmoid on %s', (device) => {
  const x = sweep();
  it.each(['tanh', 'sigmoid'] as const)('%s stays within its ulp bound of double precision', (op) => {
    const y = values(native.unary(tensor(x, [x.length], device), op));
    let worst = 0,
      at = 0;
    for (let i = 0; i < x.length; i++) {
      const want = REFS[op](x[i]);
      if (Number.isNaN(want)) {
        expect(y[i], `${op}(${x[i]})`).toBeNaN();
        continue;
      }
      const err = ulpError(y[i], want);
      if (err > worst) [worst, at] = [err, x[i]];
    }
    expect(worst, `${op}: worst ${worst.toFixed(3)} ulp at ${at}`).toBeLessThanOrEqual(ULP_BOUND[op]);
  });

  const run = (op: 'tanh' | 'sigmoid', xs: number[]) => Array.from(values(native.unary(tensor(xs, [xs.length], device), op)));
  const tiny = [2 ** -13, 1e-5 - 1e-9, 1e-20, 1e-38, 1e-40, 2 ** -149];
  const saturated = [9.1, 10, 16, 17, 20, 1e3, 1e30, 3.4e38];

  it('tanh: odd, exact at 0, x itself for |x| < 2^-12 (subnormals too), exactly +-1 from 9.1 on and at +-inf, NaN through', () => {
    const xs = [0, -0, Infinity, -Infinity, NaN, ...tiny, ...tiny.map((v) => -v), ...saturated, ...saturated.map((v) => -v)];
    const y = run('tanh', xs);
    expect(Object.is(y[0], 0) && Object.is(y[1], -0), `tanh(+-0) = ${y[0]}, ${y[1]}`).toBe(true);
    expect(y.slice(2, 4)).toEqual([1, -1]);
    expect(y[4]).toBeNaN();
    const t = 5 + 2 * tiny.length;
    expect(y.slice(5, t)).toEqual(Array.from(Float32Array.from(xs.slice(5, t))));
    expect(y.slice(t)).toEqual([...saturated.map(() => 1), ...saturated.map(() => -1)]);
    // Odd to the bit: tanh(-x) = -tanh(x) over the sweep.
    const some = Array.from(x.subarray(0, 4096));
    expect(
      run(
        'tanh',
        some.map((v) => -v),
      ).map((v) => -v),
    ).toEqual(run('tanh', some));
  });

  it('sigmoid: 1/2 at +-0 and tiny |x|, exactly 1 from 17.4 on, exp(x) rounded into the subnormals, exactly 0 from -103.98 down, NaN through', () => {
    const ones = [17.4, 18, 88, 104, 1e30, Infinity];
    const zeros = [-103.98, -104, -200, -1e30, -Infinity];
    const xs = [0, -0, 1e-9, -1e-9, 1e-30, -1e-40, NaN, ...ones, ...zeros];
    const y = run('sigmoid', xs);
    expect(y.slice(0, 6)).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    expect(y[6]).toBeNaN();
    expect(y.slice(7)).toEqual([...ones.map(() => 1), ...zeros.map(() => 0)]);
    // Below -87.3 the result is subnormal: still within the bound, in units of the smallest subnormal.
    const deep = Array.from({ length: 401 }, (_, i) => Math.fround(-87 - i * 0.04));
    const yd = run('sigmoid', deep);
    for (let i = 0; i < deep.length; i++)
      expect(ulpError(yd[i], sigmoid(deep[i])), `sigmoid(${deep[i]})`).toBeLessThanOrEqual(ULP_BOUND.sigmoid);
    expect(yd.at(-1)).toBeGreaterThan(0);
  });
});
