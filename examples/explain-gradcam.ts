// Grad-CAM and Grad-CAM++ of a seed CNN on MNIST test images, saved as PNG overlays.
//
//   npx tsc -p tsconfig.json && npx tsc --strict --module nodenext --moduleResolution nodenext --target es2022 --outDir /tmp/ex examples/explain-gradcam.ts
//   node /tmp/ex/explain-gradcam.js [weights.safetensors] [out-dir]
//
// With a checkpoint of the seed CNN (e.g. runs/cnn/<time>/model.safetensors from `nnlab run cnn`)
// the maps explain that model; without one, the script first trains the seed CNN for one epoch on
// 10,000 training images (about a minute on a laptop).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { data, explain, fit, RandomGenerator, loadWeights, ops, optim, seedCnn, tidy } from 'nnlab';

const [weights, outDir = 'gradcam-out'] = process.argv.slice(2);
mkdirSync(outDir, { recursive: true });

// MNIST scaled to [0, 1] and normalised with the train split's statistics.
const mnist = data.loadDataset('mnist');
const toInput = (images: ReturnType<typeof data.rowsOf>, stats: data.NormStats) => data.normalize(data.toUnitFloat(images), stats);
const trainImages = data.rowsOf(mnist.train.images, 0, 10000);
const stats = data.pixelStats(data.toUnitFloat(trainImages));

const model = seedCnn(new RandomGenerator(0));
if (weights) {
  loadWeights(weights, model);
} else {
  const loader = new data.DataLoader(data.tensorDataset(toInput(trainImages, stats), data.rowsOf(mnist.train.labels, 0, 10000)), {
    batchSize: 64,
    shuffle: true,
    seed: 0,
  });
  await fit(model, loader, { epochs: 1, optimizer: new optim.Adam(model.parameters(), { lr: 1e-3 }) });
}

// Eight test images; explain each one's predicted class at module '4' (the ReLU after conv 2).
const images = data.rowsOf(mnist.test.images, 0, 8);
const x = toInput(images, stats);
const pixels = tidy(() => data.toUnitFloat(images).data());
for (const [name, method] of [
  ['gradcam', explain.gradCam],
  ['gradcampp', explain.gradCamPlusPlus],
] as const) {
  const maps = method(model, x, { layer: '4' });
  for (let i = 0; i < maps.n; i++) {
    const png = explain.overlayPng(pixels.subarray(i * 784, (i + 1) * 784), maps.maps.subarray(i * 784, (i + 1) * 784), 28, 28, {
      alpha: 0.5,
      scale: 8,
    });
    const file = join(outDir, `${name}_${i}_class${maps.targets[i]}.png`);
    writeFileSync(file, png);
    console.log(`${file}: logit ${maps.scores[i].toFixed(2)}`);
  }
}
// Images from the ops namespace work too: a blank image has no evidence, so its map is flat.
const blankMax = Math.max(...explain.gradCam(model, ops.zeros([1, 1, 28, 28]), { layer: '4', target: 0 }).raw);
console.log(JSON.stringify({ example: 'explain-gradcam', out: outDir, blankImageGradCamMax: blankMax }));
