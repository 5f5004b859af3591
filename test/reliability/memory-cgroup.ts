// A memory-limited cgroup to run a child process in, made by whichever mechanism the host offers:
// a systemd user scope, or (as root) a cgroup v2 or v1 folder written directly. Each new cgroup
// is a child of this process's own one where that can be written, so it only ever tightens the
// limit the process already has. Used by the issue-24 test that a large allocation inside such a
// cgroup is an OutOfMemoryError and not a SIGKILL.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MemoryCgroup {
  /** How it was made ("systemd-run --user --scope", "cgroup v2", "cgroup v1"). */
  mechanism: string;
  /** A name that the cgroup's folder path contains (the scope unit or the folder's own name). */
  name: string;
  /** Runs `cmd` inside the cgroup. */
  run(cmd: string[], env: NodeJS.ProcessEnv): SpawnSyncReturns<string>;
  /** Removes the cgroup (a no-op for systemd scopes, which go when their process ends). */
  remove(): void;
}

const spawnOpts = (env: NodeJS.ProcessEnv) => ({ encoding: 'utf8' as const, env, timeout: 60_000 });

/** Mount point and mounted sub-tree of the cgroup2 file system and of the v1 "memory" hierarchy. */
function mounts(): { v2?: { root: string; point: string }; v1?: { root: string; point: string } } {
  const out: ReturnType<typeof mounts> = {};
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!right) continue;
    const [, , , root, point] = left.split(' ');
    const [fstype, , options] = right.split(' ');
    if (fstype === 'cgroup2') out.v2 ??= { root, point };
    if (fstype === 'cgroup' && options.split(',').includes('memory')) out.v1 ??= { root, point };
  }
  return out;
}

/** This process's cgroup folder in a hierarchy ("" for v2, "memory" for v1), if it is visible. */
function ownFolder(mount: { root: string; point: string }, controller: string): string | undefined {
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m || (controller ? !m[1].split(',').includes(controller) : m[1] !== '')) continue;
    let path = m[2];
    if (mount.root !== '/' && path.startsWith(mount.root)) path = path.slice(mount.root.length) || '/';
    const dir = join(mount.point, path);
    return existsSync(dir) ? dir : undefined;
  }
  return undefined;
}

const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim() : '');

function folderCgroup(mechanism: string, dir: string, limits: [file: string, value: number][]): MemoryCgroup {
  mkdirSync(dir);
  try {
    for (const [f, v] of limits) if (existsSync(join(dir, f))) writeFileSync(join(dir, f), String(v));
  } catch (e) {
    rmdirSync(dir);
    throw e;
  }
  return {
    mechanism,
    name: dir.split('/').pop()!,
    // The shell moves itself into the cgroup, then becomes the command: nothing runs outside it.
    run: (cmd, env) => spawnSync('sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', dir, ...cmd], spawnOpts(env)),
    remove: () => {
      // The kernel empties a cgroup shortly after its last process exits.
      for (let i = 0; i < 50; i++) {
        try {
          return rmdirSync(dir);
        } catch {
          spawnSync('sleep', ['0.1']);
        }
      }
    },
  };
}

/**
 * A memory cgroup limited to `limit` bytes (no swap), or the reasons no mechanism worked here.
 */
export function memoryCgroup(limit: number): { cgroup?: MemoryCgroup; reasons: string[] } {
  const reasons: string[] = [];
  const name = `nnlab-oom-${process.pid}-${Date.now()}`;

  const systemd = ['systemd-run', '--user', '--scope', '--quiet', `-p`, `MemoryMax=${limit}`, '-p', 'MemorySwapMax=0'];
  const probe = spawnSync(systemd[0], [...systemd.slice(1), 'true'], { encoding: 'utf8' });
  if (probe.status === 0)
    return {
      reasons,
      cgroup: {
        mechanism: 'systemd-run --user --scope',
        name: `${name}.scope`,
        run: (cmd, env) => spawnSync(systemd[0], [...systemd.slice(1), `--unit=${name}`, ...cmd], spawnOpts(env)),
        remove: () => {},
      },
    };
  reasons.push(`systemd-run --user --scope: ${(probe.stderr || String(probe.error)).trim()}`);

  const { v1, v2 } = mounts();
  // cgroup v2: a child can limit memory only where its parent enables the controller for children
  // (cgroup.subtree_control); enabling it is not done here (it changes the host's tree).
  if (!v2) reasons.push('cgroup v2: not mounted');
  else {
    const parents = [ownFolder(v2, ''), v2.point].filter((d): d is string => !!d);
    const parent = parents.find((d) => read(join(d, 'cgroup.subtree_control')).split(' ').includes('memory'));
    if (!parent) reasons.push(`cgroup v2: the memory controller is not enabled for children of ${parents.join(' or ')}`);
    else
      try {
        const limits: [string, number][] = [
          ['memory.max', limit],
          ['memory.swap.max', 0],
        ];
        return { reasons, cgroup: folderCgroup('cgroup v2', join(parent, name), limits) };
      } catch (e) {
        reasons.push(`cgroup v2: ${(e as Error).message}`);
      }
  }
  // cgroup v1: the memory hierarchy; memory.memsw.limit_in_bytes (swap included) exists only with
  // swap accounting and must be set after memory.limit_in_bytes.
  if (!v1) reasons.push('cgroup v1: no memory hierarchy mounted');
  else
    try {
      const parent = ownFolder(v1, 'memory') ?? v1.point;
      const limits: [string, number][] = [
        ['memory.limit_in_bytes', limit],
        ['memory.memsw.limit_in_bytes', limit],
      ];
      return { reasons, cgroup: folderCgroup('cgroup v1', join(parent, name), limits) };
    } catch (e) {
      reasons.push(`cgroup v1: ${(e as Error).message}`);
    }
  return { reasons };
}
