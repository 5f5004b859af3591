// The GPU code inside a CUDA binary, read from its .nv_fatbin section (cuobjdump is not part of
// the nvcc-only toolkit here). Layout: fat binaries one after another, each a 16-byte header
// (magic 0xBA55ED50, u16 version, u16 header size, u64 size) and entries with a u16 kind (1 PTX,
// 2 SASS ELF), u32 header size at 4, u64 payload size at 8 and u32 sm arch at 28.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface GpuCode {
  /** SASS architectures, e.g. 'sm_75'. */
  sass: string[];
  /** PTX virtual architectures, e.g. 'compute_90'. */
  ptx: string[];
}

export function gpuCode(file: string): GpuCode {
  const dir = mkdtempSync(join(tmpdir(), 'fatbin-'));
  try {
    const out = join(dir, 'fatbin');
    execFileSync('objcopy', ['-O', 'binary', '--only-section=.nv_fatbin', file, out]);
    const b = readFileSync(out);
    const sass = new Set<string>(),
      ptx = new Set<string>();
    let at = 0;
    while (at + 16 <= b.length) {
      if (b.readUInt32LE(at) !== 0xba55ed50) {
        at += 8; // fat binaries are 8-byte aligned; skip padding
        continue;
      }
      const head = b.readUInt16LE(at + 6);
      const end = at + head + Number(b.readBigUInt64LE(at + 8));
      for (let e = at + head; e + 32 <= end;) {
        const kind = b.readUInt16LE(e);
        const arch = b.readUInt32LE(e + 28);
        if (kind === 1) ptx.add(`compute_${arch}`);
        if (kind === 2) sass.add(`sm_${arch}`);
        e += b.readUInt32LE(e + 4) + Number(b.readBigUInt64LE(e + 8));
      }
      at = end;
    }
    return { sass: [...sass].sort(), ptx: [...ptx].sort() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
