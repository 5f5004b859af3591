// Compiles lib/ to dist/ once before the tests that run the nnlab command as a user would, and
// gives the run its own temporary directory: tests (and the programs they start) make run folders,
// checkpoints and builds under os.tmpdir(), some of them hundreds of MB, and this removes them all
// when the run ends instead of leaving them in /tmp run after run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup() {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  // Test workers are forked after this, so they (and their children) inherit TMPDIR.
  const runTmp = mkdtempSync(join(tmpdir(), 'nnlab-test-run-'));
  process.env.TMPDIR = runTmp;
  return () => {
    if (process.env.NNLAB_KEEP_TEST_TMP) console.log(`kept the test run's temporary files in ${runTmp}`);
    else rmSync(runTmp, { recursive: true, force: true });
  };
}
