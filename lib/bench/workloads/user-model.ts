// A user's model as a workload: `nnlab bench --model ./my-model.js --input 64,1,28,28 --mode train`.
// The module file's contract (docs/bench.md):
//   export default function createModel() { return new nn.Sequential(...); }   // or export function createModel
//     (may be async; returns an nnlab Module taking the input batch)
//   export const input = [64, 1, 28, 28];       optional: the batch shape when --input is not given
//   export const loss = 'cross-entropy';        optional: 'cross-entropy' (default), 'mse' or (output, target) => Tensor
//   export const classes = 10;                  optional: cross-entropy target classes (default: output's last dim)
//   export function createOptimizer(params) {}  optional: an nnlab Optimizer (default Adam, lr 1e-3)
//   export const flopsPerItem = { forward: 1.2e6, train: 3.5e6 };  optional: FLOPs of one input item, for GFLOP/s
//     (default: those of its Linear and Conv2d layers, counted on one forward pass)
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { ArgumentError, IOError } from '../../core/errors.js';
import type { Module } from '../../nn/module.js';
import { countLayerFlops } from './layer-flops.js';
import { type LossSpec, type Mode, modelStep } from './model-step.js';
import type { Workload } from './types.js';

export interface UserModelSpec {
  file: string;
  /** Batch shape, e.g. [64, 1, 28, 28] (default: the module's `input` export). */
  input?: readonly number[];
  mode?: Mode;
}

interface ModelModule {
  default?: unknown;
  createModel?: unknown;
  input?: unknown;
  loss?: unknown;
  classes?: unknown;
  createOptimizer?: unknown;
  flopsPerItem?: { forward?: number; train?: number };
}

/** Parses "64,1,28,28" into a shape. */
export function parseShape(s: string): number[] {
  const dims = s
    .split(/[,x ]+/)
    .filter(Boolean)
    .map(Number);
  if (!dims.length || dims.some((d) => !Number.isInteger(d) || d < 1))
    throw new ArgumentError(`--input must be positive integers like 64,1,28,28, got '${s}'`);
  return dims;
}

export async function userModelWorkload(spec: UserModelSpec): Promise<Workload> {
  const path = resolve(spec.file);
  let mod: ModelModule;
  try {
    mod = (await import(pathToFileURL(path).href)) as ModelModule;
  } catch (e) {
    throw new IOError(`bench: cannot import the model file ${path}: ${(e as Error).message}`);
  }
  const factory = typeof mod.createModel === 'function' ? mod.createModel : mod.default;
  if (typeof factory !== 'function')
    throw new ArgumentError(
      `bench: ${path} must export a model factory (export default function createModel() or export function createModel())`,
    );
  const input = spec.input ?? (Array.isArray(mod.input) ? (mod.input as number[]) : null);
  if (!input) throw new ArgumentError(`bench: no input shape for ${path}: pass --input N,C,H,W or export const input = [...]`);
  const mode = spec.mode ?? 'infer';
  const declared = mod.flopsPerItem?.[mode === 'train' ? 'train' : 'forward'];
  const name = path
    .split('/')
    .pop()!
    .replace(/\.[cm]?[jt]s$/, '');
  return {
    id: `model:${name}:${mode}`,
    title: `${name} ${mode === 'train' ? 'training step' : 'inference'}`,
    unit: 'images/s',
    size: () => `batch [${input.join(', ')}]`,
    prepare: async () => {
      const model = (await (factory as () => unknown)()) as Module;
      if (!model || typeof (model as Module).forward !== 'function' || typeof (model as Module).parameters !== 'function')
        throw new ArgumentError(`bench: the factory of ${path} must return an nnlab Module (with forward() and parameters())`);
      // Declared FLOPs, or those of the Linear and Conv2d layers counted on one forward pass.
      const counted = typeof declared === 'number' ? null : countLayerFlops(model, input);
      const flops = typeof declared === 'number' ? declared : counted?.[mode === 'train' ? 'train' : 'forward'];
      const step = modelStep(model, {
        input,
        mode,
        loss: mod.loss as LossSpec | undefined,
        classes: typeof mod.classes === 'number' ? mod.classes : undefined,
        optimizer: typeof mod.createOptimizer === 'function' ? (mod.createOptimizer as never) : undefined,
      });
      return { step, itemsPerStep: input[0], gflopPerStep: typeof flops === 'number' ? (flops * input[0]) / 1e9 : null };
    },
  };
}
