// The architectures of the ablation (seed 001, section 1.2): the seed CNN and five variants,
// each described by a small spec so that the parameter counts follow from the layers.
import { RandomGenerator, nn, seedCnn } from '../../index.js';

export interface CnnSpec {
  conv1: number;
  /** Channels of the second conv; null removes it (and its pool). */
  conv2: number | null;
  /** Max-pool between the two convs. */
  pool1: boolean;
  /** Hidden dense width; null removes the hidden layer (flatten -> 10). */
  hidden: number | null;
}

export const FULL_SPEC: CnnSpec = { conv1: 32, conv2: 64, pool1: true, hidden: 128 };

export const VARIANTS: { id: string; description: string; spec: CnnSpec }[] = [
  { id: 'full', description: 'seed CNN (reference)', spec: FULL_SPEC },
  { id: 'no-conv2', description: 'second conv (and its pool) removed', spec: { ...FULL_SPEC, conv2: null } },
  { id: 'no-pool1', description: 'intermediate max-pool removed', spec: { ...FULL_SPEC, pool1: false } },
  { id: 'dense64', description: 'dense 128 -> 64', spec: { ...FULL_SPEC, hidden: 64 } },
  { id: 'fewer-filters', description: 'filters 32/64 -> 16/32', spec: { ...FULL_SPEC, conv1: 16, conv2: 32 } },
  { id: 'no-dense128', description: 'dense-128 layer removed', spec: { ...FULL_SPEC, hidden: null } },
];

/** Builds a variant on 28x28 inputs; the full spec is the library's own seedCnn. */
export function buildVariant(spec: CnnSpec, generator?: RandomGenerator): nn.Sequential {
  const same = (Object.keys(FULL_SPEC) as (keyof CnnSpec)[]).every((k) => spec[k] === FULL_SPEC[k]);
  if (same) return seedCnn(generator);
  const layers: nn.Module[] = [new nn.Conv2d(1, spec.conv1, 3, { generator }), new nn.ReLU()];
  let size = 26,
    channels = spec.conv1;
  if (spec.pool1) {
    layers.push(new nn.MaxPool2d(2));
    size = Math.floor(size / 2);
  }
  if (spec.conv2 !== null) {
    layers.push(new nn.Conv2d(spec.conv1, spec.conv2, 3, { generator }), new nn.ReLU(), new nn.MaxPool2d(2));
    size = Math.floor((size - 2) / 2);
    channels = spec.conv2;
  }
  const flat = channels * size * size;
  layers.push(new nn.Flatten());
  if (spec.hidden !== null)
    layers.push(new nn.Linear(flat, spec.hidden, { generator }), new nn.ReLU(), new nn.Linear(spec.hidden, 10, { generator }));
  else layers.push(new nn.Linear(flat, 10, { generator }));
  return new nn.Sequential(...layers);
}
