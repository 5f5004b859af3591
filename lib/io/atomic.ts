// Atomic file writes: write a temporary file beside the target, fsync it, rename it over the
// target. A crash leaves either the old file or the new one, never a torn checkpoint.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

import { IOError } from '../core/errors.js';

export function writeFileAtomic(path: string, chunks: (Uint8Array | string)[]): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fd = -1;
  try {
    mkdirSync(dir, { recursive: true });
    fd = openSync(tmp, 'w');
    for (const c of chunks) {
      const buf = typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
      let off = 0;
      while (off < buf.byteLength) off += writeSync(fd, buf, off, buf.byteLength - off);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* the temporary file may not exist */
    }
    throw new IOError(`cannot write ${path}: ${(e as Error).message}`);
  }
}
