// A custom module the PyTorch way: sub-modules, an array of layers (ModuleList), a learnable
// scalar (nn.Parameter) and a buffer are plain fields; they register themselves in declaration
// order under PyTorch's names. Trained on MNIST with two parameter groups, gradient clipping and
// a one-cycle schedule.
//
//   npx tsc -p examples/tsconfig.json && node dist/examples/custom-module.js
import { data, nn, ones, ops, optim, Tensor, zeros } from 'nnlab';

import { mnistTrain, sized } from './shared.js';

class ResidualMlp extends nn.Module {
  stem = new nn.Linear(784, 128);
  blocks = [new nn.Linear(128, 128), new nn.Linear(128, 128)];
  head = new nn.Linear(128, 10);
  temperature = nn.parameter(ones([1]));
  seen = nn.buffer(zeros([1]));

  forward(x: Tensor): Tensor {
    if (this.training) ops.copyInto(this.seen, ops.add(this.seen, x.shape[0]));
    let h = ops.relu(this.stem.forward(ops.flatten(x, 1)));
    for (const block of this.blocks) h = ops.add(h, ops.relu(block.forward(h)));
    return ops.div(this.head.forward(h), this.temperature);
  }
}

const model = new ResidualMlp();
console.log(
  model
    .namedParameters()
    .map(([name, p]) => `${name} [${p.shape.join(', ')}]`)
    .join('\n'),
);
console.log(`${model.numParameters()} parameters; state dict: ${[...model.stateDict().keys()].join(', ')}`);

const loader = new data.DataLoader(mnistTrain(sized(10000, 512)), { batchSize: 64, shuffle: true, seed: 0 });

// The head learns ten times faster than the body, and is not decayed.
const body = [...model.stem.parameters(), ...model.blocks.flatMap((b) => b.parameters()), model.temperature];
const optimizer = new optim.AdamW([{ params: body }, { params: model.head.parameters(), lr: 1e-2, weightDecay: 0 }], {
  lr: 1e-3,
});
const epochs = sized(3, 1);
const schedule = new optim.OneCycleLR(optimizer, [3e-3, 3e-2], epochs * loader.length);

let last = 0;
for (let epoch = 0; epoch < epochs; epoch++) {
  for (const [xb, yb] of loader) {
    const loss = ops.crossEntropy(model.forward(xb), yb);
    optimizer.zeroGrad();
    loss.backward();
    const norm = optim.clipGradNorm_(model.parameters(), 5);
    optimizer.step();
    schedule.step();
    last = loss.item();
    if (!Number.isFinite(norm)) throw new Error('gradient norm is not finite');
  }
  console.log(
    `epoch ${epoch + 1}: loss ${last.toFixed(4)}, lr ${schedule
      .lastLr()
      .map((v) => v.toExponential(2))
      .join(' / ')}, images seen ${model.seen.item()}`,
  );
}
console.log(JSON.stringify({ loss: last, parameters: model.numParameters() }));
