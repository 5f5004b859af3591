// Whether this machine has a usable NVIDIA GPU, asked of the driver itself (not of nnlab):
// dlopen libcuda.so.1, cuInit, cuDeviceGetCount, in a small C probe compiled once per run.
// Tests of the nvcc build use it to decide what to expect: "cuda unavailable" without a GPU,
// `nnlab selftest --device cuda` passing with one.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface GpuProbe {
  libcuda: boolean;
  devices: number;
  /** What the driver said (dlopen error or CUresult) when there is no device. */
  reason: string;
}

const PROBE = `
#include <dlfcn.h>
#include <stdio.h>
typedef int (*init_t)(unsigned);
typedef int (*count_t)(int*);
int main(void) {
  void* h = dlopen("libcuda.so.1", RTLD_NOW);
  if (!h) { printf("{\\"libcuda\\":false,\\"devices\\":0,\\"reason\\":\\"libcuda.so.1 not found\\"}\\n"); return 0; }
  init_t init = (init_t)dlsym(h, "cuInit");
  count_t count = (count_t)dlsym(h, "cuDeviceGetCount");
  int n = 0, e = init ? init(0) : -1;
  if (e == 0 && count) e = count(&n);
  printf("{\\"libcuda\\":true,\\"devices\\":%d,\\"reason\\":\\"cuInit/cuDeviceGetCount returned CUresult %d\\"}\\n", e == 0 ? n : 0, e);
  return 0;
}
`;

let cached: GpuProbe | undefined;

export function probeGpu(): GpuProbe {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'nnlab-gpu-probe-'));
  writeFileSync(join(dir, 'probe.c'), PROBE);
  execFileSync('cc', ['-O1', join(dir, 'probe.c'), '-o', join(dir, 'probe'), '-ldl'], { stdio: 'pipe' });
  const r = spawnSync(join(dir, 'probe'), { encoding: 'utf8' });
  cached = JSON.parse(r.stdout.trim()) as GpuProbe;
  return cached;
}
