// Conformance cases of the addon's memory and layout functions that compose kernels (strided
// views, copies between devices, broadcasting where). The kernels' own cases, the elementwise
// ops, RNG streams and dropout among them, are entries of the shared table (table.ts).
import { native } from '../native.js';
import type { ConformanceCase } from './case.js';

export const elementwiseCases: ConformanceCase[] = [
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
];
