// The IDX format of MNIST-like data sets (raw or gzip): a magic number whose third byte is the
// element type and fourth the rank, big-endian dimensions, then the data.
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

import { IOError } from '../core/errors.js';

export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

/** Reads an IDX file of unsigned bytes (type 0x08), validating the header against the length. */
export function readIdx(path: string): IdxArray {
  if (!existsSync(path)) throw new IOError(`IDX file not found: ${path}`);
  let buf: Buffer;
  try {
    buf = readFileSync(path);
    if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
  } catch (e) {
    throw new IOError(`cannot read IDX file ${path}: ${(e as Error).message}`);
  }
  if (buf.length < 4) throw new IOError(`${path}: too short to be an IDX file (${buf.length} bytes)`);
  if (buf[0] !== 0 || buf[1] !== 0)
    throw new IOError(`${path}: bad IDX magic ${buf.subarray(0, 4).toString('hex')} (expected 0000 then type and rank)`);
  const type = buf[2], rank = buf[3];
  if (type !== 0x08) throw new IOError(`${path}: IDX element type 0x${type.toString(16)} is not supported (expected 0x08, unsigned bytes)`);
  if (rank < 1 || rank > 4) throw new IOError(`${path}: IDX rank ${rank} is not supported (expected 1 to 4)`);
  const header = 4 + 4 * rank;
  if (buf.length < header) throw new IOError(`${path}: truncated IDX header`);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(buf.readUInt32BE(4 + 4 * i));
  const n = shape.reduce((a, b) => a * b, 1);
  if (buf.length - header !== n)
    throw new IOError(`${path}: IDX header says [${shape.join(', ')}] = ${n} bytes of data but the file holds ${buf.length - header}`);
  return { shape, data: new Uint8Array(buf.buffer, buf.byteOffset + header, n) };
}

/** Writes an IDX file of unsigned bytes (used by tests and to export data). */
export function encodeIdx(shape: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header[2] = 0x08;
  header[3] = shape.length;
  shape.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}
