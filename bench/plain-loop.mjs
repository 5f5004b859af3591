// The memory and speed of a training loop written the PyTorch way, without tidy() (issue 23):
// the same 784-128-64-10 MLP, MNIST (first 4096 training images, batch 32, shuffled, SGD with
// momentum), 10,000 steps, in four separate processes:
//   tidy   - each step inside tidy() (the explicit path fit() uses)
//   await  - `for await (const [x, y] of loader)`, no tidy(), no gc()
//   sync   - `for (const [x, y] of loader)`, fully synchronous, no tidy(), no gc()
//   torch  - PyTorch (Debian's python3-torch) on the same loop and data, 1 thread like nnlab's CPU run here
// Reports the resident set at steps 200, 1000, 2000, ..., the native tensor handles alive at step 200
// and at the end (equal when nothing waits for the event loop), and wall and CPU ms per step after
// step 200. A benchmark, not a test: on a shared machine wall time swings with the load; CPU time
// (the process's user + system time) much less.
//
//   node bench/plain-loop.mjs [--steps 10000]      (after npm run build:ts)
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { flag, isMain, PYTHON, ROOT } from './harness.mjs';

const STEPS = Number(flag('steps', '10000'));
const MARKS = [200, 1000, 2000, 3000, 5000, 7500, 10000].filter((s) => s <= STEPS);
const rss = () => process.memoryUsage().rss / 2 ** 20;

async function runNnlab(mode) {
  const nn = await import(join(ROOT, 'dist/index.js'));
  const { data, ops, optim, tidy } = nn;
  class Net extends nn.nn.Module {
    fc1 = new nn.nn.Linear(784, 128, { generator: new nn.RandomGenerator(1) });
    fc2 = new nn.nn.Linear(128, 64, { generator: new nn.RandomGenerator(2) });
    fc3 = new nn.nn.Linear(64, 10, { generator: new nn.RandomGenerator(3) });
    forward(x) {
      x = ops.relu(this.fc1.forward(ops.flatten(x, 1)));
      return this.fc3.forward(ops.relu(this.fc2.forward(x)));
    }
  }
  const ds = data.loadDataset('mnist');
  const x = tidy(() => data.normalize(data.toUnitFloat(data.rowsOf(ds.train.images, 0, 4096)), { mean: 0.1307, std: 0.3081 })).keep();
  const y = data.rowsOf(ds.train.labels, 0, 4096).keep();
  const loader = new data.DataLoader(data.tensorDataset(x, y), { batchSize: 32, shuffle: true, seed: 0 });
  const model = new Net();
  const opt = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  const marks = {};
  let step = 0,
    loss = 0,
    t0 = 0,
    cpu0 = null,
    handles = {};
  const body = (xb, yb) => {
    const l = ops.crossEntropy(model.forward(xb), yb);
    l.backward();
    opt.step();
    opt.zeroGrad();
    return l;
  };
  const after = (l) => {
    step++;
    if (step === 200) [t0, cpu0, handles.at200] = [performance.now(), process.cpuUsage(), nn.native.liveTensorHandles()];
    if (MARKS.includes(step)) marks[step] = rss();
    if (step === STEPS) handles.atEnd = nn.native.liveTensorHandles();
    if (step === STEPS) loss = l.item();
    return step < STEPS;
  };
  while (step < STEPS) {
    if (mode === 'tidy') {
      for (const b of loader.batches(loader.epoch++)) {
        const go = tidy(() => after(body(b.x, b.y)));
        b.x.dispose();
        b.y.dispose();
        if (!go) break;
      }
    } else if (mode === 'await') {
      for await (const [xb, yb] of loader) if (!after(body(xb, yb))) break;
    } else {
      for (const [xb, yb] of loader) if (!after(body(xb, yb))) break;
    }
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    marks,
    msPerStep: (performance.now() - t0) / (STEPS - 200),
    cpuMsPerStep: (cpu.user + cpu.system) / 1000 / (STEPS - 200),
    handles,
    loss,
  };
}

