// Instructions per training step, counted by callgrind: a figure the load of a shared machine
// cannot move. The same `fit` run (the suite's MLP or seed CNN, Adam, batch 128, one thread, AVX2
// kernels as the guard counts them) runs twice under valgrind, with few and with more steps;
// startup, data preparation and JIT warm-up are the same in both, so the difference divided by
// the extra steps is the cost of a step: kernels, bindings and JavaScript together. Slow (minutes).
// Build first (npm run build:ts).
//   node bench/step-count.mjs [--model mlp|cnn] [--steps 4,24]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'mlp' },
    steps: { type: 'string', default: '4,24' },
    child: { type: 'string' },
  },
});
if (!['mlp', 'cnn'].includes(values.model)) throw new Error(`--model must be mlp or cnn, got '${values.model}'`);

if (values.child) {
  const steps = Number(values.child);
  const nn = await import(new URL('../dist/index.js', import.meta.url).href);
  const d = nn.data.loadDataset('mnist');
  const n = 128 * steps;
  const train = nn.tidy(() => {
    const unit = nn.data.toUnitFloat(nn.data.rowsOf(d.train.images, 0, n));
    return nn.data.tensorDataset(
      nn.data.normalize(unit, { mean: 0.1307, std: 0.3081 }).keep(),
      nn.data.rowsOf(d.train.labels, 0, n).keep(),
    );
  });
  const model = (values.model === 'cnn' ? nn.seedCnn : nn.mlp)(new nn.RandomGenerator(0));
  const optimizer = new nn.optim.Adam(model.parameters(), { lr: 1e-3 });
  const loader = new nn.data.DataLoader(train, { batchSize: 128, shuffle: true, seed: 0 });
  await nn.fit(model, loader, { epochs: 1, optimizer, progress: false, log: () => {} });
} else {
  const counts = values.steps.split(',').map(Number);
  if (counts.length !== 2 || !counts.every((s) => Number.isInteger(s) && s > 0) || counts[1] <= counts[0])
    throw new Error(`--steps must be two increasing positive integers, got '${values.steps}'`);
  const dir = mkdtempSync(join(tmpdir(), 'nnlab-steps-'));
  const env = { ...process.env, NNLAB_THREADS: '1', NNLAB_DISABLE_AVX512: '1' };
  const total = counts.map((s) => {
    const out = join(dir, `callgrind.${s}`);
    const r = spawnSync(
      'valgrind',
      [
        '--tool=callgrind',
        `--callgrind-out-file=${out}`,
        process.execPath,
        fileURLToPath(import.meta.url),
        '--model',
        values.model,
        '--child',
        String(s),
      ],
      { env, encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`valgrind (${s} steps) failed: ${(r.stderr ?? String(r.error)).split('\n').slice(-5).join('\n')}`);
    return Number(readFileSync(out, 'utf8').match(/^summary:\s*(\d+)/m)[1]);
  });
  rmSync(dir, { recursive: true, force: true });
  const perStep = (total[1] - total[0]) / (counts[1] - counts[0]);
  console.log(
    `${values.model}: ${total[0]} instructions for ${counts[0]} steps, ${total[1]} for ${counts[1]}: ` +
      `${(perStep / 1e6).toFixed(2)} M instructions per step (1 thread, AVX2)`,
  );
}
