// Class maximisation with nnlab's explain API: train the seed CNN briefly on MNIST pixels, turn a
// test digit into each of the ten classes by gradient ascent on its pixels (log loss, normalised
// gradient), do the same through an exact k-NN with its pseudo-gradient, and save both grids.
//
//   npx tsc examples/class-max.ts --module nodenext --target es2022 --outDir build-examples
//   node build-examples/class-max.js [outDir] [trainImages]
// (compiled inside the package, so that "nnlab" resolves to it)
import { data, explain, fit, RandomGenerator, ops, optim, seedCnn, viz } from 'nnlab';

export async function classMaxExample(o: { trainImages?: number; epochs?: number; outDir?: string } = {}) {
  const n = o.trainImages ?? 10000;
  const mnist = data.loadDataset('mnist');
  const trainX = data.toUnitFloat(data.rowsOf(mnist.train.images, 0, n)); // pixels in [0, 1]
  const trainY = data.rowsOf(mnist.train.labels, 0, n);
  const model = seedCnn(new RandomGenerator(0));
  const loader = new data.DataLoader(data.tensorDataset(trainX, trainY), { batchSize: 128, shuffle: true, seed: 0 });
  await fit(model, loader, {
    epochs: o.epochs ?? 1,
    optimizer: new optim.Adam(model.parameters(), { lr: 1e-3 }),
    progress: false,
  });

  // The first test image, ten times, one target class per copy.
  const digit = data.toUnitFloat(data.rowsOf(mnist.test.images, 0, 1)).data() as Float32Array;
  const start = ops.tensor(
    Float32Array.from({ length: 10 * 784 }, (_, i) => digit[i % 784]),
    [10, 1, 28, 28],
  );
  const targets = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const cnn = explain.classMax(model, start, { targets, loss: 'log', lr: 0.1, maxSteps: 300, targetProb: 0.99 });

  const memory = new explain.KnnMemory({
    pixels: data.rowsOf(mnist.train.images, 0, n).data() as Uint8Array,
    labels: trainY.data() as Int32Array,
    n,
  });
  const knn = explain.knnMax(memory, start, { targets, k: 5, targetProb: 0.6, generator: new RandomGenerator(1) });
  memory.dispose();

  for (const t of targets)
    console.log(
      `-> ${t}: CNN p=${cnn.pFinal[t].toFixed(3)} after ${cnn.steps[t]} steps; k-NN share ${knn.pFinal[t].toFixed(1)} after ${knn.steps[t]} steps`,
    );
  if (o.outDir) {
    const grid = (r: { images: { data(): unknown } }, p: Float32Array, title: string) =>
      viz.imageGrid(
        targets.map((t) => ({
          pixels: (r.images.data() as Float32Array).subarray(t * 784, (t + 1) * 784),
          caption: [`-> ${t}`, `p=${p[t].toFixed(2)}`],
        })),
        { h: 28, w: 28, columns: 10, title },
      );
    viz.writeFigure(o.outDir, 'class_max_cnn', grid(cnn, cnn.pFinal, 'CNN, log loss'));
    viz.writeFigure(o.outDir, 'class_max_knn', grid(knn, knn.pFinal, 'k-NN (k = 5), pseudo-gradient'));
  }
  return { cnnP: cnn.pFinal, knnP: knn.pFinal };
}

if (process.argv[1]?.endsWith('class-max.js')) {
  const r = await classMaxExample({
    outDir: process.argv[2],
    trainImages: process.argv[3] ? Number(process.argv[3]) : undefined,
  });
  console.log(JSON.stringify({ example: 'class-max', cnnP: Array.from(r.cnnP), knnP: Array.from(r.knnP) }));
}
