// Workloads `logmel-1000` and `audio-cnn-train` of the suite (issue 26, study `audio`):
//  - log-mel spectrograms (torchaudio MelSpectrogram defaults at 8 kHz: nFft 400, hop 200, 128 HTK
//    bands, power 2, then 10 log10) of 1,000 one-second clips, one batched call, median of reps;
//    the peer is torchaudio.transforms.MelSpectrogram when installed, else torch.stft + the mel
//    matrix + matmul, which is what MelSpectrogram runs (Debian ships no torchaudio);
//  - one training epoch of the report's audio CNN (Conv 7x7 s3, Conv 5x5 s2, Linear) with SGD
//    (lr 1e-3, momentum 0.9, batch 16) on 2,250 log-mel inputs [1, 128, 41], the full preset's
//    train split size; inputs are seeded noise of that shape (speed does not depend on content).
//   node bench/run.mjs --only logmel-1000,audio-cnn-train [--quick]
//   node bench/audio.mjs --workload logmel-1000|audio-cnn-train [--quick]   nnlab's side alone
import { serve, torchPeer } from './harness.mjs';

const CLIPS = 1000,
  SAMPLES = 8000,
  TRAIN = 2250,
  BATCH = 16;
const reps = (quick) => (quick ? 3 : 9);

export function workloads({ quick }) {
  return [
    {
      id: 'logmel-1000',
      title: 'log-mel of 1,000 one-second 8 kHz clips',
      size: `[${CLIPS}, ${SAMPLES}] -> [${CLIPS}, 128, 41]`,
      unit: 'ms',
      better: 'lower',
      note:
        'nFft 400, hop 200, periodic Hann, centred (reflect), power 2, 128 HTK mel bands, 10 log10(max(x, 1e-10)); median of ' +
        reps(quick),
      peers: [torchPeer('torch_audio.py', ['--only', 'logmel', '--reps', String(reps(quick))], { quick })],
    },
    {
      id: 'audio-cnn-train',
      title: 'audio CNN training epoch',
      size: `${TRAIN} x [1, 128, 41], batch ${BATCH}`,
      unit: 'clips/s',
      better: 'higher',
      note:
        'Conv(1->10,7x7,s3) ReLU Conv(10->10,5x5,s2) ReLU Flatten Linear(760->10), SGD lr 1e-3 momentum 0.9, cross-entropy; best of ' +
        (quick ? 1 : 3) +
        ' epochs',
      peers: [torchPeer('torch_audio.py', ['--only', 'train', '--epochs', quick ? '1' : '3'], { quick })],
    },
  ];
}

async function measure(id, { quick }) {
  const nn = await import(new URL('../dist/index.js', import.meta.url).href);
  const { audioCnn } = await import(new URL('../dist/models/audio-cnn.js', import.meta.url).href);
  const { ops } = nn;
  if (id === 'logmel-1000') {
    const x = ops.mul(ops.randn([CLIPS, SAMPLES], { generator: new nn.RandomGenerator(1) }), 0.1);
    const times = [];
    for (let r = 0; r < reps(quick) + 2; r++) {
      const t0 = performance.now();
      const y = ops.logMelSpectrogram(x, { sampleRate: SAMPLES });
      times.push(performance.now() - t0);
      if (r === 0 && (y.shape[1] !== 128 || y.shape[2] !== 41)) throw new Error(`unexpected log-mel shape ${y.shape}`);
      y.dispose();
    }
    const kept = times.slice(2).sort((a, b) => a - b);
    return { value: kept[kept.length >> 1], unit: 'ms', runs_ms: kept, threads: nn.native.numThreads() };
  }
  if (id === 'audio-cnn-train') {
    const gen = new nn.RandomGenerator(2);
    const x = ops.randn([TRAIN, 1, 128, 41], { generator: gen });
    const y = ops.tensor(
      Int32Array.from({ length: TRAIN }, (_, i) => i % 10),
      [TRAIN],
    );
    const model = audioCnn(128, 41, gen);
    const opt = new nn.optim.SGD(model.parameters(), { lr: 1e-3, momentum: 0.9 });
    const loader = new nn.data.DataLoader(nn.data.tensorDataset(x, y), { batchSize: BATCH, shuffle: true, seed: 0 });
    const epochs = [];
    for (let e = 0; e < (quick ? 1 : 3); e++) {
      const t0 = performance.now();
      let loss = 0;
      for (const b of loader.batches(e)) {
        nn.tidy(() => {
          const l = ops.crossEntropy(model.forward(b.x), b.y);
          nn.backward(l);
          opt.step();
          loss += l.item();
        });
        opt.zeroGrad();
        b.x.dispose();
        b.y.dispose();
      }
      epochs.push((performance.now() - t0) / 1000);
    }
    const best = Math.min(...epochs);
    return { value: TRAIN / best, unit: 'clips/s', epoch_s: epochs, threads: nn.native.numThreads() };
  }
  throw new Error(`bench/audio.mjs has no workload '${id}' (it has: logmel-1000, audio-cnn-train)`);
}

await serve(import.meta.url, measure);
