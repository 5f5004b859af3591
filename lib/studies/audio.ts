// Study `audio` (seed 003, section 2): spoken digits as log-mel spectrograms (8 kHz, 128 HTK mel
// bands, torchaudio's MelSpectrogram defaults, computed by the native spectral ops) classified by
// the report's CNN, Conv(1->10, 7x7, s3) ReLU Conv(10->10, 5x5, s2) ReLU Flatten Linear(->10),
// trained with SGD (lr 1e-3, momentum 0.9) for 30 epochs. The data are the espeak-ng synthetic set
// split by voice (test voices unseen) or a user's AudioMNIST / free-spoken-digit folder
// (--data-dir). The full preset trains three seeds and reports the test accuracy's spread.
import { RandomGenerator, manualSeed, ops, optim, resolveDevice, data, fit, evaluate, tidy } from '../index.js';
import type { Device } from '../index.js';
import { BaseConfig, checkLimits, FULL_PRESET, RunHooks, stderrLog } from './shared/common.js';
import { audioCnn, audioCnnFeatureShape } from '../models/audio-cnn.js';
import { FULL_SYNTHETIC_PLAN, ESPEAK_VOICES, SyntheticPlan } from '../data/espeak-digits.js';
import { loadSpokenDigits, SPOKEN_DIGIT_RATE, SpokenDigits } from '../data/spoken-digits.js';
import { accuracy, decide, predictProbs } from '../train/classifier.js';
import { curves } from '../report/figures.js';
import { RunFolder } from '../report/run-folder.js';
import type { StudySummary } from '../report/run-folder.js';
import { confusionTable } from '../report/tables.js';
import type { EpochMetrics } from '../train/metrics-tracker.js';
import { audioPanels } from '../viz/spectrogram.js';

export interface AudioConfig extends BaseConfig {
  /** An AudioMNIST / free-spoken-digit folder; default: the espeak-ng synthetic set. */
  dataDir?: string;
  /** The synthetic clips (voices x speeds x pitches). */
  plan: SyntheticPlan;
  /** Samples per clip (cut / zero-padded); 8000 = 1 s at 8 kHz. */
  clipSamples: number;
  epochs: number;
  batch: number;
  lr: number;
  momentum: number;
  /** Models trained with seeds seed, seed+1, ... (the spread of the test accuracy). */
  seeds: number;
}

export const AUDIO_FULL: AudioConfig = {
  ...FULL_PRESET,
  plan: FULL_SYNTHETIC_PLAN,
  clipSamples: SPOKEN_DIGIT_RATE,
  epochs: 30,
  batch: 16,
  lr: 1e-3,
  momentum: 0.9,
  seeds: 3,
};

export const AUDIO_QUICK: AudioConfig = {
  ...AUDIO_FULL,
  preset: 'quick',
  plan: { voices: ESPEAK_VOICES.slice(0, 8), speeds: [150, 210], pitches: [35, 65] },
  seeds: 1,
};

/** The report's numbers (section 2: AudioMNIST subset, 2,250 / 750 split, one 2,779-sample clip at 8 kHz). */
const REPORT = {
  clips: 3000,
  train: 2250,
  test: 750,
  sampleRate: 8000,
  exampleSamples: 2779,
  exampleSpec: '[1, 128, 14]',
  linearInput: '38 x 19 x 10',
};

interface SeedRun {
  seed: number;
  history: EpochMetrics[];
  testAccuracy: number;
  testLoss: number;
  trainAccuracy: number;
  secondsPerEpoch: number;
  pred: Int32Array;
}

async function trainSeed(cfg: AudioConfig, d: SpokenDigits, seed: number, outDir: string, log: (s: string) => void): Promise<SeedRun> {
  const [, , bands, frames] = d.train.x.shape;
  const gen = new RandomGenerator(seed);
  const model = audioCnn(bands, frames, gen).to(d.train.x.device);
  const opt = new optim.SGD(model.parameters(), { lr: cfg.lr, momentum: cfg.momentum });
  const trainLoader = new data.DataLoader(data.tensorDataset(d.train.x, d.train.y), {
    batchSize: cfg.batch,
    shuffle: true,
    seed,
  });
  const testLoader = new data.DataLoader(data.tensorDataset(d.test.x, d.test.y), { batchSize: 500 });
  log(`seed ${seed}: training the audio CNN (${model.numParameters()} parameters) for ${cfg.epochs} epochs on ${d.train.n} clips`);
  const r = await fit(model, trainLoader, {
    epochs: cfg.epochs,
    optimizer: opt,
    val: testLoader,
    outDir,
    log,
    generator: gen,
  });
  const ev = evaluate(model, testLoader);
  const trainEv = evaluate(model, new data.DataLoader(data.tensorDataset(d.train.x, d.train.y), { batchSize: 500 }));
  const { pred } = decide(predictProbs(model, d.test.x, 500));
  opt.dispose();
  model.dispose();
  return {
    seed,
    history: r.history,
    testAccuracy: ev.acc,
    testLoss: ev.loss,
    trainAccuracy: trainEv.acc,
    secondsPerEpoch: r.secondsPerEpoch,
    pred,
  };
}

