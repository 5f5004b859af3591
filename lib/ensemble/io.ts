// Saving and loading an ensemble as ONE safetensors file: every member's state dict under
// "members.<i>." (PyTorch's ModuleList naming, so torch can load it into an nn.ModuleList of
// the same members), plus metadata "nnlab_ensemble" = {format, members} and the caller's own
// string metadata (e.g. the architecture). Loading rebuilds the members with a factory the
// caller gives and copies the weights in with a strict key and shape check.
import { IOError } from '../core/errors.js';
import { loadSafetensors, saveSafetensors } from '../io/safetensors.js';
import type { Module } from '../nn/module.js';
import { Ensemble } from './ensemble.js';

export const ENSEMBLE_METADATA_KEY = 'nnlab_ensemble';

export function saveEnsemble(path: string, ens: Ensemble, metadata: Record<string, string> = {}): void {
  saveSafetensors(path, ens.stateDict(), {
    ...metadata,
    [ENSEMBLE_METADATA_KEY]: JSON.stringify({ format: 1, members: ens.size }),
  });
}

export interface LoadedEnsemble {
  ensemble: Ensemble;
  /** The metadata saved with it (the caller's keys and nnlab_ensemble). */
  metadata: Record<string, string>;
}

/**
 * Rebuilds an ensemble saved by saveEnsemble: factory(i, metadata) makes member i with the
 * right architecture (its weights are then overwritten).
 */
export function loadEnsemble(path: string, factory: (index: number, metadata: Record<string, string>) => Module): LoadedEnsemble {
  const { tensors, metadata } = loadSafetensors(path);
  try {
    const raw = metadata[ENSEMBLE_METADATA_KEY];
    if (!raw) throw new IOError(`${path}: not an nnlab ensemble file (no '${ENSEMBLE_METADATA_KEY}' metadata)`);
    let info: { format?: number; members?: number };
    try {
      info = JSON.parse(raw);
    } catch {
      throw new IOError(`${path}: '${ENSEMBLE_METADATA_KEY}' metadata is not valid JSON`);
    }
    const m = info.members;
    if (info.format !== 1 || !(Number.isInteger(m) && m! > 0))
      throw new IOError(`${path}: unsupported ensemble metadata ${raw} (expected format 1 and a positive member count)`);
    const ensemble = new Ensemble(Array.from({ length: m! }, (_, i) => factory(i, metadata)));
    ensemble.loadStateDict(tensors);
    return { ensemble, metadata };
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}
