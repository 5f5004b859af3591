// Conformance cases: reductions, softmax and cross-entropy (with gradients), indexing and
// scatter (with their adjoints), and the k-NN blocks.
import { native } from '../native.js';
import type { ConformanceCase } from './case.js';

const SUM = 1e-9; // reductions and dot products: order of summation differs (see cases-linalg.ts)
const MATH = 1e-10; // expf/logf of the device library

export const rowCases: ConformanceCase[] = [
  ...native.reduceOps().flatMap((op): ConformanceCase[] => [
    {
      name: `reduce/${op} axes [0,2] keepdim`,
      ops: ['reduce'],
      grad: false,
      tol: op === 'max' || op === 'min' ? 'exact' : SUM,
      run: (s) => s.read(native.reduce(s.rand([7, 5, 33], 111), op, [0, 2], true)),
    },
    {
      name: `reduce/${op} all of 1031`,
      ops: ['reduce'],
      grad: false,
      tol: op === 'max' || op === 'min' ? 'exact' : SUM,
      run: (s) => s.read(native.reduce(s.rand([1031], 112), op)),
    },
  ]),
  {
    name: 'argmax axis 1 and all',
    ops: ['argmax'],
    grad: false,
    tol: 'exact',
    run: (s) => {
      const x = s.rand([9, 37, 3], 113);
      return s.read(native.argmax(x, 1, false), native.argmax(x, null));
    },
  },
  {
    name: 'maxWithIndices axis 2',
    ops: ['maxWithIndices'],
    grad: false,
    tol: 'exact',
    run: (s) => s.read(...native.maxWithIndices(s.rand([4, 5, 29], 114), 2, true)),
  },
  {
    // The gradient of broadcasting: sum over the broadcast axes.
    name: 'sumToShape [6,5,7] -> [5,1]',
    ops: ['sumToShape'],
    grad: true,
    tol: SUM,
    run: (s) => s.read(native.sumToShape(s.rand([6, 5, 7], 115), [5, 1])),
  },
  ...(['softmax', 'logSoftmax'] as const).flatMap((op): ConformanceCase[] => [
    {
      name: `${op} axis 1 of [5,37,3]`,
      ops: [op],
      grad: false,
      tol: MATH,
      run: (s) => s.read(native[op](s.rand([5, 37, 3], 121, -6, 6), 1)),
    },
    {
      name: `${op} backward axis -1`,
      ops: [`${op}Backward`],
      grad: true,
      tol: MATH,
      run: (s) => {
        const y = s.keep(native[op](s.rand([7, 41], 122, -6, 6), -1));
        const back = op === 'softmax' ? native.softmaxBackward : native.logSoftmaxBackward;
        return s.read(back(y, s.rand([7, 41], 123), -1));
      },
    },
  ]),
  ...[0, 0.1].map((ls): ConformanceCase => ({
    name: `crossEntropy labelSmoothing=${ls}, forward and backward`,
    ops: ['crossEntropy', 'crossEntropyBackward'],
    grad: true,
    tol: MATH,
    run: (s) => {
      const labels = s.ints([13], 124, 11);
      const [loss, probs] = native.crossEntropy(s.rand([13, 11], 125, -5, 5), labels, ls);
      s.keep(loss);
      s.keep(probs);
      return s.read(loss, probs, native.crossEntropyBackward(probs, labels, s.rand([13], 126), ls));
    },
  })),
  {
    name: 'indexSelect axis 1',
    ops: ['indexSelect'],
    grad: false,
    tol: 'exact',
    run: (s) => s.read(native.indexSelect(s.rand([4, 9, 5], 131), 1, s.ints([13], 132, 9))),
  },
  {
    // The adjoint of indexSelect: repeated indices accumulate (atomics on a GPU: order varies).
    name: 'indexAdd axis 1 (repeated indices)',
    ops: ['indexAdd'],
    grad: true,
    tol: SUM,
    run: (s) => s.read(native.indexAdd(s.rand([4, 9, 5], 133), 1, s.ints([13], 134, 9), s.rand([4, 13, 5], 135))),
  },
  {
    name: 'gather axis 1',
    ops: ['gather'],
    grad: false,
    tol: 'exact',
    run: (s) => s.read(native.gather(s.rand([6, 11], 136), 1, s.ints([6, 4], 137, 11))),
  },
  {
    name: 'scatterAdd axis 1 (the adjoint of gather)',
    ops: ['scatterAdd'],
    grad: true,
    tol: SUM,
    run: (s) => s.read(native.scatterAdd(s.rand([6, 11], 138), 1, s.ints([6, 17], 139, 11), s.rand([6, 17], 140))),
  },
  {
    name: 'oneHot 10 classes',
    ops: ['oneHot'],
    grad: false,
    tol: 'exact',
    run: (s) => s.read(native.oneHot(s.ints([23], 141, 10), 10)),
  },
  {
    name: 'pairwiseSqDist [19,13] x [23,13]',
    ops: ['pairwiseSqDist'],
    grad: false,
    tol: SUM,
    run: (s) => s.read(native.pairwiseSqDist(s.rand([19, 13], 151), s.rand([23, 13], 152))),
  },
  ...[true, false].map((largest): ConformanceCase => ({
    name: `topk k=5 largest=${largest}`,
    ops: ['topk'],
    grad: false,
    tol: 'exact',
    run: (s) => s.read(...native.topk(s.rand([7, 61], 153), 5, largest)),
  })),
  {
    // Integer distances on uint8 pixels: exact. Ties broken by index on both backends.
    name: 'knnExact uint8 k=3',
    ops: ['knnExact'],
    grad: false,
    tol: 'exact',
    run: (s) => {
      const train = s.keep(native.cast(s.rand([57, 49], 154, 0, 256), 'uint8'));
      const queries = s.keep(native.cast(s.rand([9, 49], 155, 0, 256), 'uint8'));
      return s.read(...native.knnExact(train, queries, 3));
    },
  },
];
