// Which native binary this process loads. In order: NNLAB_ADDON (a named file); a build from
// source in build/Release (what `npm rebuild nnlab --build-from-source` makes); else the prebuilt
// binaries in prebuilds/<platform>-<arch>/, tagged like prebuildify's (node.napi.glibc.node is the
// CPU binary, cuda.napi.glibc.node the CUDA one). The CUDA binary is taken only when a driver
// answers a test load in a child process (cuda-probe.ts); NNLAB_BINARY=cpu|cuda picks one without
// the probe. Choosing never throws for want of a GPU: a missing binary or driver falls back to the
// CPU binary, and the reason is kept for `nnlab devices --json`.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { LoadError } from './errors.js';
import { probeCudaBinary } from './cuda-probe.js';

export type BinaryKind = 'cpu' | 'cuda' | 'source-build' | 'custom';
export type Libc = 'glibc' | 'musl';

export interface BinaryChoice {
  chosen: BinaryKind;
  path: string;
  /** Why this one: the override, the driver probe's answer, or the fallback's cause. */
  reason: string;
  libc: Libc;
}

/**
 * The C library of this process: LIBC overrides (as node-gyp-build's does); else musl when its
 * loader is mapped into this process (reading /proc/self/maps takes far less than the 12 ms of
 * process.report, which is the fallback).
 */
export function hostLibc(env: NodeJS.ProcessEnv = process.env): Libc {
  if (env.LIBC === 'glibc' || env.LIBC === 'musl') return env.LIBC;
  if (process.platform !== 'linux') return 'glibc';
  try {
    return readFileSync('/proc/self/maps', 'utf8').includes('/ld-musl-') ? 'musl' : 'glibc';
  } catch {
    const header = (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header;
    return header.glibcVersionRuntime ? 'glibc' : 'musl';
  }
}

export interface Prebuilds {
  dir: string;
  all: string[];
  cpu?: string;
  cuda?: string;
}

/** The prebuilt CPU and CUDA binaries in `prebuilds/<platform>-<arch>/` that fit this libc (an untagged file fits any). */
export function findPrebuilds(root: string, libc: Libc): Prebuilds {
  const dir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  let all: string[] = [];
  try {
    all = readdirSync(dir).filter((f) => f.endsWith('.node'));
  } catch {
    // no prebuilds for this platform
  }
  const fits = all.filter((f) => {
    const tags = f.split('.').slice(0, -1);
    const other = libc === 'glibc' ? 'musl' : 'glibc';
    return tags.includes('napi') && !tags.includes(other);
  });
  const pick = (cuda: boolean) => {
    const f = fits.find((x) => x.split('.').includes('cuda') === cuda);
    return f && join(dir, f);
  };
  return { dir, all, cpu: pick(false), cuda: pick(true) };
}

function noBinary(p: Prebuilds, libc: Libc, root: string): LoadError {
  const found = p.all.length ? `found only ${p.all.join(', ')}` : 'none ships for this platform';
  const build = `install a C++17 compiler, make and python3, then run "npm rebuild nnlab --build-from-source"`;
  if (libc === 'musl')
    return new LoadError(
      `nnlab: this system uses the musl C library (Alpine?), and the prebuilt binaries in ${p.dir} are built for glibc (${found}).\n` +
        `  Fix: use a glibc-based image (Debian, Ubuntu, RHEL), or build from source: ${build} (on Alpine: apk add build-base python3).`,
    );
  return new LoadError(
    `nnlab: no native binary for ${process.platform}-${process.arch} (${libc}): no build in ${join(root, 'build/Release')} and no prebuilt binary in ${p.dir} (${found}).\n` +
      `  Fix: ${build}.`,
  );
}

/** Decides which binary to load; throws a LoadError only when there is none that can run here. */
export function chooseBinary(root: string, env: NodeJS.ProcessEnv = process.env): BinaryChoice {
  const explicit = env.NNLAB_ADDON;
  const libc = hostLibc(env);
  if (explicit) return { chosen: 'custom', path: explicit, reason: 'NNLAB_ADDON names the file', libc };
  const mode = env.NNLAB_BINARY || 'auto';
  const local = join(root, 'build', 'Release', 'nnlab.node');
  const p = findPrebuilds(root, libc);
  if (existsSync(local) && (mode === 'auto' || !p.cpu))
    return { chosen: 'source-build', path: local, reason: 'a build from source (build/Release) comes before the prebuilt binaries', libc };
  if (!p.cpu && !p.cuda) throw noBinary(p, libc, root);
  const cpu = (reason: string): BinaryChoice =>
    p.cpu
      ? { chosen: 'cpu', path: p.cpu, reason, libc }
      : { chosen: 'cuda', path: p.cuda!, reason: `${reason}; but only the CUDA binary is here`, libc };
  if (mode === 'cpu') return cpu('NNLAB_BINARY=cpu');
  if (!p.cuda) return cpu(`no CUDA binary ships for ${process.platform}-${process.arch} (${libc})`);
  // Forced: loaded in this process without the probe. Without a driver it still loads (the static
  // CUDA runtime opens libcuda only when asked), runs on the CPU and reports the driver's reason.
  if (mode === 'cuda') return { chosen: 'cuda', path: p.cuda, reason: 'NNLAB_BINARY=cuda (loaded without the driver probe)', libc };
  const probe = probeCudaBinary(p.cuda, env);
  return probe.ok ? { chosen: 'cuda', path: p.cuda, reason: probe.reason, libc } : cpu(probe.reason);
}
