// The seed CNN of STUDIES.md (seed 001): Conv(1->32,3x3) ReLU MaxPool2 -> Conv(32->64,3x3) ReLU
// MaxPool2 -> Flatten(1600) -> Linear(128) ReLU -> Linear(10); 225,034 parameters. Logits out
// (the softmax lives in the loss).
//
// Written in PyTorch's order (conv, ReLU, pool); Sequential runs each ReLU-then-MaxPool2d pair as
// pool-then-ReLU (lib/nn/release.ts), which gives the same values and gradients bit for bit while
// the ReLU runs on a quarter of the elements.
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../nn/layers.js';
import { RandomGenerator } from '../core/random.js';

export function seedCnn(generator?: RandomGenerator): Sequential {
  return new Sequential(
    new Conv2d(1, 32, 3, { generator }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(32, 64, 3, { generator }),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(1600, 128, { generator }),
    new ReLU(),
    new Linear(128, 10, { generator }),
  );
}

/** A 784-200-200-10 ReLU perceptron for 28x28 inputs. */
export function mlp(generator?: RandomGenerator, hidden = 200): Sequential {
  return new Sequential(
    new Flatten(),
    new Linear(784, hidden, { generator }),
    new ReLU(),
    new Linear(hidden, hidden, { generator }),
    new ReLU(),
    new Linear(hidden, 10, { generator }),
  );
}
