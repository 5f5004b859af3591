// Issue 24, crash 5 and the data errors of 10: a gzip bomb, /dev/zero and a FIFO in a data
// folder (an OOM kill, an OOM kill and a hang before), a rank-2 labels file, and empty splits.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

import { encodeIdx, readIdx } from '../../lib/data/idx.js';
import { loadIdxFolder } from '../../lib/data/datasets.js';
import { IOError, ShapeError } from '../../lib/index.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'nnlab-readers-'));

/** An IDX folder with n train and n test images of side x side pixels. */
function idxFolder(n: number, side = 28, labelsShape?: number[]): string {
  const dir = tmp();
  for (const p of ['train', 't10k']) {
    writeFileSync(join(dir, `${p}-images-idx3-ubyte`), encodeIdx([n, side, side], new Uint8Array(n * side * side)));
    const ls = labelsShape ?? [n];
    writeFileSync(join(dir, `${p}-labels-idx1-ubyte`), encodeIdx(ls, new Uint8Array(ls.reduce((a, b) => a * b, 1))));
  }
  return dir;
}

describe('data files that used to hang or exhaust memory', () => {
  it('a gzip bomb is refused after inflating only what its IDX header announces', () => {
    const dir = tmp();
    const header = encodeIdx([10, 28, 28], new Uint8Array(0));
    // 7,856 bytes announced, 256 MiB inside (~250 KB compressed).
    const bomb = join(dir, 'train-images-idx3-ubyte.gz');
    writeFileSync(bomb, gzipSync(Buffer.concat([header, Buffer.alloc(256 * 2 ** 20)]), { level: 9 }));
    const before = process.memoryUsage().arrayBuffers;
    expect(() => readIdx(bomb)).toThrow(IOError);
    expect(() => readIdx(bomb)).toThrow(/inflates to more than the 7856 bytes its header announces/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20);
  });

  it('a gzip file whose header announces more than nnlab reads is refused before inflating', () => {
    const dir = tmp();
    const p = join(dir, 'x.gz');
    writeFileSync(p, gzipSync(encodeIdx([65535, 65535, 65535], new Uint8Array(0))));
    expect(() => readIdx(p)).toThrow(/announces .* more than/);
  });

  it('/dev/zero (through a symlink in a data folder) is refused, not read forever', () => {
    const dir = tmp();
    symlinkSync('/dev/zero', join(dir, 'train-images-idx3-ubyte'));
    expect(() => readIdx(join(dir, 'train-images-idx3-ubyte'))).toThrow(/is a device; nnlab reads data only from regular files/);
  });

  it('a FIFO is refused at once instead of blocking', () => {
    const dir = tmp();
    const fifo = join(dir, 'train-labels-idx1-ubyte');
    execFileSync('mkfifo', [fifo]);
    expect(() => readIdx(fifo)).toThrow(/is a FIFO/);
  });

  it('a valid gzip IDX file still reads', () => {
    const dir = tmp();
    const p = join(dir, 'ok.gz');
    writeFileSync(p, gzipSync(encodeIdx([2, 3], Uint8Array.from([1, 2, 3, 4, 5, 6]))));
    const a = readIdx(p);
    expect(a.shape).toEqual([2, 3]);
    expect([...a.data]).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('data sets the training cannot use', () => {
  it('a rank-2 labels file says so (it said "1000 labels for 1000 images")', () => {
    expect(() => loadIdxFolder(idxFolder(10, 28, [10, 2]))).toThrow(ShapeError);
    expect(() => loadIdxFolder(idxFolder(10, 28, [10, 2]))).toThrow(/expected labels \[N\].*got \[10, 2\]/);
  });

  it('empty train and test splits are refused', () => {
    expect(() => loadIdxFolder(idxFolder(0))).toThrow(/holds no images/);
  });
});
