// The IDX format of MNIST-like data sets (raw or gzip): a magic number whose third byte is the
// element type and fourth the rank, big-endian dimensions, then the data.
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';

import { IOError } from '../core/errors.js';
import { DEFAULT_MAX_FILE_BYTES, gunzipLimited, gunzipPrefix, isGzip, regularFileSize } from '../io/read-file.js';

export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

/** The shape an IDX header announces, and the header's length; throws naming the file when it is malformed. */
export function parseIdxHeader(buf: Uint8Array, path: string): { shape: number[]; header: number; bytes: number } {
  if (buf.length < 4) throw new IOError(`${path}: too short to be an IDX file (${buf.length} bytes)`);
  if (buf[0] !== 0 || buf[1] !== 0)
    throw new IOError(`${path}: bad IDX magic ${Buffer.from(buf.subarray(0, 4)).toString('hex')} (expected 0000 then type and rank)`);
  const type = buf[2],
    rank = buf[3];
  if (type !== 0x08) throw new IOError(`${path}: IDX element type 0x${type.toString(16)} is not supported (expected 0x08, unsigned bytes)`);
  if (rank < 1 || rank > 4) throw new IOError(`${path}: IDX rank ${rank} is not supported (expected 1 to 4)`);
  const header = 4 + 4 * rank;
  if (buf.length < header) throw new IOError(`${path}: truncated IDX header`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(view.getUint32(4 + 4 * i));
  const bytes = shape.reduce((a, b) => a * b, 1);
  if (bytes > DEFAULT_MAX_FILE_BYTES)
    throw new IOError(
      `${path}: IDX header announces [${shape.join(', ')}] = ${bytes} bytes, more than the ${DEFAULT_MAX_FILE_BYTES} nnlab reads`,
    );
  return { shape, header, bytes };
}

/**
 * Reads an IDX file of unsigned bytes (type 0x08), validating the header against the length.
 * Only regular files are read, and a gzip file is inflated only up to the size its IDX header
 * announces, so a FIFO, /dev/zero or a gzip bomb is an IOError, not a hang or an OOM kill.
 */
export function readIdx(path: string): IdxArray {
  if (!existsSync(path)) throw new IOError(`IDX file not found: ${path}`);
  const size = regularFileSize(path);
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new IOError(`cannot read IDX file ${path}: ${(e as Error).message}`);
  }
  if (buf.length !== size) throw new IOError(`${path}: changed while it was read (${size} then ${buf.length} bytes)`);
  if (isGzip(buf)) {
    const { header, bytes } = parseIdxHeader(gunzipPrefix(buf, path), path);
    buf = gunzipLimited(buf, header + bytes, path);
  }
  const { shape, header, bytes } = parseIdxHeader(buf, path);
  if (buf.length - header !== bytes)
    throw new IOError(`${path}: IDX header says [${shape.join(', ')}] = ${bytes} bytes of data but the file holds ${buf.length - header}`);
  return { shape, data: new Uint8Array(buf.buffer, buf.byteOffset + header, bytes) };
}

/**
 * Reads a raw IDX file of unsigned bytes in pieces of at most `piece` bytes through one reused
 * buffer: `begin` gets the shape, then `write` each piece and its offset in the data (the bytes
 * are valid during the call only). No copy of the file's size is made on the JS heap, whose
 * fresh pages cost more than the copy. Returns false for a gzip file (readIdx inflates those).
 */
export function streamIdx(
  path: string,
  piece: number,
  begin: (shape: number[]) => void,
  write: (bytes: Uint8Array, offset: number) => void,
): boolean {
  if (!existsSync(path)) throw new IOError(`IDX file not found: ${path}`);
  const size = regularFileSize(path);
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(Math.min(size, 4 + 4 * 4));
    readFully(fd, head, 0, path);
    if (isGzip(head)) return false;
    const { shape, header, bytes } = parseIdxHeader(head, path);
    if (size - header !== bytes)
      throw new IOError(`${path}: IDX header says [${shape.join(', ')}] = ${bytes} bytes of data but the file holds ${size - header}`);
    begin(shape);
    const buf = Buffer.allocUnsafe(Math.min(piece, Math.max(bytes, 1)));
    for (let off = 0; off < bytes; off += buf.length) {
      const part = buf.subarray(0, Math.min(buf.length, bytes - off));
      readFully(fd, part, header + off, path);
      write(part, off);
    }
    return true;
  } finally {
    closeSync(fd);
  }
}

/** Fills `buf` from the file at `position`, or throws naming the file when it ends first. */
function readFully(fd: number, buf: Uint8Array, position: number, path: string): void {
  let got = 0;
  while (got < buf.length) {
    let n: number;
    try {
      n = readSync(fd, buf, got, buf.length - got, position + got);
    } catch (e) {
      throw new IOError(`cannot read IDX file ${path}: ${(e as Error).message}`);
    }
    if (n === 0) throw new IOError(`${path}: changed while it was read (ended at byte ${position + got})`);
    got += n;
  }
}

/** Writes an IDX file of unsigned bytes (used by tests and to export data). */
export function encodeIdx(shape: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header[2] = 0x08;
  header[3] = shape.length;
  shape.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}
