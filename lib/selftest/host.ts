// What a bug report needs to know about the machine and the binary a self-check ran on.
import { createRequire } from 'node:module';
import { arch, cpus, platform, release, totalmem } from 'node:os';

import { deviceReport } from '../core/device.js';
import { packageRoot } from '../core/package-root.js';

export interface HostInfo {
  platform: string;
  arch: string;
  kernel: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  nnlab: string;
  /** The addon file loaded (NNLAB_ADDON, or what node-gyp-build resolves: a prebuild or build/Release). */
  binary: string;
  cpuKernels: string;
  cuda: { available: boolean; name: string; reason: string };
  /** The NNLAB_* variables set for the run (they select kernels, threads, the addon). */
  env: Record<string, string>;
}

function binaryPath(): string {
  if (process.env.NNLAB_ADDON) return process.env.NNLAB_ADDON;
  try {
    const require = createRequire(import.meta.url);
    return (require('node-gyp-build') as { path(dir: string): string }).path(packageRoot());
  } catch (e) {
    return `unknown (${e instanceof Error ? e.message : String(e)})`;
  }
}

function packageVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    return (require(`${packageRoot()}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function hostInfo(): HostInfo {
  const d = deviceReport();
  return {
    platform: platform(),
    arch: arch(),
    kernel: release(),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    nnlab: packageVersion(),
    binary: binaryPath(),
    cpuKernels: d.cpu.isa.kernels,
    cuda: d.cuda,
    env: Object.fromEntries(
      Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith('NNLAB_') && e[1] !== undefined),
    ),
  };
}