function runTorch() {
  const script = `
import json, time, resource, gzip, struct, os, sys
import numpy as np, torch
torch.set_num_threads(1); torch.manual_seed(0)
STEPS, MARKS = ${STEPS}, ${JSON.stringify(MARKS)}
def rss():
    with open('/proc/self/statm') as f: return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2**20
d = sys.argv[1]
def idx(name):
    raw = open(os.path.join(d, name), 'rb').read()
    if raw[:2] == b'\\x1f\\x8b': raw = gzip.decompress(raw)
    nd = raw[3]; dims = struct.unpack('>' + 'I' * nd, raw[4:4 + 4 * nd])
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * nd).reshape(dims)
imgs, labs = idx(${JSON.stringify('IMAGES')}), idx(${JSON.stringify('LABELS')})
x = (torch.tensor(imgs[:4096], dtype=torch.float32) / 255 - 0.1307) / 0.3081
y = torch.tensor(labs[:4096], dtype=torch.long)
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=32, shuffle=True)
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(784, 128); self.fc2 = torch.nn.Linear(128, 64); self.fc3 = torch.nn.Linear(64, 10)
    def forward(self, x):
        x = torch.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc3(torch.relu(self.fc2(x)))
model = Net(); opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9); loss_fn = torch.nn.CrossEntropyLoss()
marks, step, t0, c0, last = {}, 0, 0, 0, 0
while step < STEPS:
    for xb, yb in loader:
        loss = loss_fn(model(xb), yb); loss.backward(); opt.step(); opt.zero_grad()
        step += 1
        if step == 200: t0, c0 = time.perf_counter(), time.process_time()
        if step in MARKS: marks[step] = rss()
        if step == STEPS: last = loss.item(); break
print(json.dumps({'marks': marks, 'msPerStep': (time.perf_counter() - t0) * 1000 / (STEPS - 200), 'cpuMsPerStep': (time.process_time() - c0) * 1000 / (STEPS - 200), 'loss': last}))
`;
  return script;
}

async function child(mode) {
  if (mode === 'torch') {
    const nn = await import(join(ROOT, 'dist/index.js'));
    const dir = nn.data.mnistDir();
    const { readdirSync } = await import('node:fs');
    const files = readdirSync(dir);
    const pick = (re) => files.find((f) => re.test(f));
    const file = join(tmpdir(), `nnlab-plain-loop-${process.pid}.py`);
    writeFileSync(
      file,
      runTorch()
        .replace('"IMAGES"', JSON.stringify(pick(/train-images/)))
        .replace('"LABELS"', JSON.stringify(pick(/train-labels/))),
    );
    const r = spawnSync(PYTHON, [file, dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop());
  }
  return runNnlab(mode);
}

if (isMain(import.meta.url)) {
  const mode = flag('mode', null);
  if (mode) {
    process.stdout.write(JSON.stringify(await child(mode)) + '\n');
  } else {
    const rows = [];
    for (const m of ['tidy', 'await', 'sync', 'torch']) {
      const r = spawnSync(process.execPath, [new URL(import.meta.url).pathname, '--mode', m, '--steps', String(STEPS)], {
        encoding: 'utf8',
        env: { ...process.env, NNLAB_THREADS: process.env.NNLAB_THREADS ?? '1' },
      });
      if (r.status !== 0) {
        console.error(`${m}: ${r.stderr}`);
        continue;
      }
      const res = JSON.parse(r.stdout.trim().split('\n').pop());
      const first = res.marks[200],
        peak = Math.max(...MARKS.slice(1).map((s) => res.marks[s]));
      rows.push({ mode: m, ...res, growth: (peak - first) / first });
      console.log(
        `${m.padEnd(6)} RSS ${MARKS.map((s) => `${s}:${res.marks[s].toFixed(0)}`).join(' ')} MiB; growth after step 200 ${(((peak - first) / first) * 100).toFixed(1)}%; ` +
          `${res.msPerStep.toFixed(3)} ms/step, ${res.cpuMsPerStep.toFixed(3)} CPU ms/step; ` +
          (res.handles ? `native handles ${res.handles.at200} at step 200, ${res.handles.atEnd} at the end; ` : '') +
          `final loss ${res.loss.toFixed(3)}`,
      );
    }
    const tidyMs = rows.find((r) => r.mode === 'tidy')?.msPerStep;
    const tidyCpu = rows.find((r) => r.mode === 'tidy')?.cpuMsPerStep;
    if (tidyMs)
      for (const r of rows)
        console.log(
          `${r.mode}: ${(r.msPerStep / tidyMs).toFixed(3)}x the tidy() loop's wall time per step, ${(r.cpuMsPerStep / tidyCpu).toFixed(3)}x its CPU time`,
        );
  }
}
