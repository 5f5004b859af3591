// The published package works without a compiler: pack it with its prebuilt binary, install the
// tarball into an empty folder with a PATH holding only node, npm and a shell, and train a step.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve('.');

function prebuilt(): string {
  const dir = join(ROOT, 'prebuilds', 'linux-x64');
  if (!existsSync(dir) || !readdirSync(dir).some((f) => f.endsWith('.node'))) {
    console.log('no prebuilt binary yet: running npm run prebuild (cmake-js through prebuildify)');
    execFileSync('npm', ['run', 'prebuild', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  }
  return join(
    dir,
    readdirSync(dir).find((f) => f.endsWith('.node'))!,
  );
}

describe('packaging', () => {
  it('the prebuilt binary needs only glibc and libstdc++', { timeout: 900_000 }, () => {
    const libs = execFileSync('ldd', [prebuilt()], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0])
      .filter(Boolean);
    const allowed =
      /^(linux-vdso\.so\.1|libstdc\+\+\.so\.6|libm\.so\.6|libc\.so\.6|libgcc_s\.so\.1|\/lib64\/ld-linux-x86-64\.so\.2|libpthread\.so\.0|libdl\.so\.2)$/;
    expect(libs.filter((l) => !allowed.test(l))).toEqual([]);
  });

  it('npm pack + install into an empty folder without a compiler, then a forward and backward step', { timeout: 900_000 }, () => {
    prebuilt();
    const work = mkdtempSync(join(tmpdir(), 'nnlab-pack-'));
    const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop()!;
    // A PATH with node, npm and sh only: no cc, c++, g++, make or cmake.
    const bin = join(work, 'bin');
    mkdirSync(bin);
    const npmCli = join(dirname(dirname(process.execPath)), 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
    symlinkSync(process.execPath, join(bin, 'node'));
    symlinkSync('/bin/sh', join(bin, 'sh'));
    writeFileSync(join(bin, 'npm'), `#!/bin/sh\nexec "${process.execPath}" "${npmCli}" "$@"\n`, { mode: 0o755 });
    const env = { HOME: process.env.HOME!, PATH: bin, npm_config_cache: process.env.npm_config_cache ?? join(process.env.HOME!, '.npm') };
    for (const tool of ['cc', 'gcc', 'g++', 'c++', 'make', 'cmake'])
      expect(() => execFileSync('/bin/sh', ['-c', `command -v ${tool}`], { env })).toThrow();
    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true }));
    // --prefer-offline: the cache answers what npm ci stored; package metadata npm ci never fetched (it
    // installs from the lockfile) comes from the registry, which this machine reaches.
    execFileSync(join(bin, 'npm'), ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, tarball)], {
      cwd: app,
      env,
      stdio: 'pipe',
    });
    expect(existsSync(join(app, 'node_modules', 'nnlab', 'build'))).toBe(false); // nothing was compiled
    writeFileSync(
      join(app, 'step.mjs'),
      `
      import { seedCnn, ops, optim, backward, tidy } from 'nnlab';
      const model = seedCnn();
      const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
      const x = ops.randn([8, 1, 28, 28]);
      const y = ops.tensor(Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7]), [8]);
      const losses = [];
      for (let i = 0; i < 5; i++) tidy(() => { const l = ops.crossEntropy(model.forward(x), y); backward(l); opt.step(); opt.zeroGrad(); losses.push(l.item()); });
      console.log(JSON.stringify(losses));
    `,
    );
    const out = execFileSync(join(bin, 'node'), ['step.mjs'], { cwd: app, env, encoding: 'utf8' });
    const losses = JSON.parse(out.trim()) as number[];
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[4]).toBeLessThan(losses[0]);
  });
});
