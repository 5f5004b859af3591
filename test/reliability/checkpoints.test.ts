// Issue 24, silent corruption 8, 10 and 11: checkpoints with a flipped bit, missing optimizer
// buffers or integer data resumed with exit 0; loadStateDict half-overwrote a model before
// failing; a tensor named __metadata__ wiped the metadata; torchvision files without
// num_batches_tracked were refused.
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import {
  ArgumentError,
  DTypeError,
  RandomGenerator,
  IOError,
  io,
  loadTrainingState,
  nn,
  ops,
  optim,
  saveTrainingState,
  tensor,
  tidy,
} from '../../lib/index.js';
import { CHECKSUM_KEY } from '../../lib/io/safetensors.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'nnlab-ckpt-'));

function smallRun(seed = 0) {
  const gen = new RandomGenerator(seed);
  const model = new nn.Sequential(
    new nn.Linear(4, 8, { generator: gen }),
    new nn.BatchNorm1d(8),
    new nn.ReLU(),
    new nn.Linear(8, 3, { generator: gen }),
  );
  const opt = new optim.Adam(model.parameters(), { lr: 1e-2 });
  const x = tensor(
    Float32Array.from({ length: 32 }, (_, i) => Math.cos(i)),
    [8, 4],
  );
  const y = tensor(
    Int32Array.from({ length: 8 }, (_, i) => i % 3),
    [8],
  );
  for (let s = 0; s < 3; s++) {
    tidy(() => {
      ops.crossEntropy(model.forward(x), y).backward();
      opt.step();
    });
    opt.zeroGrad();
  }
  return { model, opt };
}

const counters = { epoch: 0, step: 3, lr: 1e-2, rng: new RandomGenerator(0).getState(), tracker: null };

/** The header JSON and where the data section starts. */
function header(buf: Buffer): { json: Record<string, any>; base: number } {
  const len = Number(buf.readBigUInt64LE(0));
  return { json: JSON.parse(buf.subarray(8, 8 + len).toString('utf8')), base: 8 + len };
}

