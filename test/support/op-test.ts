// What the op tests under test/ops share, behind one import: the native kit (support/native.ts)
// with its finite-difference gradient checks grouped as `grad`:
//   grad.expectClose(analytic, grad.numeric((a) => grad.weightedSum(values(f(a)), w), x), idx)
import { expectGradClose, numericGrad, weightedSum } from './native.js';

export { expectClose, native, numel, randomArray, randomInts, rng, sampleIndices, tensor, testDevices, values } from './native.js';
export type { NativeTensor } from './native.js';

export const grad = { numeric: numericGrad, weightedSum, expectClose: expectGradClose };
