// safetensors (the format of Hugging Face's safetensors library, which PyTorch users load with
// safetensors.torch.load_file): an 8-byte little-endian header length, a JSON header mapping
// each name to {dtype, shape, data_offsets}, then the raw little-endian data.
import { readFileSync } from 'node:fs';

import { IOError } from '../core/errors.js';
import type { DType } from '../core/tensor.js';
import { tensor } from '../core/ops/creation.js';
import { Tensor } from '../core/tensor.js';
import { writeFileAtomic } from './atomic.js';

const TO_ST: Record<DType, string> = { float32: 'F32', int32: 'I32', uint8: 'U8' };
const FROM_ST: Record<string, DType> = { F32: 'float32', I32: 'int32', U8: 'uint8' };
const BYTES: Record<DType, number> = { float32: 4, int32: 4, uint8: 1 };

export type TensorMap = Map<string, Tensor>;

/** Writes tensors (copied to the host) and string metadata; atomic (temporary file + rename). */
export function saveSafetensors(path: string, tensors: TensorMap | Record<string, Tensor>, metadata: Record<string, string> = {}): void {
  const entries = [...(tensors instanceof Map ? tensors : Object.entries(tensors))].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    const data = t.data();
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    header[name] = { dtype: TO_ST[t.dtype], shape: t.shape.slice(), data_offsets: [offset, offset + bytes.byteLength] };
    blobs.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data starts 8-byte aligned, as the reference implementation does.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  writeFileAtomic(path, [len, json, ...blobs]);
}

export interface SafetensorsFile {
  tensors: TensorMap;
  metadata: Record<string, string>;
}

/**
 * An I64 tensor as int32 (PyTorch state dicts hold batch norm's num_batches_tracked as int64);
 * values outside the int32 range are an IOError rather than a silent wrap.
 */
function readInt64(path: string, name: string, shape: number[], off: [number, number], buf: Buffer, base: number): Tensor {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0) || !Array.isArray(off))
    throw new IOError(`${path}: tensor '${name}' has a malformed entry`);
  const n = shape.reduce((a, b) => a * b, 1);
  if (off[1] - off[0] !== n * 8 || off[0] < 0 || base + off[1] > buf.length)
    throw new IOError(`${path}: tensor '${name}' [${shape.join(', ')}] I64 has data offsets ${off} that do not match its size or the file`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = buf.readBigInt64LE(base + off[0] + 8 * i);
    if (v < -2147483648n || v > 2147483647n)
      throw new IOError(`${path}: tensor '${name}' holds the int64 value ${v}, outside the int32 range nnlab stores integers in`);
    out[i] = Number(v);
  }
  return tensor(out, shape);
}

/** Reads a safetensors file into CPU tensors, validating the header against the file. */
export function loadSafetensors(path: string): SafetensorsFile {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new IOError(`cannot read ${path}: ${(e as Error).message}`);
  }
  if (buf.length < 8) throw new IOError(`${path}: not a safetensors file (${buf.length} bytes)`);
  const hlen = Number(buf.readBigUInt64LE(0));
  if (hlen <= 0 || 8 + hlen > buf.length) throw new IOError(`${path}: safetensors header length ${hlen} does not fit in the ${buf.length}-byte file`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + hlen).toString('utf8'));
  } catch (e) {
    throw new IOError(`${path}: safetensors header is not valid JSON (${(e as Error).message})`);
  }
  const base = 8 + hlen;
  const tensors: TensorMap = new Map();
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = info as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets: off } = info as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (dtype === 'I64') {
      tensors.set(name, readInt64(path, name, shape, off, buf, base));
      continue;
    }
    const dt = FROM_ST[dtype];
    if (!dt) throw new IOError(`${path}: tensor '${name}' has dtype ${dtype}; nnlab reads F32, I32, U8 and I64 (as int32)`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0) || !Array.isArray(off))
      throw new IOError(`${path}: tensor '${name}' has a malformed entry`);
    const n = shape.reduce((a, b) => a * b, 1);
    if (off[1] - off[0] !== n * BYTES[dt] || off[0] < 0 || base + off[1] > buf.length)
      throw new IOError(`${path}: tensor '${name}' [${shape.join(', ')}] ${dtype} has data offsets ${off} that do not match its size or the file`);
    const bytes = buf.subarray(base + off[0], base + off[1]);
    const copy = new Uint8Array(bytes); // aligned copy
    const arr = dt === 'float32' ? new Float32Array(copy.buffer) : dt === 'int32' ? new Int32Array(copy.buffer) : copy;
    tensors.set(name, tensor(arr, shape));
  }
  return { tensors, metadata };
}
