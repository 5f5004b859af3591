// The Deep Ensembles paper's MNIST classifier (Lakshminarayanan et al. 2017, section 3.5):
// an MLP with 3 hidden layers of 200 ReLU units and batch normalisation,
// 784 -> [Linear(200) BatchNorm1d ReLU] x 3 -> Linear(10), logits out.
import { BatchNorm1d, Flatten, Linear, ReLU, Sequential } from '../nn/layers.js';
import type { Module } from '../nn/module.js';
import { RandomGenerator } from '../core/random.js';

export function deepEnsembleMlp(generator?: RandomGenerator, hidden = 200, layers = 3, inputs = 784, classes = 10): Sequential {
  const body: Module[] = [new Flatten()];
  let width = inputs;
  for (let i = 0; i < layers; i++) {
    body.push(new Linear(width, hidden, { generator }), new BatchNorm1d(hidden), new ReLU());
    width = hidden;
  }
  body.push(new Linear(width, classes, { generator }));
  return new Sequential(...body);
}
