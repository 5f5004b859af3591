// Training checkpoints: model tensors, optimizer buffers and the run's counters (epoch, step,
// RNG state, metrics history) in ONE safetensors file, written atomically, so an interrupted run
// resumes from a consistent state. Model weights alone go to PyTorch-loadable files.
import { existsSync } from 'node:fs';

import { IOError } from '../core/errors.js';
import { CHECKSUM_KEY, loadSafetensors, saveSafetensors } from '../io/safetensors.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { WeightAverage } from '../optim/weight-average.js';
import type { GeneratorState } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';

export interface RunCounters {
  /** Last completed epoch (0-based). */
  epoch: number;
  step: number;
  lr: number;
  rng: GeneratorState;
  tracker: unknown;
  config?: unknown;
}

export function saveTrainingState(path: string, model: Module, opt: Optimizer, counters: RunCounters, average?: WeightAverage): void {
  const tensors = new Map<string, Tensor>();
  for (const [k, t] of model.stateDict()) tensors.set(`model.${k}`, t);
  const os = opt.stateDict();
  for (const [name, list] of Object.entries(os.buffers)) list.forEach((t, i) => tensors.set(`optim.${name}.${i}`, t));
  const avg = average?.state();
  avg?.tensors.forEach((t, i) => tensors.set(`average.${i}`, t));
  saveSafetensors(path, tensors, {
    nnlab: JSON.stringify({
      ...counters,
      optimizerStep: os.step,
      groupLrs: os.groupLrs,
      ...(avg && { averageUpdates: avg.updates }),
      format: 2,
    }),
  });
}

/** Restores model, optimizer (and the weight average, when the run keeps one) in place and returns the counters. */
export function loadTrainingState(path: string, model: Module, opt: Optimizer, average?: WeightAverage): RunCounters {
  if (!existsSync(path)) throw new IOError(`no checkpoint at ${path}`);
  const { tensors, metadata } = loadSafetensors(path);
  if (!metadata.nnlab) throw new IOError(`${path} is a safetensors file but not an nnlab training checkpoint (no 'nnlab' metadata)`);
  // groupLrs: each parameter group's learning rate (absent before groups were saved: all take lr).
  let meta: RunCounters & { optimizerStep: number; groupLrs?: number[]; averageUpdates?: number; format?: number };
  try {
    meta = JSON.parse(metadata.nnlab);
  } catch (e) {
    for (const t of tensors.values()) t.dispose();
    throw new IOError(`${path}: the checkpoint's 'nnlab' metadata is not valid JSON (${(e as Error).message})`);
  }
  // Format 2 checkpoints always carry a checksum (loadSafetensors verified it when present): a
  // missing one means the header itself was damaged. Format 1 (before checksums) still resumes.
  if (meta.format !== 1 && metadata[CHECKSUM_KEY] === undefined) {
    for (const t of tensors.values()) t.dispose();
    throw new IOError(`${path}: this nnlab checkpoint has lost its '${CHECKSUM_KEY}' checksum: the file is corrupt`);
  }
  const modelSd = new Map<string, Tensor>();
  const buffers: Record<string, Tensor[]> = {};
  const averaged: Tensor[] = [];
  for (const [k, t] of tensors) {
    if (k.startsWith('model.')) modelSd.set(k.slice(6), t);
    else if (k.startsWith('average.')) averaged[Number(k.slice(8))] = t;
    else if (k.startsWith('optim.')) {
      const rest = k.slice(6);
      const dot = rest.lastIndexOf('.');
      (buffers[rest.slice(0, dot)] ??= [])[Number(rest.slice(dot + 1))] = t;
    }
  }
  try {
    if (average && meta.averageUpdates === undefined)
      throw new IOError(`${path} holds no weight average, but this run keeps one (was it started with another --ema?)`);
    model.loadStateDict(modelSd);
    opt.loadStateDict({ step: meta.optimizerStep, lr: meta.lr, groupLrs: meta.groupLrs, buffers });
    if (average) average.loadState({ updates: meta.averageUpdates!, tensors: averaged });
  } catch (e) {
    throw e instanceof IOError ? e : new IOError(`${path}: cannot resume from this checkpoint: ${(e as Error).message}`);
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
  return meta;
}

/** Model weights only, with PyTorch's names: loads with safetensors.torch.load_file + load_state_dict. */
export function saveWeights(path: string, model: Module, metadata: Record<string, string> = {}): void {
  saveSafetensors(path, model.stateDict(), metadata);
}

export function loadWeights(path: string, model: Module, strict = true): void {
  const { tensors } = loadSafetensors(path);
  model.loadStateDict(tensors, strict);
  for (const t of tensors.values()) t.dispose();
}
