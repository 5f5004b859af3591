// Conformance cases of the addon's matrix products (matmul's shapes, batching and transposes over
// the gemm kernel, gemmInto) and of the fused conv2d + max pooling. The kernels' own cases are
// entries of the shared table (table.ts). Tolerances are the table's classes.
import { native } from '../native.js';
import type { ConformanceCase } from './case.js';
import { tolerances } from './table.js';

const SUM = tolerances.accumulate.nmse;

export const linalgCases: ConformanceCase[] = [
  ...(
    [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const
  ).map(([ta, tb]): ConformanceCase => ({
    name: `matmul 37x29 @ 29x43 transA=${ta} transB=${tb}`,
    ops: ['matmul'],
    grad: false,
    tol: SUM,
    run: (s) => s.read(native.matmul(s.rand(ta ? [29, 37] : [37, 29], 51), s.rand(tb ? [43, 29] : [29, 43], 52), ta, tb)),
  })),
  {
    name: 'matmul batched [3,17,19] @ [19,23]',
    ops: ['matmul'],
    grad: false,
    tol: SUM,
    run: (s) => s.read(native.matmul(s.rand([3, 17, 19], 53), s.rand([19, 23], 54))),
  },
  {
    name: 'gemmInto alpha=0.7 beta=-1.3',
    ops: ['gemmInto'],
    grad: false,
    tol: SUM,
    run: (s) => {
      const c = s.rand([21, 31], 55);
      native.gemmInto(c, s.rand([21, 15], 56), s.rand([15, 31], 57), 0.7, -1.3);
      return s.read(c);
    },
  },
  {
    name: 'conv2d+maxPool2d fused, forward and backward',
    ops: ['conv2dMaxPool2d', 'conv2dMaxPool2dBackward'],
    grad: true,
    tol: SUM,
    run: (s) => {
      const x = s.rand([2, 3, 12, 11], 71);
      const w = s.rand([5, 3, 3, 3], 72);
      const [y, idx] = native.conv2dMaxPool2d(x, w, s.rand([5], 73), 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 0, 0);
      s.keep(idx);
      const dy = s.rand(y.shape, 74);
      const [dx, dw, db] = native.conv2dMaxPool2dBackward(dy, idx, x, w, true, true, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 0, 0);
      return s.read(y, dx, dw, db);
    },
  },
  {
    // Inference's form at the seed CNN's conv2 shape: no indices, relu; the CPU pools each image
    // as it leaves the rows convolution's tiles, other backends run the blocks.
    name: 'conv2d+maxPool2d+relu fused without indices, a second layer',
    ops: ['conv2dMaxPool2d'],
    grad: false,
    tol: SUM,
    run: (s) => {
      const x = s.rand([2, 32, 13, 13], 79);
      const w = s.rand([64, 32, 3, 3], 80);
      const [y] = native.conv2dMaxPool2d(x, w, s.rand([64], 81), 1, 1, 0, 0, 1, 1, 1, 2, 2, 2, 2, 0, 0, false, true);
      return s.read(y);
    },
  },
  {
    // relu in the op: its gradient taken in the op's backward, from the output. A first layer's
    // shape (one input channel, no input gradient), where the CPU has its own kernel.
    name: 'conv2d+maxPool2d+relu fused, forward and backward',
    ops: ['conv2dMaxPool2d', 'conv2dMaxPool2dBackward'],
    grad: true,
    tol: SUM,
    run: (s) => {
      const x = s.rand([3, 1, 14, 13], 75);
      const w = s.rand([6, 1, 3, 3], 76);
      const [y, idx] = native.conv2dMaxPool2d(x, w, s.rand([6], 77), 1, 1, 0, 0, 1, 1, 1, 2, 2, 2, 2, 0, 0, true, true);
      s.keep(idx);
      const dy = s.rand(y.shape, 78);
      const [, dw, db] = native.conv2dMaxPool2dBackward(dy, idx, x, w, true, false, 1, 1, 0, 0, 1, 1, 1, 2, 2, 2, 2, 0, 0, y);
      const [dx2, dw2, db2] = native.conv2dMaxPool2dBackward(dy, idx, x, w, true, true, 1, 1, 0, 0, 1, 1, 1, 2, 2, 2, 2, 0, 0, y);
      return s.read(y, dw!, db!, dx2, dw2, db2);
    },
  },
];
