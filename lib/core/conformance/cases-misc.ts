// Conformance cases of the addon's optimizer steps over lists of tensors, the image transforms
// built on warpPerspective (affine, rotate) and the mel features built on the STFT and a GEMM.
// The kernels' own cases are entries of the shared table (table.ts).
import { native } from '../native.js';
import type { ConformanceCase, Session } from './case.js';
import { tolerances } from './table.js';

const MATH = tolerances.elementwise.nmse;
const SUM = tolerances.accumulate.nmse;
const WARP = tolerances.warp.nmse;

function params(s: Session, seed: number) {
  const shapes = [[7, 5], [13], [3, 3, 3]];
  return {
    p: shapes.map((sh, i) => s.rand(sh, seed + i)),
    g: shapes.map((sh, i) => s.rand(sh, seed + 10 + i)),
    m: shapes.map((sh, i) => s.rand(sh, seed + 20 + i, -0.1, 0.1)),
    v: shapes.map((sh, i) => s.rand(sh, seed + 30 + i, 0, 0.1)),
  };
}

export const miscCases: ConformanceCase[] = [
  ...[false, true].map((nesterov): ConformanceCase => ({
    name: `sgdStep momentum=0.9 weightDecay=1e-2 nesterov=${nesterov} (3 steps)`,
    ops: ['sgdStep'],
    grad: false,
    tol: SUM,
    run: (s) => {
      const { p, g, m } = params(s, 161);
      // Nesterov needs dampening 0 (torch's rule).
      for (let k = 0; k < 3; k++) native.sgdStep(p, g, m, 0.05, 0.9, nesterov ? 0 : 0.1, 1e-2, nesterov, k === 0);
      return s.read(...p, ...m);
    },
  })),
  ...[false, true].map((decoupled): ConformanceCase => ({
    name: `adamStep decoupled=${decoupled} (3 steps)`,
    ops: ['adamStep'],
    grad: false,
    tol: MATH,
    run: (s) => {
      const { p, g, m, v } = params(s, 171);
      for (let k = 1; k <= 3; k++) native.adamStep(p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 1e-2, decoupled, k);
      return s.read(...p, ...m, ...v);
    },
  })),
  {
    name: 'emaUpdate keep=0.9 take=0.1 (3 updates)',
    ops: ['emaUpdate'],
    grad: false,
    tol: MATH,
    run: (s) => {
      const { p, m } = params(s, 191);
      for (let k = 0; k < 3; k++) native.emaUpdate(m, p, 0.9, 1 - 0.9);
      return s.read(...m);
    },
  },
  {
    name: 'affine [2,3,9,11] -> 9x11',
    ops: ['affine'],
    grad: false,
    tol: WARP,
    run: (s) => {
      const m = s.f32([0.9, 0.2, 0.3, -0.15, 1.1, -0.6, 1.2, 0, 0.45, 0.1, 0.8, 0.2], [2, 2, 3]);
      return s.read(native.affine(s.rand([2, 3, 9, 11], 182), m, 9, 11, -1));
    },
  },
  {
    name: 'rotate by [17, -33] degrees',
    ops: ['rotate'],
    grad: false,
    tol: WARP,
    run: (s) => s.read(native.rotate(s.rand([2, 3, 9, 11], 183), s.f32([17, -33], [2]), 0)),
  },
  {
    name: 'melScale [2,33,17] with a [33,12] bank',
    ops: ['melScale'],
    grad: false,
    tol: SUM,
    run: (s) => s.read(native.melScale(s.rand([2, 33, 17], 193, 0, 1), s.rand([33, 12], 194, 0, 1))),
  },
  {
    name: 'melSpectrogram nFft=64 hop=16 12 mels',
    ops: ['melSpectrogram'],
    grad: false,
    tol: SUM,
    run: (s) => s.read(native.melSpectrogram(s.rand([2, 401], 195), 64, 16, true, 12, 8000, 0, 0)),
  },
];
