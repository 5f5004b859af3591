// ResNet18 speed, nnlab against PyTorch 1.13 + torchvision 0.14 in the same run: training steps
// (Adam lr 1e-4, weight decay 1e-4, cross-entropy) and eval-mode inference on 3x32x32 inputs.
// Besides wall-clock images/s it reports CPU seconds per step: at 1 thread that number barely
// moves when other jobs share the machine, so it compares the two fairly on a busy machine.
//   node scripts/resnet-speed.mjs [--batch 512] [--steps 3] [--threads 1,2] [--profile] [--json]
// (needs dist/: npx tsc -p tsconfig.json). --profile prints nnlab's CPU time per native op and shape.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const batch = Number(arg('batch', 512)),
  steps = Number(arg('steps', 3));
const cpuMs = (c) => (c.user + c.system) / 1000;

async function child() {
  const nl = await import(new URL('../dist/index.js', import.meta.url).href);
  const { nn, ops, optim, tidy, backward, noGrad, RandomGenerator, native } = nl;
  const profile = process.argv.includes('--profile');
  const perOp = new Map();
  if (profile) {
    for (const k of Object.keys(native)) {
      const f = native[k];
      if (typeof f !== 'function') continue;
      native[k] = function (...a) {
        const c0 = process.cpuUsage();
        const r = f.apply(this, a);
        const key = `${k} ${a
          .filter((t) => t && t.shape)
          .map((t) => t.shape.join('x'))
          .join(' ')}`;
        perOp.set(key, (perOp.get(key) ?? 0) + cpuMs(process.cpuUsage(c0)));
        return r;
      };
    }
  }
  const model = new nn.ResNet18({ numClasses: 10, generator: new RandomGenerator(0) });
  const opt = new optim.Adam(model.parameters(), { lr: 1e-4, weightDecay: 1e-4 });
  const x = ops.randn([batch, 3, 32, 32], { generator: new RandomGenerator(1) }).keep();
  const y = ops.tensor(Int32Array.from({ length: batch }, (_, i) => i % 10)).keep();
  const step = () => {
    tidy(() => {
      const loss = ops.crossEntropy(model.forward(x), y);
      backward(loss);
      opt.step();
      loss.item();
    });
    opt.zeroGrad();
  };
  step(); // warm-up
  perOp.clear();
  let t0 = performance.now(),
    c0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) step();
  const trainS = (performance.now() - t0) / 1000 / steps,
    trainCpu = cpuMs(process.cpuUsage(c0)) / 1000 / steps;
  const profileRows = [...perOp]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)
    .map(([k, ms]) => ({ op: k, cpu_ms_per_step: ms / steps }));
  model.eval();
  const infer = () =>
    noGrad(() =>
      tidy(() => {
        model.forward(x).data();
      }),
    );
  infer();
  t0 = performance.now();
  c0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) infer();
  const inferS = (performance.now() - t0) / 1000 / steps,
    inferCpu = cpuMs(process.cpuUsage(c0)) / 1000 / steps;
  console.log(
    JSON.stringify({
      threads: native.numThreads(),
      train_images_per_s: batch / trainS,
      infer_images_per_s: batch / inferS,
      train_cpu_s_per_step: trainCpu,
      infer_cpu_s_per_batch: inferCpu,
      ...(profile && { profile: profileRows }),
    }),
  );
}

function runJson(cmd, args, env) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) return { error: (r.stderr || `${cmd} failed`).trim().split('\n').pop() };
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

async function main() {
  const threads = String(arg('threads', '1,2')).split(',').map(Number);
  const rows = [];
  for (const t of threads) {
    const ours = runJson(
      process.execPath,
      [
        fileURLToPath(import.meta.url),
        '--child',
        '--batch',
        String(batch),
        '--steps',
        String(steps),
        ...(process.argv.includes('--profile') ? ['--profile'] : []),
      ],
      { NNLAB_THREADS: String(t) },
    );
    const env = { OPENBLAS_CORETYPE: '', OPENBLAS_L2_SIZE: '' };
    const torch = runJson(
      '/usr/bin/python3',
      [`${root}scripts/fixtures/torchvision_speed.py`, '--threads', String(t), '--batch', String(batch), '--steps', String(steps)],
      env,
    );
    rows.push({ threads: t, batch, steps, nnlab: ours, torch });
  }
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(rows));
    return;
  }
  const f = (v, d = 0) => (typeof v === 'number' ? v.toFixed(d) : 'n/a');
  for (const r of rows) {
    console.log(`ResNet18 3x32x32, batch ${r.batch}, ${r.threads} thread(s), ${r.steps} timed steps`);
    for (const [name, m] of [
      ['nnlab', r.nnlab],
      ['torch', r.torch],
    ]) {
      if (m.error) {
        console.log(`  ${name}: failed: ${m.error}`);
        continue;
      }
      console.log(
        `  ${name.padEnd(6)} train ${f(m.train_images_per_s).padStart(6)} img/s (${f(m.train_cpu_s_per_step, 2)} CPU s/step)   inference ${f(m.infer_images_per_s).padStart(6)} img/s (${f(m.infer_cpu_s_per_batch, 2)} CPU s/batch)`,
      );
    }
    if (!r.nnlab.error && !r.torch.error)
      console.log(
        `  nnlab/torch: train ${f(r.nnlab.train_images_per_s / r.torch.train_images_per_s, 2)}x wall, ${f(r.torch.train_cpu_s_per_step / r.nnlab.train_cpu_s_per_step, 2)}x CPU; inference ${f(r.nnlab.infer_images_per_s / r.torch.infer_images_per_s, 2)}x wall, ${f(r.torch.infer_cpu_s_per_batch / r.nnlab.infer_cpu_s_per_batch, 2)}x CPU`,
      );
    if (r.nnlab.profile) for (const p of r.nnlab.profile) console.log(`    ${f(p.cpu_ms_per_step).padStart(6)} CPU ms/step  ${p.op}`);
  }
}

if (process.argv.includes('--child')) await child();
else await main();
