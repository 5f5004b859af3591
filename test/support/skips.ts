// The one place that decides whether a test may skip. A test that needs an optional tool (python3
// with torch, chromium, a second ISA, a memory cgroup...) calls skipUnless(condition, reason): it
// skips with the reason printed, except in strict mode (NNLAB_STRICT_SKIPS=1, set by CI), where the
// missing tool is a failure. The GPU is the only exception strict mode allows (CI has none).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const STRICT = process.env.NNLAB_STRICT_SKIPS === '1';

/**
 * Skips that strict mode still allows, all about the machine rather than installed tools: a GPU
 * (CI has none), a CPU instruction set (AVX-512 vs AVX2 needs a CPU with AVX-512), and a memory
 * cgroup (creating one needs a systemd user session, or root and a cgroup hierarchy with memory).
 */
export const ALLOWED_IN_STRICT = ['gpu', 'cpu-isa', 'cgroup'] as const;
export type AllowedSkip = (typeof ALLOWED_IN_STRICT)[number];

/**
 * Throws (strict mode) or returns a skip function to call, for tests whose requirement is not met.
 * Use inside a test: `if (!ok) return skipUnless.skip(ctx, reason)`; or at collection time with
 * `it.skipIf(skipReason(ok, reason))`.
 */
export function skipReason(ok: boolean, reason: string, kind?: AllowedSkip): string | false {
  if (ok) return false;
  if (STRICT && !(kind && ALLOWED_IN_STRICT.includes(kind)))
    throw new Error(`NNLAB_STRICT_SKIPS=1: a test would be skipped (${reason}); install what it needs`);
  console.warn(`skipped: ${reason}`);
  return reason;
}

/** Inside a running test: skip it (printing why) unless `ok`; in strict mode fail instead. */
export function skipUnless(
  ctx: { skip: (note?: string) => void; task?: { meta: Record<string, unknown> } },
  ok: boolean,
  reason: string,
  kind?: AllowedSkip,
): void {
  const r = skipReason(ok, reason, kind);
  if (!r) return;
  // The strict-mode reporter (strict-skips-reporter.ts) lets skips of an allowed kind through.
  if (kind && ctx.task) ctx.task.meta.allowedSkip = kind;
  ctx.skip(r);
}

export const PYTHON = '/usr/bin/python3';
export const CHROMIUM = '/usr/bin/chromium';
export const hasPython = existsSync(PYTHON);
export const hasChromium = existsSync(CHROMIUM);
/** FashionMNIST: Debian's dataset-fashion-mnist, or a copy named by NNLAB_FASHION_DIR (as lib/data reads it). */
export const FASHION_DIR = process.env.NNLAB_FASHION_DIR ?? '/usr/share/datasets/fashion-mnist';
export const hasFashion = existsSync(FASHION_DIR);
export const NO_FASHION = `FashionMNIST is not in ${FASHION_DIR} (apt-get install dataset-fashion-mnist, or set NNLAB_FASHION_DIR)`;

const pythonModules = new Map<string, boolean>();
/** Whether Debian's python3 can import `module` (torch, torchvision, sklearn); checked once per module. */
export function pythonHas(module: string): boolean {
  if (!hasPython) return false;
  if (!pythonModules.has(module))
    pythonModules.set(module, spawnSync(PYTHON, ['-c', `import ${module}`], { stdio: 'ignore', timeout: 120_000 }).status === 0);
  return pythonModules.get(module)!;
}
