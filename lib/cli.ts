#!/usr/bin/env node
// The nnlab command line.
import './cli/fatal.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { commandUsage, HelpRequested, parseArgs, UsageError } from './cli/args.js';
import { packageRoot } from './core/package-root.js';
import { deviceReport } from './core/device.js';
import { NnlabError } from './core/errors.js';
import { checkResumeFlags, runTrain, TRAIN_DEFAULTS, TrainConfig } from './cli/train-command.js';
import { STUDIES } from './studies/index.js';

const USAGE = `usage:
  nnlab train [--model cnn|mlp] [--dataset mnist|fashion|DIR] [--data-dir DIR] [--epochs N] [--batch B]
              [--lr X] [--ema D] [--seed S] [--limit N] [--device auto|cpu|cuda] [--out DIR [--force]] [--resume DIR] [--json]
              (--ema: decay of the weight average that is evaluated and saved, 0.998 by default; 0 = none)
  nnlab run <${Object.keys(STUDIES).join('|')}> [--quick] [--out DIR [--force]] [--seed S] [--device auto|cpu|cuda] [--k K] [--json]
            [--weights FILE] [--epochs N] [--members N (seed-000 ensembles)] [--ood-dir DIR (ood: any IDX folder)]
            [--variants A,B (resnet-pretrain: which variants to train)]
            [--data-dir DIR (audio: a folder of [digit]_[speaker]_[index].wav, AudioMNIST layout)]
  nnlab devices [--json]
  nnlab help [COMMAND]    (or nnlab --help, nnlab COMMAND --help, -h)
  nnlab --version`;

const version = () => (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;

/** `nnlab --help`, `nnlab help [command]`, `nnlab --version`: handled before any command; null otherwise. */
function helpOrVersion(argv: string[]): string | null {
  const [cmd, topic] = argv;
  if (cmd === '--version' || cmd === '-V') return version();
  if (cmd === '--help' || cmd === '-h') return USAGE;
  if (cmd === 'help') {
    if (!topic) return USAGE;
    const u = commandUsage(USAGE, topic);
    if (!u) throw new UsageError(`help: unknown command '${topic}'`);
    return u;
  }
  return null;
}

async function main(argv: string[]): Promise<number> {
  const text = helpOrVersion(argv);
  if (text !== null) {
    console.log(text);
    return 0;
  }
  const [cmd, ...rest] = argv;
  if (cmd === 'devices') {
    const a = parseArgs(rest, { json: { type: 'bool' } });
    if (a.positional.length) throw new UsageError(`unexpected argument '${a.positional[0]}'`);
    const r = deviceReport();
    if (a.flags.json) console.log(JSON.stringify(r));
    else
      console.log(
        `cpu: available, ${r.cpu.threads} threads, ${r.cpu.isa.kernels} kernels\ncuda: ${r.cuda.available ? `available (${r.cuda.name})` : `unavailable: ${r.cuda.reason}`}`,
      );
    return 0;
  }
  if (cmd === 'train') {
    const a = parseArgs(rest, {
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
  }
  if (cmd === 'run') {
    const a = parseArgs(rest, {
      quick: { type: 'bool' },
      out: { type: 'string' },
      seed: { type: 'int', min: 0 },
      device: { type: 'string', choices: ['auto', 'cpu', 'cuda'] },
      k: { type: 'int', min: 1 },
      weights: { type: 'string' },
      json: { type: 'bool' },
      epochs: { type: 'int', min: 1 },
      members: { type: 'int', min: 1 },
      'ood-dir': { type: 'string' },
      variants: { type: 'string' },
      'data-dir': { type: 'string' },
      force: { type: 'bool' },
    });
    const [id, ...extra] = a.positional;
    if (!id) throw new UsageError('run: missing study name');
    if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const study = STUDIES[id];
    if (!study) throw new UsageError(`unknown study '${id}' (known: ${Object.keys(STUDIES).join(', ')})`);
    const f = a.flags;
    if (f.k !== undefined && !study.accepts.k) throw new UsageError(`--k does not apply to study '${id}'`);
    if (f.weights !== undefined && !study.accepts.weights) throw new UsageError(`--weights does not apply to study '${id}'`);
    if (f.epochs !== undefined && !study.accepts.epochs) throw new UsageError(`--epochs does not apply to study '${id}'`);
    if (f.members !== undefined && !study.accepts.members) throw new UsageError(`--members does not apply to study '${id}'`);
    if (f['ood-dir'] !== undefined && !study.accepts.oodDir) throw new UsageError(`--ood-dir does not apply to study '${id}'`);
    if (f.variants !== undefined && !study.accepts.variants) throw new UsageError(`--variants does not apply to study '${id}'`);
    if (f['data-dir'] !== undefined && !study.acceptsDataDir) throw new UsageError(`--data-dir does not apply to study '${id}'`);
    const cfg = {
      ...(f.quick ? study.quick : study.full),
      ...(f.out !== undefined && { out: f.out as string }),
      ...(f.force === true && { force: true }),
      ...(f.seed !== undefined && { seed: f.seed as number }),
      ...(f.device !== undefined && { device: f.device as 'auto' | 'cpu' | 'cuda' }),
      ...(f.k !== undefined && { k: f.k as number }),
      ...(f.weights !== undefined && { weights: f.weights as string }),
      ...(f.epochs !== undefined && { epochs: f.epochs as number }),
      ...(f.members !== undefined && { members: f.members as number }),
      ...(f['ood-dir'] !== undefined && { oodDir: f['ood-dir'] as string }),
      ...(f.variants !== undefined && { variants: (f.variants as string).split(',').filter((v) => v) }),
      ...(f['data-dir'] !== undefined && { dataDir: f['data-dir'] as string }),
    };
    const s = await study.run(cfg);
    const fmt = (v: number | string) => (typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : String(v));
    for (const [k, v] of Object.entries(s.headline)) console.log(`${k}: ${fmt(v)}`);
    console.log(`run folder ${s.out} (${s.seconds.toFixed(1)} s)`);
    if (f.json) console.log(JSON.stringify(s));
    return 0;
  }
  throw new UsageError(cmd ? `unknown command '${cmd}'` : 'missing command');
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof HelpRequested) {
      const cmd = process.argv[2];
      console.log(commandUsage(USAGE, cmd) ?? USAGE);
      process.exit(0);
    }
    if (e instanceof UsageError) {
      console.error(`nnlab: ${e.message}\n${USAGE}`);
      process.exit(2);
    }
    if (e instanceof NnlabError) {
      console.error(`nnlab: ${e.name}: ${e.message}`);
      process.exit(1);
    }
    // File-system failures (EACCES, ENOSPC, EISDIR...) are the user's to fix: a message, not a stack.
    const sys = e as NodeJS.ErrnoException;
    if (sys && typeof sys.code === 'string' && typeof sys.syscall === 'string') {
      console.error(`nnlab: ${sys.message}`);
      process.exit(1);
    }
    console.error(e);
    process.exit(1);
  },
);
