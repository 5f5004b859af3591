// Batched ensemble training runs through the same loop as fit (lib/train/loop.ts), so it writes a
// checkpoint after every epoch and a run interrupted mid-epoch resumes to exactly the weights,
// optimizer state and metrics.csv of an uninterrupted run.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { data, fitBatched, RandomGenerator, nn, optim } from '../../lib/index.js';

const SEEDS = [5, 6, 7];
const EPOCHS = 3;
let train: data.TensorDataset;

beforeAll(() => {
  const d = data.loadDataset('mnist');
  const x = data.toUnitFloat(data.rowsOf(d.train.images, 0, 256));
  train = data.tensorDataset(data.normalize(x, data.pixelStats(x)).keep(), data.rowsOf(d.train.labels, 0, 256).keep());
});

const member = (seed: number) => {
  const g = new RandomGenerator(seed);
  return new nn.Sequential(
    new nn.Flatten(),
    new nn.Linear(784, 32, { generator: g }),
    new nn.ReLU(),
    new nn.Linear(32, 10, { generator: g }),
  );
};

function weights(ms: nn.Module[]): Float32Array[] {
  return ms.flatMap((m) => m.parameters().map((p) => Float32Array.from(p.data())));
}

async function run(outDir: string, stopAt?: { epoch: number; batch: number }) {
  const members = SEEDS.map(member);
  const opts = {
    epochs: EPOCHS,
    batchSize: 32,
    seeds: SEEDS,
    outDir,
    resume: true,
    progress: false,
    log: () => {},
    optimizer: (ps: ReturnType<nn.Module['parameters']>) => new optim.SGD(ps, { lr: 0.05, momentum: 0.9 }),
    onBatch: (e: number, b: number) => {
      if (stopAt && e === stopAt.epoch && b === stopAt.batch) throw new Error('interrupted');
    },
  };
  try {
    const r = await fitBatched(members, train, opts);
    r.optimizer.dispose();
    return { members, done: true };
  } catch (e) {
    if ((e as Error).message !== 'interrupted') throw e;
    return { members, done: false };
  }
}

describe('batched ensembles resume like fit', () => {
  it('an interrupted run resumed from its checkpoint equals an uninterrupted run, bit for bit', async () => {
    const straight = mkdtempSync(join(tmpdir(), 'nnlab-batched-'));
    const a = await run(straight);
    expect(a.done).toBe(true);

    const broken = mkdtempSync(join(tmpdir(), 'nnlab-batched-'));
    const first = await run(broken, { epoch: 1, batch: 3 });
    expect(first.done).toBe(false);
    const resumed = await run(broken);
    expect(resumed.done).toBe(true);

    const wa = weights(a.members),
      wb = weights(resumed.members);
    expect(wb.length).toBe(wa.length);
    wa.forEach((w, i) => expect(Buffer.compare(Buffer.from(w.buffer), Buffer.from(wb[i].buffer))).toBe(0));
    // metrics.csv: same rows except the wall-time column.
    const rows = (dir: string) =>
      readFileSync(join(dir, 'metrics.csv'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(',').slice(0, -1).join(','));
    expect(rows(broken)).toEqual(rows(straight));
    expect(rows(straight).length).toBe(1 + EPOCHS * SEEDS.length);
  });
});
