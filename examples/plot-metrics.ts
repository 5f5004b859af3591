// Plotting a run's metrics.csv (what `nnlab train` and every study write) as SVG and PNG with
// lib/viz: loss and accuracy per epoch.
//
//   node dist/examples/plot-metrics.js runs/train-.../metrics.csv
// Without an argument it trains a small MLP for a few epochs first and plots that run.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { data, fit, mlp, optim, RandomGenerator, viz } from 'nnlab';

import { mnistTrain, outDir, sized } from './shared.js';

async function makeRun(dir: string): Promise<string> {
  const [train, val] = data.randomSplit(mnistTrain(sized(10000, 512)), 0.2, 0);
  const model = mlp(new RandomGenerator(0));
  await fit(model, new data.DataLoader(train, { batchSize: 64, shuffle: true }), {
    epochs: sized(5, 3),
    optimizer: new optim.Adam(model.parameters(), { lr: 1e-3 }),
    val: new data.DataLoader(val, { batchSize: 256 }),
    outDir: dir,
    progress: false,
    log: () => {},
  });
  return join(dir, 'metrics.csv');
}

const csvPath = process.argv[2] ?? (await makeRun(outDir('plot-metrics')));
const [header, ...lines] = readFileSync(csvPath, 'utf8')
  .trim()
  .split('\n')
  .map((l) => l.split(','));
const column = (name: string) => {
  const i = header.indexOf(name);
  if (i < 0) throw new Error(`${csvPath}: no column '${name}' (columns: ${header.join(', ')})`);
  return lines.map((l) => Number(l[i]));
};
const epochs = column('epoch');
const lossSeries = header.filter((h) => /loss$/.test(h)).map((h) => ({ name: h, x: epochs, y: column(h) }));
const accSeries = header.filter((h) => /acc(uracy)?$/.test(h)).map((h) => ({ name: h, x: epochs, y: column(h) }));
const dir = dirname(csvPath);
const files = [
  viz.writeFigure(dir, 'loss', viz.linePlot(lossSeries, { title: 'Loss', xLabel: 'epoch', yLabel: 'loss' })),
  viz.writeFigure(dir, 'accuracy', viz.linePlot(accSeries, { title: 'Accuracy', xLabel: 'epoch', yLabel: 'accuracy' })),
];
console.log(`plotted ${lossSeries.length + accSeries.length} series from ${csvPath}`);
console.log(JSON.stringify({ files }));
