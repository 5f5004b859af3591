// The only module that loads the native addon. binary-choice.ts decides which file (NNLAB_ADDON,
// a build from source, or the prebuilt CPU or CUDA binary after a driver probe); this module loads
// it, falls back to the CPU binary if the CUDA one fails to load in-process, registers the typed
// error classes, and exports the typed surface the rest of lib/ uses with the choice made.
import { packageRoot } from './package-root.js';
import { createRequire } from 'node:module';

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
import { chooseBinary, findPrebuilds, type BinaryChoice } from './binary-choice.js';

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

function requireAddon(path: string): NativeAddon {
  const addon = createRequire(import.meta.url)(path) as NativeAddon;
  addon.setErrorClasses(errorClassesByCode);
  return addon;
}

function loadError(choice: BinaryChoice, e: unknown): LoadError {
  const reason = e instanceof Error ? e.message : String(e);
  const glibc = /GLIBC_\d/.test(reason) ? " (this system's glibc is older than the prebuilt binary needs: see docs/building.md)" : '';
  return new LoadError(
    `nnlab: could not load the native addon ${choice.path} for ${process.platform}-${process.arch} (node ${process.version}, ${choice.libc}).\n` +
      `  Reason: ${reason}${glibc}\n` +
      `  Fix: reinstall with "npm install nnlab" (prebuilt binaries ship for linux-x64 glibc), or build from source with ` +
      `"npm rebuild nnlab --build-from-source" (needs a C++17 compiler, make and python3).`,
  );
}

function loadAddon(): { addon: NativeAddon; binary: BinaryChoice } {
  checkNnlabEnv();
  const root = packageRoot();
  const choice = chooseBinary(root);
  try {
    return { addon: requireAddon(choice.path), binary: choice };
  } catch (e) {
    // The probe passed (or NNLAB_BINARY=cuda) but the CUDA binary would not load here: the CPU one still can.
    const cpu = choice.chosen === 'cuda' ? findPrebuilds(root, choice.libc).cpu : undefined;
    if (!cpu) throw loadError(choice, e);
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    const fallback: BinaryChoice = { chosen: 'cpu', path: cpu, reason: `the CUDA binary failed to load (${why})`, libc: choice.libc };
    try {
      return { addon: requireAddon(cpu), binary: fallback };
    } catch (e2) {
      throw loadError(fallback, e2);
    }
  }
}

const loaded = loadAddon();
export const native: NativeAddon = loaded.addon;
/** The binary this process loaded and why (reported by `nnlab devices --json`). */
export const nativeBinary: Readonly<BinaryChoice> = loaded.binary;
export type { BinaryChoice, BinaryKind } from './binary-choice.js';
