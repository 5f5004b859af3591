// The only module that loads the native addon. It finds the binary the way node-gyp-build
// does (prebuilds/<platform>-<arch>/ first, then build/Release), registers the typed error
// classes with it, and exports the typed surface the rest of lib/ uses.
import { packageRoot } from './package-root.js';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { errorClassesByCode, LoadError } from './errors.js';
import type { CoreOps } from './native-types/core.js';
import type { GemmOps } from './native-types/gemm.js';
import type { ConvOps } from './native-types/conv.js';
import type { PoolOps } from './native-types/pool.js';
import type { BatchnormOps } from './native-types/batchnorm.js';
import type { ElementwiseOps } from './native-types/elementwise.js';
import type { ReduceOps } from './native-types/reduce.js';
import type { SoftmaxOps } from './native-types/softmax.js';
import type { DropoutOps } from './native-types/dropout.js';
import type { IndexingOps } from './native-types/indexing.js';
import type { OptimOps } from './native-types/optim.js';
import type { KnnOps } from './native-types/knn.js';
import type { ImageOps } from './native-types/image.js';
import type { SpectralOps } from './native-types/spectral.js';

import { checkNnlabEnv } from './env-check.js';

export type { DType, DeviceName, NativeTensor, NativeTypedArray } from './native-types/core.js';

export interface NativeAddon
  extends
    CoreOps,
    GemmOps,
    ConvOps,
    PoolOps,
    BatchnormOps,
    ElementwiseOps,
    ReduceOps,
    SoftmaxOps,
    DropoutOps,
    IndexingOps,
    OptimOps,
    KnnOps,
    ImageOps {}
// Declaration merging: each later op family adds its surface on a line of its own.
export interface NativeAddon extends SpectralOps {}

/** The package root: the nearest folder above this file that holds package.json. */
export { packageRoot };

function loadAddon(): NativeAddon {
  checkNnlabEnv();
  const require = createRequire(import.meta.url);
  const root = packageRoot();
  // NNLAB_ADDON points at a specific build (the CUDA or simulator builds in CI).
  const explicit = process.env.NNLAB_ADDON;
  try {
    const addon = (explicit ? require(explicit) : require('node-gyp-build')(root)) as NativeAddon;
    addon.setErrorClasses(errorClassesByCode);
    return addon;
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new LoadError(
      `nnlab: could not load the native addon for ${process.platform}-${process.arch} (node ${process.version}).\n` +
        `  Looked in ${explicit ?? join(root, 'prebuilds') + ' and ' + join(root, 'build/Release')}.\n` +
        `  Reason: ${reason}\n` +
        `  Fix: reinstall with "npm install nnlab" (a prebuilt binary ships for linux-x64), or build from source ` +
        `with "npm run build:native" (needs g++, make and cmake).`,
    );
  }
}

export const native: NativeAddon = loadAddon();
