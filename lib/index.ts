// Public entry point of nnlab: import { tensor, nn, optim, data, tidy } from 'nnlab'.
// Studies import the public API from '../index.js', so they are published as 'nnlab/studies'
// rather than re-exported here (which would make an import cycle).
import './core/tensor-methods.js';

export * from './core/errors.js';
export { native, packageRoot } from './core/native.js';
export type { DType, DeviceName, NativeTensor, NativeTypedArray } from './core/native.js';
export { Tensor } from './core/tensor.js';
export type { Device, NestedArray } from './core/tensor.js';
export { tidy, keep } from './core/scope.js';
export { endStep, endSteps, keepWith } from './core/scope.js';
export { steps, MAX_STEP_TENSORS } from './core/steps.js';
export { backward, noGrad, isGradEnabled } from './core/autograd/engine.js';
export { RandomGenerator, manualSeed, defaultGenerator } from './core/random.js';
export type { GeneratorState } from './core/random.js';
export { resolveDevice, deviceReport } from './core/device.js';
export * as ops from './core/ops/index.js';
export * from './core/ops/creation.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as data from './data/index.js';
export * as io from './io/index.js';
export * from './train/fit.js';
export * from './train/checkpoint.js';
export { MetricsTracker } from './train/metrics-tracker.js';
export { seedCnn, mlp } from './models/seed-cnn.js';
export * as viz from './viz/index.js';
export * as metrics from './metrics/index.js';
export * as ensemble from './ensemble/index.js';
export { Ensemble, saveEnsemble, loadEnsemble, StackedModel } from './ensemble/index.js';
export * from './train/fit-batched.js';
export { runTraining } from './train/loop.js';
export type { TrainingTask, LoopOptions, LoopResult, EpochRecord } from './train/loop.js';
export * as attacks from './attacks/index.js';
export * as explain from './explain/index.js';
