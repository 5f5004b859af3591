// Whether the prebuilt CUDA binary can run here, decided without risking the user's process: a
// cheap look for the driver library first, then a test load of the binary in a child process
// (a broken driver may crash or hang inside cuInit; the child takes that, the caller never does).
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ProbeResult {
  ok: boolean;
  /** Why the CUDA binary was or was not chosen, in words a user can act on. */
  reason: string;
}

const DRIVER = 'libcuda.so.1';
// WSL2 puts the driver library here, outside the loader cache.
const EXTRA_DIRS = ['/usr/lib/wsl/lib'];

/** Where libcuda.so.1 would be found by the dynamic loader, or null (LD_LIBRARY_PATH, the ld.so cache, WSL). */
export function findDriverLibrary(env: NodeJS.ProcessEnv = process.env): string | null {
  const dirs = (env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean).concat(EXTRA_DIRS);
  for (const d of dirs) if (existsSync(join(d, DRIVER))) return join(d, DRIVER);
  try {
    // The cache holds the names and paths of every library ldconfig registered.
    if (readFileSync('/etc/ld.so.cache').includes(DRIVER)) return `${DRIVER} (in /etc/ld.so.cache)`;
  } catch {
    // no cache: nothing registered
  }
  return null;
}

// Runs in the child: load the binary, ask the CUDA runtime, print one JSON line.
const CHILD = `const m = { exports: {} };
process.dlopen(m, process.argv[1]);
process.stdout.write(JSON.stringify(m.exports.cudaStatus()));`;

/** Test-loads the CUDA binary in a child process and asks it for a device. */
export function probeCudaBinary(binary: string, env: NodeJS.ProcessEnv = process.env): ProbeResult {
  const lib = findDriverLibrary(env);
  if (!lib) return { ok: false, reason: `no NVIDIA driver: ${DRIVER} is not in LD_LIBRARY_PATH or the loader cache` };
  // cuInit can take seconds on a cold GPU; a hung driver must not hang the import forever.
  // Required here, not at the top: only a probe needs child_process, and loading it slows every start.
  const { spawnSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  const r = spawnSync(process.execPath, ['-e', CHILD, binary], { encoding: 'utf8', timeout: 60_000, env });
  if (r.error) return { ok: false, reason: `the CUDA binary's test load failed: ${r.error.message}` };
  if (r.signal) return { ok: false, reason: `the CUDA binary's test load was killed by ${r.signal} (driver ${lib})` };
  if (r.status !== 0) {
    const last = r.stderr.trim().split('\n').filter(Boolean).slice(-1)[0] ?? '';
    return { ok: false, reason: `the CUDA binary's test load exited with status ${r.status}: ${last}` };
  }
  try {
    const s = JSON.parse(r.stdout) as { available: boolean; reason: string; name: string };
    return s.available
      ? { ok: true, reason: `a CUDA device answered the test load (${s.name})` }
      : { ok: false, reason: `driver found (${lib}) but ${s.reason}` };
  } catch {
    return { ok: false, reason: `the CUDA binary's test load printed no status: ${r.stdout.slice(0, 200)}` };
  }
}
