// Conformance cases: memory and layout ops, the RNG streams, dropout, and every unary and binary
// elementwise op with its gradient.
import { native } from '../native.js';
import type { UnaryOpName, BinaryOpName } from '../native-types/elementwise.js';
import type { ConformanceCase } from './case.js';

// Device libm (expf, logf, tanhf, erff...) and glibc's differ by an ulp or two: NMSE ~1e-14.
const MATH = 1e-10;

const unaryParams: Partial<Record<UnaryOpName, [number, number]>> = {
  leakyRelu: [0.1, 0],
  elu: [1.3, 0],
  affine: [2.5, -0.75],
  pow: [2.7, 0],
  clamp: [-0.4, 0.5],
};
// Ops defined only for positive inputs get inputs in [0.3, 3].
const positive = new Set<UnaryOpName>(['log', 'sqrt', 'rsqrt', 'reciprocal', 'pow', 'log1p']);

function unaryCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const op of native.unaryOps()) {
    const [a, b] = unaryParams[op] ?? [0, 0];
    const [lo, hi] = positive.has(op) ? [0.3, 3] : [-3, 3];
    out.push({
      name: `unary/${op}`,
      ops: ['unary'],
      grad: false,
      tol: MATH,
      run: (s) => s.read(native.unary(s.rand([3, 37], 11, lo, hi), op, a, b)),
    });
    out.push({
      name: `unary/${op} backward`,
      ops: ['unaryBackward'],
      grad: true,
      tol: MATH,
      run: (s) => {
        const x = s.rand([3, 37], 12, lo, hi);
        const y = s.keep(native.unary(x, op, a, b));
        return s.read(native.unaryBackward(x, y, s.rand([3, 37], 13), op, a, b));
      },
    });
  }
  return out;
}

// Comparisons give 0/1 exactly; the arithmetic ops are correctly rounded on both sides (add,
// sub, mul, div, max, min) except pow (libm).
const exactBinary = new Set<BinaryOpName>(['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge']);

function binaryCases(): ConformanceCase[] {
  return native.binaryOps().map((op) => ({
    name: `binary/${op} broadcast [5,1,7]x[3,1]`,
    ops: ['binary'],
    grad: false,
    tol: exactBinary.has(op) ? ('exact' as const) : MATH,
    run: (s) => {
      const lo = op === 'pow' ? 0.3 : -2;
      const x = s.rand([5, 1, 7], 21, lo, 2);
      // Rounded to quarters so the comparisons see ties as well.
      const y = s.f32(
        Array.from({ length: 3 }, (_, i) => Math.round((lo + i * 1.1) * 4) / 4 + (op === 'pow' ? 0.5 : 0)),
        [3, 1],
      );
      return s.read(native.binary(x, y, op));
    },
  }));
}

export const elementwiseCases: ConformanceCase[] = [
  {
    name: 'full',
    ops: ['full'],
    grad: false,
    tol: 'exact',
    run: (s) => s.read(native.full([3, 5, 7], -1.25, 'float32', s.device), native.full([9], 7, 'int32', s.device)),
  },
  {
    // Bit for bit: both backends compute start + step*i without FMA contraction (kernels/hd.h).
    name: 'arange start=-3.1 step=0.37 n=331',
    ops: ['arange'],
    grad: false,
    tol: 'exact',
    run: (s) => s.read(native.arange(331, -3.1, 0.37, s.device)),
  },
  {
    name: 'cast float32->int32->uint8->float32',
    ops: ['cast'],
    grad: false,
    tol: 'exact',
    run: (s) => {
      const x = s.rand([5, 13], 31, -40, 300);
      const i = s.keep(native.cast(x, 'int32'));
      const u = s.keep(native.cast(s.rand([5, 13], 32, 0, 255), 'uint8'));
      return s.read(i, native.cast(u, 'float32', 1 / 255));
    },
  },
  {
    name: 'stridedCopy transpose [3,5,7] -> [7,3,5]',
    ops: ['stridedCopy'],
    grad: false,
    tol: 'exact',
    run: (s) => s.read(native.stridedCopy(s.rand([3, 5, 7], 33), [7, 3, 5], [1, 35, 7], 0)),
  },
  {
    name: 'copyInto, clone, toDevice round trip',
    ops: ['copyInto', 'clone', 'toDevice', 'reshape', 'takeOrClone'],
    grad: false,
    tol: 'exact',
    run: (s) => {
      const src = s.rand([4, 9], 34);
      const dst = s.keep(native.full([4, 9], 0, 'float32', s.device));
      native.copyInto(dst, src);
      const host = s.keep(native.toDevice(dst, 'cpu'));
      const flat = s.keep(native.reshape(dst, [36]));
      return s.read(native.clone(dst), native.toDevice(host, s.device), native.takeOrClone(flat));
    },
  },
  {
    name: 'where uint8 cond broadcast',
    ops: ['where'],
    grad: false,
    tol: 'exact',
    run: (s) => {
      const c = s.keep(native.cast(s.rand([4, 1], 35, 0, 2), 'uint8'));
      return s.read(native.where(c, s.rand([4, 6], 36), s.rand([6], 37)));
    },
  },
  {
    // Philox words and the uniform transform lo + (hi-lo)*u are exact on both sides.
    name: 'rand/uniform seed=7 offset=3 n=1001',
    ops: ['rand'],
    grad: false,
    tol: 'exact',
    run: (s) => s.read(native.rand('uniform', [7, 143], 7, 3, -2, 5, s.device)),
  },
  {
    name: 'rand/bernoulli p=0.3',
    ops: ['rand'],
    grad: false,
    tol: 'exact',
    run: (s) => s.read(native.rand('bernoulli', [1001], 8, 0, 0.3, undefined, s.device)),
  },
  {
    // Box-Muller through logf/sinf/cosf: the CUDA math library and glibc may differ in the last
    // bit, so normals agree to a few ulp (docs/cuda.md), not bit for bit.
    name: 'rand/normal mean=0.5 std=2',
    ops: ['rand'],
    grad: false,
    tol: 1e-12,
    run: (s) => s.read(native.rand('normal', [1001], 9, 5, 0.5, 2, s.device)),
  },
  {
    name: 'randPermutation n=333',
    ops: ['randPermutation'],
    grad: false,
    tol: 'exact',
    run: (s) => s.read(native.randPermutation(333, 10, 2, s.device)),
  },
  {
    // The mask is a comparison of exact Philox uniforms with p: the same bits everywhere.
    name: 'dropout p=0.37 (values and mask)',
    ops: ['dropout'],
    grad: false,
    tol: 'exact',
    run: (s) => {
      const [y, mask] = native.dropout(s.rand([7, 53], 41), 0.37, 42, 6);
      return s.read(y, mask);
    },
  },
  {
    name: 'dropout backward',
    ops: ['dropoutBackward'],
    grad: true,
    tol: 'exact',
    run: (s) => {
      const [y, mask] = native.dropout(s.rand([7, 53], 43), 0.37, 44, 0);
      s.keep(y);
      s.keep(mask);
      return s.read(native.dropoutBackward(s.rand([7, 53], 45), mask, 0.37));
    },
  },
  ...unaryCases(),
  ...binaryCases(),
];
