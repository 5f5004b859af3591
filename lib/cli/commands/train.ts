// `nnlab train`: the README's main job (the seed CNN or the MLP on MNIST, FashionMNIST or an IDX folder).
import { parseArgs, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { checkResumeFlags, runTrain, TRAIN_DEFAULTS, TrainConfig } from '../train-command.js';

export const trainCommand: Command = {
  name: 'train',
  usage: `nnlab train [--model cnn|mlp] [--dataset mnist|fashion|DIR] [--data-dir DIR] [--epochs N] [--batch B]
            [--lr X] [--ema D] [--seed S] [--limit N] [--device auto|cpu|cuda] [--out DIR [--force]] [--resume DIR] [--json]
            (--ema: decay of the weight average that is evaluated and saved, 0.998 by default; 0 = none)`,
  async run(argv) {
    const a = parseArgs(argv, {
      model: { type: 'string', choices: ['cnn', 'mlp'] },
      dataset: { type: 'string' },
      'data-dir': { type: 'string' },
      epochs: { type: 'int', min: 1 },
      batch: { type: 'int', min: 1 },
      lr: { type: 'float', min: 0 },
      seed: { type: 'int', min: 0 },
      limit: { type: 'int', min: 1 },
      device: { type: 'string', choices: ['auto', 'cpu', 'cuda'] },
      out: { type: 'string' },
      resume: { type: 'string' },
      json: { type: 'bool' },
      ema: { type: 'float', min: 0 },
      force: { type: 'bool' },
    });
    checkResumeFlags(a.flags);
    if (a.positional.length) throw new UsageError(`unexpected argument '${a.positional[0]}'`);
    const f = a.flags;
    if (f.ema !== undefined && !((f.ema as number) < 1)) throw new UsageError(`--ema must be in [0, 1), got ${f.ema}`);
    const cfg: TrainConfig = {
      ...TRAIN_DEFAULTS,
      ...(f.model !== undefined && { model: f.model as 'cnn' | 'mlp' }),
      ...(f.dataset !== undefined && { dataset: f.dataset as string }),
      ...(f['data-dir'] !== undefined && { dataDir: f['data-dir'] as string }),
      ...(f.epochs !== undefined && { epochs: f.epochs as number }),
      ...(f.batch !== undefined && { batch: f.batch as number }),
      ...(f.lr !== undefined && { lr: f.lr as number }),
      ...(f.ema !== undefined && { ema: f.ema as number }),
      ...(f.seed !== undefined && { seed: f.seed as number }),
      ...(f.limit !== undefined && { limit: f.limit as number }),
      ...(f.device !== undefined && { device: f.device as 'auto' | 'cpu' | 'cuda' }),
      ...(f.out !== undefined && { out: f.out as string }),
    };
    const s = await runTrain(cfg, { resumeDir: f.resume as string | undefined, force: f.force === true });
    const plain = s.trained_weights ? ` (weight average; last trained weights ${(100 * s.trained_weights.test_accuracy).toFixed(2)}%)` : '';
    console.log(
      `test accuracy ${(100 * s.test_accuracy).toFixed(2)}%${plain}, ${s.seconds_per_epoch.toFixed(1)} s/epoch, ${Math.round(s.images_per_second)} images/s on ${s.device}; run folder ${s.out}`,
    );
    if (f.json) console.log(JSON.stringify(s));
    return 0;
  },
};
