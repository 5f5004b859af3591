// Deep ensembles: the Ensemble module (log of the mean of the members' softmax), saving and
// loading, stacking members of one architecture into one module, and batched training.
export * from './ensemble.js';
export * from './io.js';
export * from './stack.js';
export * from './stacked-layers.js';
export * from './objective.js';
export * from './evaluate-members.js';
export * from './paper-mlp.js';
export { measureStackSize, pickStackSize, stackCandidates, stackCacheFile } from './stack-size.js';
export { batchedLinear } from '../core/ops/linalg.js';
