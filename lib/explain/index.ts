// lib/explain: looking inside trained classifiers and driving their inputs. Hooks on modules by
// name, the CAM family, projections to pixel space (deconvnet, guided backprop), occlusion,
// faithfulness curves and heat-map overlays; class maximisation by gradient ascent on the pixels
// and its k-NN twin driven by a pseudo-gradient.
export * from './hooks.js';
export type { ClassMaps, Targets } from './common.js';
export { upsample, scaleEach } from './common.js';
export * from './cam.js';
export * from './grad-cam.js';
export * from './score-cam.js';
export * from './deconvnet.js';
export * from './occlusion.js';
export * from './faithfulness.js';
export * from './overlay.js';
export { classMax, targetGradient, LOG_LOSS_EPS } from './class-max.js';
export type { ClassMaxLoss, ClassMaxOptions, ClassMaxResult, StopReason, TargetGradient } from './class-max.js';
export { knnMax, knnTargetShare } from './knn-max.js';
export type { KnnMaxOptions, KnnMaxResult } from './knn-max.js';
export { KnnMemory } from '../models/knn-gemm.js';
export type { Neighbours } from '../models/knn-gemm.js';
