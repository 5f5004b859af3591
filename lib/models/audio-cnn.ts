// The spoken-digit CNN of the seed-003 report (section 2.4.6): Conv(1->10, 7x7, stride 3) ReLU
// Conv(10->10, 5x5, stride 2) ReLU Flatten Linear(->10), on log-mel spectrograms [1, bands, frames].
// Logits out (the softmax lives in the loss).
import { ShapeError } from '../core/errors.js';
import type { RandomGenerator } from '../core/random.js';
import { Conv2d, Flatten, Linear, ReLU, Sequential } from '../nn/layers.js';

const convOut = (n: number, k: number, s: number) => Math.floor((n - k) / s) + 1;

/** Spatial size after the two convolutions, for an input of bands x frames. */
export function audioCnnFeatureShape(bands: number, frames: number): [number, number, number] {
  const h = convOut(convOut(bands, 7, 3), 5, 2),
    w = convOut(convOut(frames, 7, 3), 5, 2);
  if (!(h >= 1 && w >= 1))
    throw new ShapeError(
      `audioCnn: an input of ${bands} x ${frames} is too small for Conv(7, stride 3) then Conv(5, stride 2); needs at least 19 x 19`,
    );
  return [10, h, w];
}

export function audioCnn(bands: number, frames: number, generator?: RandomGenerator): Sequential {
  const [c, h, w] = audioCnnFeatureShape(bands, frames);
  return new Sequential(
    new Conv2d(1, 10, 7, { stride: 3, generator }),
    new ReLU(),
    new Conv2d(10, 10, 5, { stride: 2, generator }),
    new ReLU(),
    new Flatten(),
    new Linear(c * h * w, 10, { generator }),
  );
}
