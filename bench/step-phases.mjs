// Where a training step's time goes: one MNIST epoch of the seed CNN or the MLP (batch 128, Adam
// 1e-3, the loop `fit` runs), each step's wall time split into batching, forward, loss, backward,
// optimizer step, loss/accuracy read-out and zeroing the gradients. A profile, not a benchmark:
// no peer, no ratio (`npm run bench` compares). Build first (npm run build:ts).
//   node bench/step-phases.mjs [--model mlp|cnn] [--limit N]
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { model: { type: 'string', default: 'mlp' }, limit: { type: 'string', default: '60000' } } });
if (!['mlp', 'cnn'].includes(values.model)) throw new Error(`--model must be mlp or cnn, got '${values.model}'`);
const nn = await import(new URL('../dist/index.js', import.meta.url).href);

const d = nn.data.loadDataset('mnist');
const asked = Number(values.limit);
if (!Number.isInteger(asked) || asked < 128)
  throw new Error(`--limit must be an integer of at least 128 (one batch), got '${values.limit}'`);
const limit = Math.min(asked, d.train.images.shape[0]);
const x = nn.data.toUnitFloat(nn.data.rowsOf(d.train.images, 0, limit));
const train = nn.data.tensorDataset(nn.data.normalize(x, nn.data.pixelStats(x)).keep(), nn.data.rowsOf(d.train.labels, 0, limit).keep());
const model = (values.model === 'cnn' ? nn.seedCnn : nn.mlp)(new nn.RandomGenerator(0));
const optimizer = new nn.optim.Adam(model.parameters(), { lr: 1e-3 });
const loader = new nn.data.DataLoader(train, { batchSize: 128, shuffle: true, seed: 0 });

const phases = { batching: 0, forward: 0, loss: 0, backward: 0, 'optimizer step': 0, 'read-out': 0, 'zero grad': 0 };
const t0 = performance.now();
let last = t0;
const lap = (phase) => {
  const now = performance.now();
  phases[phase] += now - last;
  last = now;
};
let steps = 0,
  images = 0;
for (const { x: xb, y: yb } of loader.batches(0)) {
  lap('batching');
  nn.tidy(() => {
    const out = model.forward(xb);
    lap('forward');
    const loss = nn.ops.crossEntropy(out, yb);
    lap('loss');
    nn.backward(loss);
    lap('backward');
    optimizer.step();
    lap('optimizer step');
    loss.item();
    nn.countCorrect(out, yb);
    lap('read-out');
  });
  optimizer.zeroGrad();
  images += xb.shape[0];
  xb.dispose();
  yb.dispose();
  lap('zero grad');
  steps++;
}
const total = performance.now() - t0;
console.log(
  `${values.model}: ${steps} steps of batch 128 on ${nn.native.numThreads()} threads, ${(total / 1000).toFixed(2)} s, ${Math.round(images / (total / 1000))} images/s`,
);
for (const [phase, ms] of Object.entries(phases))
  console.log(
    `${phase.padEnd(15)} ${((ms / steps) * 1000).toFixed(0).padStart(7)} us/step  ${((100 * ms) / total).toFixed(1).padStart(5)}%`,
  );
