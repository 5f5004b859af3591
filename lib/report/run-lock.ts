// Claiming a run folder: one process at a time writes into it, an existing run is never mixed
// with a new one, and what a killed process left behind (its lock, half-written .tmp files, an
// empty folder) is cleaned up. Two `nnlab train --out X` at once: the second is refused.
import {
  closeSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  rmdirSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join, resolve } from 'node:path';

import { ArgumentError, IOError } from '../core/errors.js';

export const LOCK_FILE = '.nnlab.lock';

export interface ClaimOptions {
  /** Continue the run already in the folder (its files are kept). */
  resume?: boolean;
  /** Replace the nnlab run already in the folder (its files are deleted first). */
  force?: boolean;
}

/** A claimed run folder; release() (or process exit) gives it up. */
export interface RunClaim {
  readonly dir: string;
  release(): void;
}

// Locks still held when the process exits (a failed run) are released then: one listener for all
// of them, however many folders a long-lived process claims.
const atExit = new Set<() => void>();
function onExit(release: () => void): void {
  if (!process.listeners('exit').includes(releaseAll)) process.on('exit', releaseAll);
  atExit.add(release);
}
function releaseAll(): void {
  for (const release of [...atExit]) release();
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function describe(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'EACCES' || err.code === 'EPERM') return 'permission denied (is the folder read-only?)';
  if (err.code === 'EROFS') return 'the file system is read-only';
  if (err.code === 'ENOSPC') return 'no space left on the device';
  return err.message;
}

/** The pid in a lock file, or NaN when it is gone or unreadable. */
function lockOwner(path: string): number {
  try {
    return Number.parseInt(readFileSync(path, 'utf8'), 10);
  } catch {
    return NaN;
  }
}

/**
 * Takes the folder's lock file, or returns the pid of the live process holding it. The lock is
 * written whole under a private name and then hard-linked into place (link fails if the lock
 * exists), so no process ever reads a lock that is still empty and takes it for a stale one. A
 * lock whose process is gone is stale: it is renamed away (one process wins the rename) and, if
 * what was renamed turns out to be a live process's fresh lock, put back.
 */
function tryLock(dir: string): string | { owner: number } {
  const path = join(dir, LOCK_FILE);
  // Private names start with the lock's and the pid (removeStaleTemporaries clears a dead process's).
  const mine = `${path}.${process.pid}.${Date.now()}.pending`;
  try {
    const fd = openSync(mine, 'w');
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
  } catch (e) {
    throw new IOError(`cannot write into the run folder ${dir}: ${describe(e)}`);
  }
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(mine, path);
        return path;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new IOError(`cannot write into the run folder ${dir}: ${describe(e)}`);
      }
      const owner = lockOwner(path);
      if (Number.isInteger(owner) && alive(owner)) return { owner };
      const stale = `${path}.${process.pid}.stale-${attempt}`;
      try {
        renameSync(path, stale);
      } catch {
        continue; // gone meanwhile (released, or another process broke it first): try again
      }
      const taken = lockOwner(stale);
      if (Number.isInteger(taken) && alive(taken)) {
        // Between our read and our rename its owner died and another process locked afresh.
        try {
          linkSync(stale, path);
        } catch {
          /* a third process has locked since: its lock stands */
        }
      }
      rmSync(stale, { force: true });
    }
    throw new IOError(`cannot lock the folder ${dir}: other processes keep taking it`);
  } finally {
    rmSync(mine, { force: true });
  }
}

function takeLock(dir: string): string {
  const r = tryLock(dir);
  if (typeof r === 'string') return r;
  if (r.owner === process.pid) throw new IOError(`the run folder ${dir} is already in use by this process`);
  throw new IOError(`the run folder ${dir} is in use by another nnlab process (pid ${r.owner}); wait for it or choose another --out`);
}

/**
 * Waits until this process holds the lock of `dir` (created if needed), polling while another
 * live process holds it; returns the function that releases it. For caches shared by runs.
 */
export async function waitForLock(dir: string, onWait?: (owner: number) => void, pollMs = 1000): Promise<() => void> {
  mkdirSync(dir, { recursive: true });
  let told = false;
  for (;;) {
    const r = tryLock(dir);
    if (typeof r === 'string') {
      const release = () => {
        atExit.delete(release);
        rmSync(r, { force: true });
      };
      onExit(release);
      return release;
    }
    if (!told) onWait?.(r.owner);
    told = true;
    await new Promise((res) => setTimeout(res, pollMs));
  }
}

/** Deletes the temporary files of atomic writes that a killed process left (see io/atomic.ts). */
function removeStaleTemporaries(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) removeStaleTemporaries(p);
    else if (e.isFile() && e.name.startsWith('.') && e.name.endsWith('.tmp')) rmSync(p, { force: true });
    else if (e.isFile() && e.name.startsWith(`${LOCK_FILE}.`) && !alive(Number.parseInt(e.name.slice(LOCK_FILE.length + 1), 10)))
      rmSync(p, { force: true }); // a lock attempt of a process that was killed during it
  }
}

/**
 * Claims `out` for a run: creates it if needed, refuses a path that is a file, a folder that
 * holds anything unless resuming or forcing (forcing deletes only an nnlab run folder, one with
 * config.json), and a folder another live process has claimed.
 */
export function claimRunFolder(out: string, opts: ClaimOptions = {}): RunClaim {
  if (out.trim() === '') throw new ArgumentError('the run folder (--out) must not be empty');
  const dir = resolve(out);
  let created = false;
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new IOError(`--out ${out} is a file, not a folder`);
  } else {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new IOError(`cannot create the run folder ${dir}: ${describe(e)}`);
    }
    created = true;
  }
  const lock = takeLock(dir);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    atExit.delete(release);
    rmSync(lock, { force: true });
    // A run that failed before writing anything leaves no empty folder behind.
    if (created && readdirSync(dir).length === 0) rmdirSync(dir);
  };
  onExit(release);
  try {
    removeStaleTemporaries(dir);
    const others = readdirSync(dir).filter((n) => n !== LOCK_FILE);
    if (others.length && !opts.resume) {
      if (!opts.force)
        throw new IOError(
          `the run folder ${dir} already holds ${others.length} file(s) (${others.slice(0, 3).join(', ')}${others.length > 3 ? ', ...' : ''}): pass --resume to continue that run, --force to replace it, or choose another --out`,
        );
      if (!others.includes('config.json'))
        throw new IOError(`--force: ${dir} is not an nnlab run folder (no config.json), so nnlab will not delete its contents`);
      for (const n of others) rmSync(join(dir, n), { recursive: true, force: true });
    }
  } catch (e) {
    release();
    throw e;
  }
  return { dir, release };
}
