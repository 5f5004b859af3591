// What every example needs to run both as a script a user copies and on small data in the test
// suite (test/infra/examples.test.ts sets NNLAB_EXAMPLE_SMALL=1 and NNLAB_EXAMPLE_OUT).
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { data, tidy } from 'nnlab';

/** True when the test suite runs the example on a few hundred images. */
export const SMALL = process.env.NNLAB_EXAMPLE_SMALL === '1';

/** `full` images normally, `small` in the test suite. */
export const sized = (full: number, small: number) => (SMALL ? small : full);

/** A folder for the example's outputs. */
export function outDir(name: string): string {
  const dir = join(process.env.NNLAB_EXAMPLE_OUT ?? join(tmpdir(), 'nnlab-examples'), name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The first n MNIST training images, normalised as torchvision's tutorials do, and their labels. */
export function mnistTrain(n: number): data.TensorDataset {
  const mnist = data.loadDataset('mnist');
  const x = tidy(() => data.normalize(data.toUnitFloat(data.rowsOf(mnist.train.images, 0, n)), { mean: 0.1307, std: 0.3081 })).keep();
  return data.tensorDataset(x, data.rowsOf(mnist.train.labels, 0, n).keep());
}