function meanStd(v: number[]): { mean: number; std: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, std };
}

/** One test clip per digit: waveform and log-mel (dB, before normalisation). */
function digitPanels(d: SpokenDigits, clipSamples: number, device: Device) {
  const panels = [];
  for (let digit = 0; digit < 10; digit++) {
    const clip = d.test.clips.find((c) => c.digit === digit) ?? d.train.clips.find((c) => c.digit === digit);
    if (!clip) continue;
    const samples = new Float32Array(clipSamples);
    samples.set(clip.samples.subarray(0, clipSamples));
    const db = tidy(() =>
      ops.logMelSpectrogram(ops.to(ops.tensor(samples, [clipSamples]), device), { sampleRate: SPOKEN_DIGIT_RATE }).to('cpu'),
    );
    panels.push({
      label: `${digit} (${clip.speaker})`,
      samples,
      sampleRate: SPOKEN_DIGIT_RATE,
      spectrogram: db.data() as Float32Array,
      bands: db.shape[0],
      frames: db.shape[1],
    });
    db.dispose();
  }
  return panels;
}

/** Frames of the report's example clip length under the same transform (its spectrogram shape). */
function exampleShape(device: Device): string {
  const x = ops.to(ops.zeros([REPORT.exampleSamples]), device);
  const spec = ops.melSpectrogram(x, { sampleRate: SPOKEN_DIGIT_RATE });
  const s = `[1, ${spec.shape.join(', ')}]`;
  x.dispose();
  spec.dispose();
  return s;
}

