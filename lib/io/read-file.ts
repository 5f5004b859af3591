// Reading data files defensively: a data folder may hold a FIFO (reading it blocks forever), a
// device such as /dev/zero (endless), or a gzip bomb (kilobytes that inflate to gigabytes). Each
// is refused before it can hang the process or exhaust its memory.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';

import { IOError } from '../core/errors.js';

/** What readers accept by default: larger than any data set nnlab reads, far below a bomb. */
export const DEFAULT_MAX_FILE_BYTES = 4 * 2 ** 30;

/** Throws unless `path` is a regular file (following symlinks) of at most `maxBytes`; returns its size. */
export function regularFileSize(path: string, maxBytes = DEFAULT_MAX_FILE_BYTES): number {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new IOError(`cannot read ${path}: ${(e as Error).message}`);
  }
  if (!st.isFile()) {
    const kind = st.isFIFO()
      ? 'a FIFO'
      : st.isCharacterDevice() || st.isBlockDevice()
        ? 'a device'
        : st.isDirectory()
          ? 'a folder'
          : 'not a regular file';
    throw new IOError(`${path} is ${kind}; nnlab reads data only from regular files`);
  }
  if (st.size > maxBytes) throw new IOError(`${path} is ${st.size} bytes, more than the ${maxBytes} this reader accepts`);
  return st.size;
}

/** The first `n` bytes of a regular file (fewer when it is shorter). */
export function readPrefix(path: string, n: number): Buffer {
  regularFileSize(path, Infinity);
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const got = readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** node:zlib when a gzip file is read: loading it slows every start of the command line. */
const zlib = () => createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib');

export function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

/**
 * The first bytes a gzip stream inflates to (at most ~1 MB), without inflating the rest: enough
 * to read a file header and learn how large the whole output should be.
 */
export function gunzipPrefix(gz: Uint8Array, path: string): Buffer {
  try {
    // A truncated input with a sync flush yields what those bytes decode to, without an error.
    const { gunzipSync, constants } = zlib();
    return gunzipSync(gz.subarray(0, 1024), { finishFlush: constants.Z_SYNC_FLUSH });
  } catch (e) {
    throw new IOError(`${path}: not a valid gzip stream (${(e as Error).message})`);
  }
}

/** Inflates a whole gzip stream, refusing it as soon as the output passes `maxBytes`. */
export function gunzipLimited(gz: Uint8Array, maxBytes: number, path: string): Buffer {
  try {
    return zlib().gunzipSync(gz, { maxOutputLength: Math.max(1, Math.min(maxBytes, 2 ** 32)) });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
      throw new IOError(`${path}: the gzip stream inflates to more than the ${maxBytes} bytes its header announces`);
    throw new IOError(`${path}: not a valid gzip stream (${(e as Error).message})`);
  }
}
