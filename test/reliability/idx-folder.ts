// A small IDX data folder (the four MNIST file names) that trains in seconds: n images per split,
// labels a function of the pixels so that they are learnable.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { encodeIdx } from '../../lib/data/idx.js';

export function idxFolder(n: number, side = 28): string {
  const dir = mkdtempSync(join(tmpdir(), 'nnlab-idx-'));
  for (const p of ['train', 't10k']) {
    const img = new Uint8Array(n * side * side),
      lab = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      lab[i] = i % 10;
      for (let k = 0; k < side * side; k++) img[i * side * side + k] = (k * (lab[i] + 1) * 37) % 256;
    }
    writeFileSync(join(dir, `${p}-images-idx3-ubyte`), encodeIdx([n, side, side], img));
    writeFileSync(join(dir, `${p}-labels-idx1-ubyte`), encodeIdx([n], lab));
  }
  return dir;
}
