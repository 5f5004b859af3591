// Workloads `gradcam-1000` and `occlusion-28` of the suite (issue 27): Grad-CAM of 1,000 MNIST
// test images on the seed CNN at module '4' (the ReLU after conv 2) — maps resized to 28x28 and
// scaled to [0, 1] — against PyTorch with a forward and a full backward hook
// (bench/peers/torch_explain.py); and the occlusion map of one image at stride 1 (a 7x7 square,
// 784 occluded copies in batches of 256) against the same batched loop in PyTorch. Wall seconds,
// best of R runs, weights at their seed-0 initialisation (the cost does not depend on training).
// Goals: Grad-CAM >= 2x PyTorch; one occlusion map under 50 ms.
//   node bench/run.mjs --only gradcam-1000,occlusion-28 [--quick]
//   node bench/explain.mjs --workload gradcam-1000 [--quick]     nnlab's side alone (one JSON line)
import { cpus } from 'node:os';

import { PYTHON, ROOT, serve } from './harness.mjs';

const plan = (quick) => (quick ? { images: 200, repeat: 2 } : { images: 1000, repeat: 5 });
const threads = () => Number(process.env.NNLAB_THREADS) || cpus().length;

export function workloads({ quick }) {
  const p = plan(quick);
  const torch = (id) => ({
    name: 'PyTorch hooks',
    runs: [
      {
        label: 'torch',
        cmd: PYTHON,
        args: [
          `${ROOT}bench/peers/torch_explain.py`,
          '--workload',
          id,
          '--images',
          String(p.images),
          '--repeat',
          String(p.repeat),
          '--threads',
          String(threads()),
        ],
      },
    ],
  });
  return [
    {
      id: 'gradcam-1000',
      title: 'Grad-CAM, seed CNN',
      size: `${p.images} MNIST images, best ${p.repeat}`,
      unit: 's',
      better: 'lower',
      peers: [torch('gradcam-1000')],
    },
    {
      id: 'occlusion-28',
      title: 'occlusion map 28x28, stride 1',
      size: `1 image, 784 positions, best ${p.repeat}`,
      unit: 's',
      better: 'lower',
      peers: [torch('occlusion-28')],
    },
  ];
}

async function measure(id, { quick }) {
  const nn = await import(new URL('../dist/index.js', import.meta.url).href);
  const p = plan(quick);
  const model = nn.seedCnn(new nn.RandomGenerator(0));
  const d = nn.data.loadDataset('mnist').test;
  const stats = { mean: 0.1307, std: 0.3081 };
  const x = nn.data.normalize(nn.data.toUnitFloat(nn.data.rowsOf(d.images, 0, p.images)), stats).keep();
  const runs = [];
  let note = '';
  for (let r = 0; r < p.repeat; r++) {
    const t0 = performance.now();
    if (id === 'gradcam-1000') {
      const m = nn.explain.gradCam(model, x, { layer: '4', batchSize: p.images });
      note = `mean map value ${(m.maps.reduce((a, v) => a + v, 0) / m.maps.length).toFixed(4)}`;
    } else if (id === 'occlusion-28') {
      const one = nn.ops.slice(x, 0, 0, 1);
      const m = nn.explain.occlusion(model, one, { size: 7, stride: 1, fill: 0, batchSize: 256 });
      note = `min p ${Math.min(...m.prob).toFixed(4)}`;
      one.dispose();
    } else throw new Error(`bench/explain.mjs has no workload '${id}' (it has: gradcam-1000, occlusion-28)`);
    runs.push((performance.now() - t0) / 1000);
  }
  // The best is of warm calls; the first call's one-time costs are what a user calling once pays.
  note += `; first call ${runs[0].toFixed(3)} s`;
  return { value: Math.min(...runs), unit: 's', runs_s: runs, threads: nn.native.numThreads(), note };
}

await serve(import.meta.url, measure);
