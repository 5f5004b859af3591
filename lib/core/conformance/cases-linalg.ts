// Conformance cases: GEMM, convolution (with its three gradients and the fused conv+pool),
// pooling and batch norm. Sums of products: tiling and FMA change the rounding, so NMSE.
import { native } from '../native.js';
import type { ConformanceCase } from './case.js';

// A dot product of length K rounds with relative error ~K*eps in the worst case; NMSE stays
// near eps^2 * K. 1e-9 leaves margin for K in the hundreds while catching any wrong element.
const SUM = 1e-9;

// [N, C, H, W] 2x3x11x13 with 6 output channels in 3 groups, stride 2x1, pad 1x2, dilation 1x2.
const CONV = { x: [2, 3, 11, 13], w: [6, 1, 3, 3], sh: 2, sw: 1, ph: 1, pw: 2, dh: 1, dw: 2, g: 3 };
function convOut(): number[] {
  const [n, , h, w] = CONV.x;
  const oh = Math.floor((h + 2 * CONV.ph - CONV.dh * 2 - 1) / CONV.sh) + 1;
  const ow = Math.floor((w + 2 * CONV.pw - CONV.dw * 2 - 1) / CONV.sw) + 1;
  return [n, CONV.w[0], oh, ow];
}
const convArgs = [CONV.sh, CONV.sw, CONV.ph, CONV.pw, CONV.dh, CONV.dw, CONV.g] as const;

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
  ...(['none', 'relu', 'sigmoid', 'tanh'] as const).map((act, i): ConformanceCase => ({
    name: `linearAct ${act} 37x29 @ 43x29^T + bias`,
    ops: ['linearAct'],
    grad: false,
    tol: SUM,
    run: (s) => s.read(native.linearAct(s.rand([37, 29], 58 + i), s.rand([43, 29], 59), i === 2 ? null : s.rand([43], 60), act)),
  })),
  ...(['none', 'relu', 'sigmoid', 'tanh'] as const).map((act, i): ConformanceCase => ({
    name: `linearAct backward ${act} 37x29 @ 43x29^T`,
    ops: ['linearActBackward'],
    grad: true,
    tol: SUM,
    run: (s) => {
      const x = s.rand([37, 29], 70 + i),
        w = s.rand([43, 29], 71);
      // y from the op itself so relu's gate and sigmoid's and tanh's derivatives see real outputs.
      const y = s.keep(native.linearAct(x, w, s.rand([43], 72), act));
      const grads = native.linearActBackward(x, w, act === 'none' ? null : y, s.rand([37, 43], 73), act, true, true, true);
      return s.read(...grads);
    },
  })),
  {
    name: 'conv2d groups=3 stride 2x1 pad 1x2 dilation 1x2',
    ops: ['conv2d'],
    grad: false,
    tol: SUM,
    run: (s) => s.read(native.conv2d(s.rand(CONV.x, 61), s.rand(CONV.w, 62), s.rand([6], 63), ...convArgs)),
  },
  {
    name: 'conv2d 3x3 pad 1 (dense, 5 -> 7 channels)',
    ops: ['conv2d'],
    grad: false,
    tol: SUM,
    run: (s) => s.read(native.conv2d(s.rand([3, 5, 9, 10], 64), s.rand([7, 5, 3, 3], 65), null, 1, 1, 1, 1, 1, 1, 1)),
  },
  {
    name: 'conv2d backward input',
    ops: ['conv2dBackwardInput'],
    grad: true,
    tol: SUM,
    run: (s) => s.read(native.conv2dBackwardInput(s.rand(convOut(), 66), s.rand(CONV.w, 67), CONV.x, ...convArgs)),
  },
  {
    name: 'conv2d backward weight',
    ops: ['conv2dBackwardWeight'],
    grad: true,
    tol: SUM,
    run: (s) => s.read(native.conv2dBackwardWeight(s.rand(CONV.x, 68), s.rand(convOut(), 69), CONV.w, ...convArgs)),
  },
  {
    name: 'conv2d backward bias',
    ops: ['conv2dBackwardBias'],
    grad: true,
    tol: SUM,
    run: (s) => s.read(native.conv2dBackwardBias(s.rand(convOut(), 70))),
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
    name: 'maxPool2d 3x3 stride 2 pad 1, forward and indices',
    ops: ['maxPool2d'],
    grad: false,
    tol: 'exact',
    run: (s) => s.read(...native.maxPool2d(s.rand([2, 3, 11, 9], 81), 3, 3, 2, 2, 1, 1)),
  },
  {
    name: 'maxPool2d backward',
    ops: ['maxPool2dBackward'],
    grad: true,
    tol: 'exact',
    run: (s) => {
      const [y, idx] = native.maxPool2d(s.rand([2, 3, 11, 9], 82), 3, 3, 2, 2, 1, 1);
      s.keep(y);
      s.keep(idx);
      return s.read(native.maxPool2dBackward(s.rand(y.shape, 83), idx, [2, 3, 11, 9], 3, 3, 2, 2, 1, 1));
    },
  },
  ...[true, false].map((cip): ConformanceCase => ({
    name: `avgPool2d 3x2 stride 2 pad 1 countIncludePad=${cip}, forward and backward`,
    ops: ['avgPool2d', 'avgPool2dBackward'],
    grad: true,
    tol: SUM,
    run: (s) => {
      const y = s.keep(native.avgPool2d(s.rand([2, 3, 11, 9], 84), 3, 2, 2, 2, 1, 1, cip));
      return s.read(y, native.avgPool2dBackward(s.rand(y.shape, 85), [2, 3, 11, 9], 3, 2, 2, 2, 1, 1, cip));
    },
  })),
  {
    name: 'adaptiveAvgPool2d 11x9 -> 4x3, forward and backward',
    ops: ['adaptiveAvgPool2d', 'adaptiveAvgPool2dBackward'],
    grad: true,
    tol: SUM,
    run: (s) => {
      const y = s.keep(native.adaptiveAvgPool2d(s.rand([2, 3, 11, 9], 86), 4, 3));
      return s.read(y, native.adaptiveAvgPool2dBackward(s.rand(y.shape, 87), [2, 3, 11, 9]));
    },
  },
  {
    name: 'batchNormTrain [5,3,7,9] (output, saved stats, running stats)',
    ops: ['batchNormTrain'],
    grad: false,
    tol: SUM,
    run: (s) => {
      const rm = s.rand([3], 91);
      const rv = s.rand([3], 92, 0.5, 2);
      const [y, mean, invstd] = native.batchNormTrain(s.rand([5, 3, 7, 9], 93, -2, 3), s.rand([3], 94), s.rand([3], 95), rm, rv, 0.1, 1e-5);
      return s.read(y, mean, invstd, rm, rv);
    },
  },
  {
    name: 'batchNormEval',
    ops: ['batchNormEval'],
    grad: false,
    tol: SUM,
    run: (s) =>
      s.read(
        native.batchNormEval(s.rand([5, 3, 7, 9], 96), s.rand([3], 97), s.rand([3], 98), s.rand([3], 99), s.rand([3], 100, 0.5, 2), 1e-5),
      ),
  },
  {
    name: 'batchNorm backward (dx, dgamma, dbeta)',
    ops: ['batchNormBackward'],
    grad: true,
    tol: SUM,
    run: (s) => {
      const x = s.rand([5, 3, 7, 9], 101, -2, 3);
      const g = s.rand([3], 102);
      const [y, mean, invstd] = native.batchNormTrain(x, g, s.rand([3], 103), null, null, 0.1, 1e-5);
      s.keep(y);
      s.keep(mean);
      s.keep(invstd);
      return s.read(...native.batchNormBackward(x, s.rand([5, 3, 7, 9], 104), g, mean, invstd));
    },
  },
];
