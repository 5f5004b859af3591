// Fine-tuning torchvision's ResNet18 on MNIST from a .safetensors file of its state dict (made in
// Python with safetensors.torch.save_file(model.state_dict(), path), or by
// scripts/fixtures/torchvision_resnet.py). The backbone trains with a small learning rate, the
// new head with a larger one (parameter groups); linear warm-up, then cosine.
//
//   node dist/examples/resnet18-finetune.js resnet18.safetensors
import { data, io, nn, ops, optim, tidy } from 'nnlab';

import { sized } from './shared.js';

const weights = process.argv[2] ?? process.env.NNLAB_RESNET18_WEIGHTS;
if (!weights) {
  console.error('usage: node dist/examples/resnet18-finetune.js RESNET18.safetensors (a torchvision resnet18 state dict)');
  process.exit(2);
}

const model = new nn.ResNet18({ numClasses: 10 });
const file = io.loadSafetensors(weights);
// A 1000-class ImageNet checkpoint keeps its backbone; the 10-class head starts fresh.
const state = new Map([...file.tensors].filter(([k, t]) => !(k.startsWith('fc.') && t.shape[0] !== 10)));
model.loadStateDict(state, false);
console.log(`loaded ${state.size} tensors from ${weights}`);

// MNIST as a 3-channel 32x32 image, normalised.
const mnist = data.loadDataset('mnist');
const prepare = (images: import('nnlab').Tensor, n: number) =>
  tidy(() => {
    const x = data.toUnitFloat(data.rowsOf(images, 0, n));
    const big = ops.resizeBilinear(x, 32, 32);
    return data.normalize(ops.concat([big, big, big], 1), { mean: 0.1307, std: 0.3081 });
  }).keep();
const nTrain = sized(5000, 64),
  nTest = sized(1000, 64);
const train = new data.DataLoader(
  data.tensorDataset(prepare(mnist.train.images, nTrain), data.rowsOf(mnist.train.labels, 0, nTrain).keep()),
  { batchSize: 32, shuffle: true },
);
const testX = prepare(mnist.test.images, nTest),
  testY = data.rowsOf(mnist.test.labels, 0, nTest).keep();

const head = model.fc.parameters();
const backbone = model.parameters().filter((p) => !head.includes(p));
const optimizer = new optim.SGD(
  [
    { params: backbone, lr: 1e-3 },
    { params: head, lr: 1e-2 },
  ],
  { lr: 1e-2, momentum: 0.9, weightDecay: 5e-4 },
);
const epochs = sized(3, 1);
const warmup = new optim.LinearLR(optimizer, 0.1, 1, Math.min(100, train.length));

let step = 0;
for (let epoch = 0; epoch < epochs; epoch++) {
  model.train();
  for (const [x, y] of train) {
    const loss = ops.crossEntropy(model.forward(x), y);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    if (++step <= warmup.totalIters) warmup.step();
    if (step % 50 === 0) console.log(`step ${step}: loss ${loss.item().toFixed(4)}`);
  }
  model.eval();
  const correct = tidy(() => ops.sum(ops.eq(ops.cast(ops.argmax(model.forward(testX), 1), 'float32'), ops.cast(testY, 'float32'))).item());
  console.log(`epoch ${epoch + 1}: test accuracy ${((100 * correct) / nTest).toFixed(2)}%`);
  console.log(JSON.stringify({ epoch: epoch + 1, accuracy: correct / nTest }));
}
