// What a benchmark ran on: the figures of two runs only compare when these match (a baseline
// records them, and a comparison prints both sides when they differ).
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';

import { deviceReport } from '../core/device.js';
import { packageRoot } from '../core/package-root.js';

export interface Host {
  nnlab: string;
  /** 'CPU': this addon was built without CUDA; 'CUDA': with it (whether or not a GPU answers). */
  binary: 'CPU' | 'CUDA';
  /** The SIMD kernels in use (avx512, avx2, generic). */
  isa: string;
  threads: number;
  cpu: string;
  cores: number;
  memoryGib: number;
  node: string;
  platform: string;
  loadavg: number[];
}

export function nnlabVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

export function hostInfo(): Host {
  const d = deviceReport();
  return {
    nnlab: nnlabVersion(),
    binary: d.cuda.available || !/compiled without|no CUDA backend/i.test(d.cuda.reason) ? 'CUDA' : 'CPU',
    isa: d.cpu.isa.kernels,
    threads: d.cpu.threads,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGib: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadavg: loadavg().map((v) => Math.round(v * 100) / 100),
  };
}