export async function run(cfg: AudioConfig, hooks: RunHooks = {}): Promise<StudySummary> {
  checkLimits(cfg);
  const log = hooks.log ?? stderrLog;
  const folder = new RunFolder('audio', cfg.out);
  const device = resolveDevice(cfg.device, log);
  manualSeed(cfg.seed);
  log(`nnlab run audio (${cfg.preset} preset): ${cfg.dataDir ? `reading ${cfg.dataDir}` : 'the espeak-ng synthetic spoken digits'}`);
  const t0 = performance.now();
  const d = await loadSpokenDigits({ dataDir: cfg.dataDir, plan: cfg.plan, length: cfg.clipSamples, device, log });
  const featureSeconds = (performance.now() - t0) / 1000;
  const [, , bands, frames] = d.train.x.shape;
  folder.writeConfig(
    {
      ...cfg,
      out: folder.dir,
      model: 'Conv(1->10,7x7,s3) ReLU Conv(10->10,5x5,s2) ReLU Flatten Linear(->10)',
      optimizer: `SGD lr ${cfg.lr} momentum ${cfg.momentum}, batch ${cfg.batch}, cross-entropy`,
      features: `log-mel: ${SPOKEN_DIGIT_RATE} Hz, ${cfg.clipSamples} samples per clip, nFft 400, hop 200, periodic Hann, centred (reflect), power 2, ${bands} HTK mel bands (no norm), 10 log10(max(x, 1e-10)), normalised by the train mean/std`,
      data: {
        source: d.source,
        synthetic: d.synthetic,
        train_clips: d.train.n,
        test_clips: d.test.n,
        train_speakers: d.trainSpeakers,
        test_speakers: d.testSpeakers,
        input_shape: [1, bands, frames],
        normalization: d.stats,
      },
    },
    device,
  );
  try {
    const runs: SeedRun[] = [];
    for (let i = 0; i < cfg.seeds; i++) {
      const seed = cfg.seed + i;
      runs.push(await trainSeed(cfg, d, seed, i === 0 ? folder.dir : folder.sub(`seed-${seed}`), log));
    }
    const first = runs[0];
    const acc = meanStd(runs.map((r) => r.testAccuracy));
    const trainAcc = meanStd(runs.map((r) => r.trainAccuracy));

    folder.figure(
      'accuracy_curves',
      'Accuracy per epoch',
      curves([{ name: 'audio', history: first.history }], 'acc', `Audio CNN: accuracy (seed ${first.seed})`),
    );
    folder.figure(
      'loss_curves',
      'Loss per epoch',
      curves([{ name: 'audio', history: first.history }], 'loss', `Audio CNN: loss (seed ${first.seed})`),
    );
    if (runs.length > 1)
      folder.figure(
        'accuracy_curves_seeds',
        'Test accuracy per epoch, every seed',
        curves(
          runs.map((r) => ({ name: `seed ${r.seed}`, history: r.history })),
          'acc',
          'Audio CNN: test accuracy per seed',
          { withTrain: false },
        ),
      );
    folder.table(
      'confusion',
      confusionTable(d.test.labels, first.pred, `Confusion matrix, test voices (rows: digit, columns: prediction), seed ${first.seed}`),
    );
    folder.figure(
      'clips',
      'One clip per digit: waveform and log-mel spectrogram',
      audioPanels(digitPanels(d, cfg.clipSamples, device), {
        title: 'One clip per digit (test voices): waveform and log-mel (dB)',
      }),
    );
    folder.table('seeds', {
      title: 'Per seed',
      columns: ['seed', 'train accuracy', 'test accuracy', 'test loss', 's / epoch'],
      rows: runs.map((r) => [
        r.seed,
        +r.trainAccuracy.toFixed(4),
        +r.testAccuracy.toFixed(4),
        +r.testLoss.toFixed(4),
        +r.secondsPerEpoch.toFixed(2),
      ]),
    });
    const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
    folder.table('report_vs_nnlab', {
      title: `Report says / nnlab gets (${cfg.preset} preset${cfg.preset === 'quick' ? ': a reduced run, not the report setting' : ''})`,
      columns: ['quantity', 'report says', 'nnlab gets'],
      rows: [
        [
          'data',
          `AudioMNIST subset, ${REPORT.clips} clips`,
          `${d.synthetic ? 'espeak-ng synthetic digits' : d.source}, ${d.train.n + d.test.n} clips`,
        ],
        [
          'train / test split',
          `${REPORT.train} / ${REPORT.test} (random, 75 / 25)`,
          `${d.train.n} / ${d.test.n} (by voice: ${d.testSpeakers.length} of ${d.trainSpeakers.length + d.testSpeakers.length} voices unseen)`,
        ],
        ['sample rate', `${REPORT.sampleRate} Hz`, `${SPOKEN_DIGIT_RATE} Hz`],
        [`log-mel of a ${REPORT.exampleSamples}-sample clip`, REPORT.exampleSpec, exampleShape(device)],
        [
          'CNN input / Linear input',
          `? / ${REPORT.linearInput}`,
          `[1, ${bands}, ${frames}] (1 s clips) / ${audioCnnFeatureShape(bands, frames).join(' x ')}`,
        ],
        [
          'optimiser',
          'SGD lr 0.001, momentum 0.9, 30 epochs',
          `SGD lr ${cfg.lr}, momentum ${cfg.momentum}, ${cfg.epochs} epochs, batch ${cfg.batch}`,
        ],
        ['train accuracy', 'close to 100%', runs.length > 1 ? `${pct(trainAcc.mean)} +- ${pct(trainAcc.std)}` : pct(trainAcc.mean)],
        [
          'test accuracy',
          'high, slightly below train (no figure given)',
          runs.length > 1 ? `${pct(acc.mean)} +- ${pct(acc.std)} over ${runs.length} seeds` : pct(acc.mean),
        ],
      ],
    });

    const headline: Record<string, number | string> = {
      test_accuracy: acc.mean,
      test_accuracy_std: acc.std,
      seeds: runs.length,
      train_accuracy: trainAcc.mean,
      test_loss: meanStd(runs.map((r) => r.testLoss)).mean,
      train_clips: d.train.n,
      test_clips: d.test.n,
      epochs: cfg.epochs,
      seconds_per_epoch: meanStd(runs.map((r) => r.secondsPerEpoch)).mean,
      feature_seconds: featureSeconds,
    };
    runs.forEach((r) => (headline[`test_accuracy_seed_${r.seed}`] = r.testAccuracy));
    return folder.finish(headline, {
      history: first.history,
      test_accuracy_per_seed: runs.map((r) => r.testAccuracy),
      confusion_check: accuracy(first.pred, d.test.labels),
    });
  } finally {
    d.dispose();
  }
}
