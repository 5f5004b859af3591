import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

// Projects: 'cpu' runs every test against the default addon (npm test). 'cuda-sim' runs the
// conformance suite (test/ops: every op on every device) and the device-parametrised API tests
// (test/device) once more against the CUDA simulator build, where device 'cuda' exists; CI asks
// for it with NNLAB_TEST_SIM=1 after building build-sim/. Which files run is decided by these
// folders, never by a list.
const shared = {
  pool: 'forks' as const,
  // global.gc() for the memory tests: they check that finalisers free native storage.
  execArgv: ['--expose-gc'],
  globalSetup: ['test/global-setup.ts'],
  testTimeout: 120_000,
  hookTimeout: 120_000,
};

const simAddon = resolve('build-sim/Release/nnlab.node');
// Files that only mean something against the simulator build: they run in the cuda-sim project.
const SIM_ONLY = ['test/ops/cuda-sim.test.ts', 'test/cuda-kernels.test.ts', 'test/cuda-sim-driver.test.ts'];

export default defineConfig({
  test: {
    // CI sets NNLAB_STRICT_SKIPS=1: a skip without a hardware reason then fails the run.
    reporters: process.env.NNLAB_STRICT_SKIPS === '1' ? ['default', './test/support/strict-skips-reporter.ts'] : ['default'],
    projects: [
      { test: { ...shared, name: 'cpu', include: ['test/**/*.test.ts'], exclude: ['**/node_modules/**', ...SIM_ONLY] } },
      ...(process.env.NNLAB_TEST_SIM
        ? [
            {
              test: {
                ...shared,
                name: 'cuda-sim',
                include: ['test/ops/**/*.test.ts', 'test/device/**/*.test.ts', ...SIM_ONLY],
                env: { NNLAB_ADDON: simAddon },
              },
            },
          ]
        : []),
    ],
  },
});
