// The setup the modules study trains from (data, initial weights, the shuffle order of every
// epoch), written so PyTorch can replay it (scripts/fixtures/seed002_modules.py), and the
// PyTorch weights read back from such a replay, used only when its setup is exactly ours.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';

import { data, io, tensor } from '../../index.js';
import type { Tensor } from '../../index.js';
import type { ClusterData } from './seed002-data.js';
import type { Weights } from './seed002-binary.js';

export interface ModulesSetup {
  data: ClusterData;
  init: Weights;
  /** [epochs, nTrain] row order of every epoch, as the shared DataLoader draws it. */
  order: Int32Array;
  epochs: number;
  loaderSeed: number;
}

export function epochOrders(n: number, epochs: number, loaderSeed: number): Int32Array {
  const out = new Int32Array(n * epochs);
  for (let e = 0; e < epochs; e++) out.set(data.shuffleOrder(n, data.loaderShuffleKey(loaderSeed), e), e * n);
  return out;
}

export const orderDigest = (order: Int32Array) =>
  createHash('sha256')
    .update(Buffer.from(order.buffer, order.byteOffset, order.byteLength))
    .digest('hex');

export function writeSetup(path: string, s: ModulesSetup, metadata: Record<string, string>): void {
  const n = s.data.train.x.shape[0];
  const owned: Tensor[] = [
    tensor(s.order, [s.epochs, n], { dtype: 'int32' }),
    ...Object.entries(s.init).map(([, v]) => tensor(Float32Array.from(v))),
  ];
  const [order, ...init] = owned;
  const tensors: Record<string, Tensor> = {
    train_x: s.data.train.x,
    train_y: s.data.train.y,
    test_x: s.data.test.x,
    test_y: s.data.test.y,
    order,
    ...Object.fromEntries(Object.keys(s.init).map((k, i) => [`init.${k}`, init[i]])),
  };
  io.saveSafetensors(path, tensors, { ...metadata, order_sha256: orderDigest(s.order) });
  owned.forEach((t) => t.dispose());
}

export interface Reference {
  path: string;
  /** Why the file was not used, when it was not. */
  unusable?: string;
  /** stage -> PyTorch float32 weights and test accuracy; float64 weights when the file has them. */
  stages: Map<number, { weights: Weights; testAcc: number; weights64?: Weights }>;
}

const sameValues = (a: Tensor | undefined, b: ArrayLike<number>) =>
  !!a && a.numel === b.length && Array.from(a.data()).every((v, i) => v === b[i]);

/** Reads a PyTorch replay; it is used only when its data, initial weights and order digest are ours. */
export function readReference(path: string, s: ModulesSetup, stages: number[]): Reference {
  const ref: Reference = { path, stages: new Map() };
  if (!existsSync(path)) return { ...ref, unusable: 'file not found' };
  const f = io.loadSafetensors(path);
  try {
    const t = f.tensors;
    const mine: [string, ArrayLike<number>][] = [
      ['train_x', s.data.train.x.data()],
      ['train_y', s.data.train.y.data()],
      ['test_x', s.data.test.x.data()],
      ['test_y', s.data.test.y.data()],
      ...Object.entries(s.init).map(([k, v]) => [`init.${k}`, v] as [string, number[]]),
    ];
    const differs = mine.filter(([k, v]) => !sameValues(t.get(k), v)).map(([k]) => k);
    if (differs.length) return { ...ref, unusable: `made for another setup (${differs.join(', ')} differ)` };
    if (f.metadata.order_sha256 !== orderDigest(s.order)) return { ...ref, unusable: 'made with another data order' };
    for (const stage of stages) {
      const w = (prefix: string): Weights | undefined => {
        const keys = Object.keys(s.init);
        if (!keys.every((k) => t.has(`${prefix}.${stage}.${k}`))) return undefined;
        return Object.fromEntries(keys.map((k) => [k, Array.from(t.get(`${prefix}.${stage}.${k}`)!.data())]));
      };
      const weights = w('torch'),
        acc = t.get(`torch.${stage}.test_acc`);
      if (!weights || !acc) return { ...ref, unusable: `has no PyTorch weights for stage ${stage}` };
      ref.stages.set(stage, { weights, testAcc: acc.item(), weights64: w('torch64') });
    }
    return ref;
  } finally {
    for (const v of f.tensors.values()) v.dispose();
  }
}
