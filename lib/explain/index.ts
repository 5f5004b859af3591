// Explaining and inverting classifiers: class maximisation by gradient ascent on the pixels, and
// its k-NN twin driven by a pseudo-gradient.
export { classMax, targetGradient, LOG_LOSS_EPS } from './class-max.js';
export type { ClassMaxLoss, ClassMaxOptions, ClassMaxResult, StopReason, TargetGradient } from './class-max.js';
export { knnMax, knnTargetShare } from './knn-max.js';
export type { KnnMaxOptions, KnnMaxResult } from './knn-max.js';
export { KnnMemory } from '../models/knn-gemm.js';
export type { Neighbours } from '../models/knn-gemm.js';
