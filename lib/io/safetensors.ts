// safetensors (the format of Hugging Face's safetensors library, which PyTorch users load with
// safetensors.torch.load_file): an 8-byte little-endian header length, a JSON header mapping
// each name to {dtype, shape, data_offsets}, then the raw little-endian data.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { ArgumentError, IOError } from '../core/errors.js';
import type { DType } from '../core/tensor.js';
import { tensor } from '../core/ops/creation.js';
import { Tensor } from '../core/tensor.js';
import { writeFileAtomic } from './atomic.js';
import { regularFileSize } from './read-file.js';

const TO_ST: Record<DType, string> = { float32: 'F32', int32: 'I32', uint8: 'U8' };
const FROM_ST: Record<string, DType> = { F32: 'float32', I32: 'int32', U8: 'uint8' };
const BYTES: Record<DType, number> = { float32: 4, int32: 4, uint8: 1 };

export type TensorMap = Map<string, Tensor>;

/**
 * The metadata key of the checksum nnlab writes: SHA-256 over every tensor's name, dtype, shape
 * and offsets, the other metadata entries, and the data section. A flipped bit anywhere in a
 * checkpoint is then an IOError on load instead of a model that silently trains from garbage.
 */
export const CHECKSUM_KEY = 'nnlab.sha256';

type Entry = { dtype: string; shape: number[]; data_offsets: [number, number] };

function checksum(entries: [string, Entry][], metadata: Record<string, string>, data: Uint8Array[]): string {
  const h = createHash('sha256');
  const manifest = {
    tensors: [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([n, e]) => [n, e.dtype, e.shape, e.data_offsets]),
    metadata: Object.entries(metadata)
      .filter(([k]) => k !== CHECKSUM_KEY)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  };
  h.update(JSON.stringify(manifest));
  for (const d of data) h.update(d);
  return h.digest('hex');
}

/** Writes tensors (copied to the host) and string metadata; atomic (temporary file + rename). */
export function saveSafetensors(path: string, tensors: TensorMap | Record<string, Tensor>, metadata: Record<string, string> = {}): void {
  const entries = [...(tensors instanceof Map ? tensors : Object.entries(tensors))].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [k, v] of Object.entries(metadata))
    if (typeof v !== 'string') throw new ArgumentError(`saveSafetensors: metadata '${k}' must be a string, got ${typeof v}`);
  const header: Record<string, unknown> = {};
  const blobs: Uint8Array[] = [];
  const described: [string, Entry][] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    // The header's '__metadata__' key is the file's metadata: a tensor of that name would replace it.
    if (name === '__metadata__')
      throw new ArgumentError(`saveSafetensors: '__metadata__' is reserved for the file's metadata and cannot name a tensor`);
    const data = t.data();
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const e: Entry = { dtype: TO_ST[t.dtype], shape: t.shape.slice(), data_offsets: [offset, offset + bytes.byteLength] };
    described.push([name, e]);
    header[name] = e;
    blobs.push(bytes);
    offset += bytes.byteLength;
  }
  header.__metadata__ = { ...metadata, [CHECKSUM_KEY]: checksum(described, metadata, blobs) };
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

/**
 * Reads a safetensors file into CPU tensors, validating the header against the file. A file
 * nnlab wrote carries a checksum that must match (IOError naming the file otherwise); files from
 * elsewhere have none and load as they are, unless `requireChecksum` is set.
 */
export function loadSafetensors(path: string, opts: { requireChecksum?: boolean } = {}): SafetensorsFile {
  let buf: Buffer;
  try {
    regularFileSize(path);
    buf = readFileSync(path);
  } catch (e) {
    throw e instanceof IOError ? e : new IOError(`cannot read ${path}: ${(e as Error).message}`);
  }
  if (buf.length < 8) throw new IOError(`${path}: not a safetensors file (${buf.length} bytes)`);
  const hlen = Number(buf.readBigUInt64LE(0));
  if (hlen <= 0 || 8 + hlen > buf.length)
    throw new IOError(`${path}: safetensors header length ${hlen} does not fit in the ${buf.length}-byte file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + hlen).toString('utf8'));
  } catch (e) {
    throw new IOError(`${path}: safetensors header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw new IOError(`${path}: safetensors header is not a JSON object`);
  const base = 8 + hlen;
  const metadata = readMetadata(path, header.__metadata__);
  const entries = Object.entries(header).filter(([name]) => name !== '__metadata__') as [string, Entry][];
  for (const [name, info] of entries) validateEntry(path, name, info, buf.length - base);
  const want = metadata[CHECKSUM_KEY];
  if (want !== undefined) {
    const got = checksum(entries, metadata, [buf.subarray(base)]);
    if (got !== want) throw new IOError(`${path}: checksum mismatch (the file is corrupt: its SHA-256 is ${got}, the file says ${want})`);
  } else if (opts.requireChecksum) {
    throw new IOError(
      `${path}: no '${CHECKSUM_KEY}' checksum in its metadata (nnlab writes one into every file; this one is corrupt or not nnlab's)`,
    );
  }
  const tensors: TensorMap = new Map();
  for (const [name, { dtype, shape, data_offsets: off }] of entries) {
    if (dtype === 'I64') {
      tensors.set(name, readInt64(path, name, shape, off, buf, base));
      continue;
    }
    const dt = FROM_ST[dtype];
    const bytes = buf.subarray(base + off[0], base + off[1]);
    const copy = new Uint8Array(bytes); // aligned copy
    const arr = dt === 'float32' ? new Float32Array(copy.buffer) : dt === 'int32' ? new Int32Array(copy.buffer) : copy;
    tensors.set(name, tensor(arr, shape));
  }
  return { tensors, metadata };
}

function readMetadata(path: string, m: unknown): Record<string, string> {
  if (m === undefined) return {};
  if (typeof m !== 'object' || m === null || Array.isArray(m))
    throw new IOError(`${path}: safetensors '__metadata__' must be an object of strings`);
  for (const [k, v] of Object.entries(m))
    if (typeof v !== 'string') throw new IOError(`${path}: safetensors metadata '${k}' must be a string, got ${JSON.stringify(v)}`);
  return m as Record<string, string>;
}

/** Checks one header entry against the data section: dtype known, shape sane, offsets exact. */
function validateEntry(path: string, name: string, info: unknown, dataBytes: number): void {
  const e = info as Partial<Entry> | null;
  if (typeof e !== 'object' || e === null || !Array.isArray(e.shape) || !Array.isArray(e.data_offsets) || e.data_offsets.length !== 2)
    throw new IOError(`${path}: tensor '${name}' has a malformed entry`);
  const { dtype, shape, data_offsets: off } = e as Entry;
  const size = dtype === 'I64' ? 8 : FROM_ST[dtype] ? BYTES[FROM_ST[dtype]] : 0;
  if (!size) throw new IOError(`${path}: tensor '${name}' has dtype ${dtype}; nnlab reads F32, I32, U8 and I64 (as int32)`);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0) || !off.every((o) => Number.isSafeInteger(o)))
    throw new IOError(`${path}: tensor '${name}' has a malformed entry`);
  const n = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(n * size) || off[1] - off[0] !== n * size || off[0] < 0 || off[1] > dataBytes)
    throw new IOError(
      `${path}: tensor '${name}' [${shape.join(', ')}] ${dtype} has data offsets ${off} that do not match its size or the file`,
    );
}