/** Rewrites a safetensors file with a new header (same data section). */
function withHeader(buf: Buffer, json: Record<string, unknown>): Buffer {
  const { base } = header(buf);
  let h = JSON.stringify(json);
  h += ' '.repeat((8 - ((8 + Buffer.byteLength(h)) % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(h)));
  return Buffer.concat([len, Buffer.from(h), buf.subarray(base)]);
}

/** A fresh checkpoint of smallRun() whose header JSON `edit` changed (the data section kept). */
function editedCheckpoint(edit: (json: Record<string, any>) => void): string {
  const { model, opt } = smallRun();
  const p = join(tmp(), 'checkpoint.safetensors');
  saveTrainingState(p, model, opt, counters);
  const buf = readFileSync(p);
  const { json } = header(buf);
  edit(json);
  writeFileSync(p, withHeader(buf, json));
  return p;
}

describe('checksums in every safetensors file nnlab writes', () => {
  it('one flipped bit in a weight is an IOError on load, naming the file', () => {
    const dir = tmp();
    const { model, opt } = smallRun();
    const p = join(dir, 'checkpoint.safetensors');
    saveTrainingState(p, model, opt, counters);
    const buf = readFileSync(p);
    expect(header(buf).json.__metadata__[CHECKSUM_KEY]).toMatch(/^[0-9a-f]{64}$/);
    buf[header(buf).base + 5] ^= 0x10;
    writeFileSync(p, buf);
    const fresh = smallRun(1);
    expect(() => loadTrainingState(p, fresh.model, fresh.opt)).toThrow(IOError);
    expect(() => io.loadSafetensors(p)).toThrow(new RegExp(`${p}: checksum mismatch`));
  });

  it('a changed tensor name in the header is caught too', () => {
    const p = editedCheckpoint((json) => {
      json['optim.exp_avf.0'] = json['optim.exp_avg.0'];
      delete json['optim.exp_avg.0'];
    });
    expect(() => io.loadSafetensors(p)).toThrow(/checksum mismatch/);
  });

  it('files from elsewhere (no checksum) still load', () => {
    const dir = tmp();
    const p = join(dir, 'foreign.safetensors');
    io.saveSafetensors(p, { w: tensor([1, 2, 3], [3]) });
    const buf = readFileSync(p);
    const { json } = header(buf);
    delete json.__metadata__;
    writeFileSync(p, withHeader(buf, json));
    const { tensors } = io.loadSafetensors(p);
    expect([...tensors.get('w')!.data()]).toEqual([1, 2, 3]);
    expect(() => io.loadSafetensors(p, { requireChecksum: true })).toThrow(/no 'nnlab.sha256' checksum/);
  });

  it('an nnlab checkpoint whose checksum entry is gone is refused', () => {
    const p = editedCheckpoint((json) => delete json.__metadata__[CHECKSUM_KEY]);
    const fresh = smallRun(1);
    expect(() => loadTrainingState(p, fresh.model, fresh.opt)).toThrow(/lost its 'nnlab.sha256' checksum/);
  });

  it("a tensor named '__metadata__' is refused instead of wiping the file's metadata", () => {
    expect(() => io.saveSafetensors(join(tmp(), 'x.safetensors'), { __metadata__: tensor([1], [1]) }, { a: 'b' })).toThrow(ArgumentError);
  });
});

describe('resuming needs the whole optimizer state', () => {
  it("every parameter group's learning rate comes back (not only the first group's)", () => {
    const { model } = smallRun();
    const [first, ...rest] = model.parameters();
    const groups = () => [{ params: [first], lr: 0.5 }, { params: rest }];
    const opt = new optim.Adam(groups(), { lr: 1e-2 });
    opt.paramGroups[1].lr = 0.03; // as a per-group schedule would leave it
    const p = join(tmp(), 'checkpoint.safetensors');
    saveTrainingState(p, model, opt, counters);
    const fresh = new optim.Adam(groups(), { lr: 1e-2 });
    loadTrainingState(p, model, fresh);
    expect(fresh.paramGroups.map((g) => g.lr)).toEqual([0.5, 0.03]);
  });

  it('missing Adam buffers are refused (they silently restarted from zeros)', () => {
    const { model, opt } = smallRun();
    const state = opt.stateDict();
    const fresh = smallRun(1);
    expect(() => fresh.opt.loadStateDict({ step: state.step, lr: state.lr, buffers: { exp_avg: state.buffers.exp_avg } })).toThrow(
      /needs buffers \[exp_avg, exp_avg_sq\]; missing \[exp_avg_sq\]/,
    );
    expect(() => fresh.opt.loadStateDict({ ...state, buffers: { ...state.buffers, exp_avg: state.buffers.exp_avg.slice(1) } })).toThrow(
      /entries for/,
    );
    void model;
  });

  it('a checkpoint saved with missing buffers does not resume', () => {
    const dir = tmp();
    const { model, opt } = smallRun();
    const p = join(dir, 'c.safetensors');
    const tensors = new Map([...model.stateDict()].map(([k, t]) => [`model.${k}`, t]));
    opt.stateDict().buffers.exp_avg.forEach((t, i) => tensors.set(`optim.exp_avg.${i}`, t));
    io.saveSafetensors(p, tensors, { nnlab: JSON.stringify({ ...counters, optimizerStep: 3, format: 2 }) });
    const fresh = smallRun(1);
    expect(() => loadTrainingState(p, fresh.model, fresh.opt)).toThrow(/cannot resume from this checkpoint: .*missing \[exp_avg_sq\]/);
  });
});

describe('loadStateDict', () => {
  it('integer data in place of floats is refused unless a cast is asked for', () => {
    const { model } = smallRun();
    const sd = new Map(model.stateDict());
    const w = sd.get('0.weight')!;
    sd.set(
      '0.weight',
      tensor(
        Int32Array.from(w.data(), (v) => Math.round(v * 100)),
        w.shape,
      ),
    );
    const target = smallRun(1).model;
    expect(() => target.loadStateDict(sd)).toThrow(DTypeError);
    target.loadStateDict(sd, true, { cast: true });
    expect(target.stateDict().get('0.weight')!.dtype).toBe('float32');
  });

  it('validates everything before copying: a failed load leaves the model untouched', () => {
    const src = smallRun(0).model;
    const target = smallRun(1).model;
    const before = [...target.stateDict()].map(([k, t]) => [k, [...t.data()]] as const);
    const sd = new Map(src.stateDict());
    sd.set('3.bias', tensor([1, 2], [2])); // the last tensor has the wrong shape
    expect(() => target.loadStateDict(sd)).toThrow(/'3.bias' has shape \[2\]/);
    for (const [k, v] of before) expect([...target.stateDict().get(k)!.data()], k).toEqual(v);
  });

  it('a missing num_batches_tracked counts as 0 (torchvision ImageNet weights), other missing keys do not', () => {
    const src = smallRun(0).model;
    const sd = new Map(src.stateDict());
    sd.delete('1.num_batches_tracked');
    const target = smallRun(1).model;
    target.loadStateDict(sd);
    expect(target.stateDict().get('1.num_batches_tracked')!.item()).toBe(0);
    expect([...target.stateDict().get('1.running_mean')!.data()]).toEqual([...src.stateDict().get('1.running_mean')!.data()]);
    sd.delete('1.running_var');
    expect(() => target.loadStateDict(sd)).toThrow(/missing keys \[1.running_var\]/);
  });
});
