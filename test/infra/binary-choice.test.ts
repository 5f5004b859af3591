// Which native binary the loader takes, on package folders made here: a build from source first,
// the libc-tagged prebuilt files, NNLAB_BINARY, and the typed errors on musl or with nothing to
// load. The CUDA file here is a copy of a real build's name over an empty file: the choice without
// a driver never opens it (the probe needs libcuda.so.1 first), which is the point.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { chooseBinary, findPrebuilds } from '../../lib/core/binary-choice.js';
import { findDriverLibrary } from '../../lib/core/cuda-probe.js';
import { LoadError } from '../../lib/core/errors.js';

function pkg(files: string[], sourceBuild = false): string {
  const root = mkdtempSync(join(tmpdir(), 'nnlab-choice-'));
  const dir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  mkdirSync(dir, { recursive: true });
  for (const f of files) writeFileSync(join(dir, f), '');
  if (sourceBuild) {
    mkdirSync(join(root, 'build', 'Release'), { recursive: true });
    writeFileSync(join(root, 'build', 'Release', 'nnlab.node'), '');
  }
  return root;
}
// No driver library in LD_LIBRARY_PATH. On a GPU host the loader cache has one: then the child's
// test load of the empty CUDA file fails, and the CPU binary is still the choice.
const noGpu = { LD_LIBRARY_PATH: '' };
const hostDriver = findDriverLibrary(noGpu) !== null;

describe('binary choice', () => {
  it('picks the CPU file of this libc, never the other libc or an untagged non-napi file', () => {
    const root = pkg(['node.napi.glibc.node', 'node.napi.musl.node', 'cuda.napi.glibc.node', 'stray.node']);
    const g = findPrebuilds(root, 'glibc');
    expect(g.cpu).toMatch(/node\.napi\.glibc\.node$/);
    expect(g.cuda).toMatch(/cuda\.napi\.glibc\.node$/);
    const m = findPrebuilds(root, 'musl');
    expect(m.cpu).toMatch(/node\.napi\.musl\.node$/);
    expect(m.cuda).toBeUndefined();
  });

  it('without a driver: the CPU binary, with the reason; NNLAB_BINARY=cuda takes the CUDA one unprobed', () => {
    const root = pkg(['node.napi.glibc.node', 'cuda.napi.glibc.node']);
    const auto = chooseBinary(root, { ...noGpu, LIBC: 'glibc' });
    expect(auto).toMatchObject({ chosen: 'cpu', libc: 'glibc' });
    expect(auto.reason).toMatch(hostDriver ? /test load exited/ : /^no NVIDIA driver/);
    expect(chooseBinary(root, { ...noGpu, LIBC: 'glibc', NNLAB_BINARY: 'cpu' })).toMatchObject({
      chosen: 'cpu',
      reason: 'NNLAB_BINARY=cpu',
    });
    const forced = chooseBinary(root, { ...noGpu, LIBC: 'glibc', NNLAB_BINARY: 'cuda' });
    expect(forced.chosen).toBe('cuda');
    expect(forced.path).toMatch(/cuda\.napi\.glibc\.node$/);
  });

  it('a build from source comes first unless NNLAB_BINARY picks a prebuilt one; NNLAB_ADDON beats both', () => {
    const root = pkg(['node.napi.glibc.node', 'cuda.napi.glibc.node'], true);
    expect(chooseBinary(root, { ...noGpu, LIBC: 'glibc' }).chosen).toBe('source-build');
    expect(chooseBinary(root, { ...noGpu, LIBC: 'glibc', NNLAB_BINARY: 'cuda' }).chosen).toBe('cuda');
    expect(chooseBinary(root, { ...noGpu, NNLAB_ADDON: '/x/nnlab.node' })).toMatchObject({ chosen: 'custom', path: '/x/nnlab.node' });
    // Only a source build and no prebuilt CPU file: NNLAB_BINARY=cpu still loads something that runs.
    expect(chooseBinary(pkg([], true), { ...noGpu, LIBC: 'glibc', NNLAB_BINARY: 'cpu' }).chosen).toBe('source-build');
  });

  it('musl with glibc-only binaries, or nothing at all: a LoadError naming the fix', () => {
    const root = pkg(['node.napi.glibc.node', 'cuda.napi.glibc.node']);
    expect(() => chooseBinary(root, { ...noGpu, LIBC: 'musl' })).toThrow(LoadError);
    expect(() => chooseBinary(root, { ...noGpu, LIBC: 'musl' })).toThrow(
      /musl C library .* built for glibc \(found only cuda\.napi\.glibc\.node, node\.napi\.glibc\.node\)[\s\S]*npm rebuild nnlab --build-from-source/,
    );
    expect(() => chooseBinary(pkg([]), { ...noGpu, LIBC: 'glibc' })).toThrow(/no native binary for .*none ships for this platform/);
  });
});
