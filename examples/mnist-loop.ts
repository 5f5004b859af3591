// PyTorch's "Optimizing Model Parameters" tutorial, line for line: FashionMNIST, a 512-512 MLP,
// SGD, train_loop / test_loop. No tidy(): the DataLoader and optimizer.step() end each training
// step, and the step's tensors are freed two steps later (docs/guide/memory.md).
//
//   npx tsc -p examples/tsconfig.json && node dist/examples/mnist-loop.js
import { data, noGrad, nn, ops, optim, Tensor, tidy } from 'nnlab';

import { sized } from './shared.js';

const learningRate = 1e-3;
const batchSize = 64;
const epochs = sized(10, 1);

function loadSplit(split: data.ImageSet, n: number): data.TensorDataset {
  const images = data.rowsOf(split.images, 0, Math.min(n, split.images.shape[0]));
  const x = tidy(() => data.toUnitFloat(images)).keep(); // ToTensor(): [N, 1, 28, 28] in [0, 1]
  const y = data.rowsOf(split.labels, 0, images.shape[0]).keep();
  return data.tensorDataset(x, y);
}
const fashion = data.loadDataset('fashion');
const trainingData = loadSplit(fashion.train, sized(60000, 512));
const testData = loadSplit(fashion.test, sized(10000, 256));
const trainDataloader = new data.DataLoader(trainingData, { batchSize, shuffle: true });
const testDataloader = new data.DataLoader(testData, { batchSize });

class NeuralNetwork extends nn.Module {
  flatten = new nn.Flatten();
  linear_relu_stack = new nn.Sequential(
    new nn.Linear(28 * 28, 512),
    new nn.ReLU(),
    new nn.Linear(512, 512),
    new nn.ReLU(),
    new nn.Linear(512, 10),
  );
  forward(x: Tensor): Tensor {
    x = this.flatten.forward(x);
    const logits = this.linear_relu_stack.forward(x);
    return logits;
  }
}
const model = new NeuralNetwork();
const lossFn = nn.crossEntropyLoss;
const optimizer = new optim.SGD(model.parameters(), { lr: learningRate });

function trainLoop(dataloader: data.DataLoader, model: nn.Module, lossFn: (p: Tensor, y: Tensor) => Tensor, optimizer: optim.Optimizer) {
  const size = dataloader.size;
  model.train();
  let batch = 0;
  for (const [X, y] of dataloader) {
    const pred = model.forward(X);
    const loss = lossFn(pred, y);
    loss.backward();
    optimizer.step();
    optimizer.zeroGrad();
    if (batch % 100 === 0) {
      const current = batch * batchSize + X.shape[0];
      console.log(`loss: ${loss.item().toFixed(6).padStart(7)}  [${String(current).padStart(5)}/${String(size).padStart(5)}]`);
    }
    batch++;
  }
}

function testLoop(dataloader: data.DataLoader, model: nn.Module, lossFn: (p: Tensor, y: Tensor) => Tensor): number {
  model.eval();
  const size = dataloader.size;
  const numBatches = dataloader.length;
  let testLoss = 0,
    correct = 0;
  noGrad(() => {
    for (const [X, y] of dataloader) {
      const pred = model.forward(X);
      testLoss += lossFn(pred, y).item();
      correct += ops.sum(ops.eq(ops.cast(ops.argmax(pred, 1), 'float32'), ops.cast(y, 'float32'))).item();
    }
  });
  testLoss /= numBatches;
  correct /= size;
  console.log(`Test Error: \n Accuracy: ${(100 * correct).toFixed(1)}%, Avg loss: ${testLoss.toFixed(6)} \n`);
  return correct;
}

let accuracy = 0;
for (let t = 0; t < epochs; t++) {
  console.log(`Epoch ${t + 1}\n-------------------------------`);
  trainLoop(trainDataloader, model, lossFn, optimizer);
  accuracy = testLoop(testDataloader, model, lossFn);
}
console.log('Done!');
// The test suite reads this line.
console.log(JSON.stringify({ accuracy }));
