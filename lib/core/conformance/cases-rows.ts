// Conformance cases of the addon's reductions over several axes or all of a tensor, argmax over
// all, maxWithIndices and sumToShape: compositions over the reduce kernels, whose own cases are
// entries of the shared table (table.ts).
import { native } from '../native.js';
import type { ConformanceCase } from './case.js';
import { tolerances } from './table.js';

const SUM = tolerances.accumulate.nmse;

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
];
