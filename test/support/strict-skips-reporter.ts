// Strict mode (NNLAB_STRICT_SKIPS=1, set by CI): a skipped test fails the run unless its reason is
// hardware no CI machine has. Runtime skips through skipUnless() carry their kind in the test's
// meta (allowedSkip); the one file gated on a GPU build at collection time is named here.
import type { Reporter, TestModule } from 'vitest/node';

import { ALLOWED_IN_STRICT } from './skips.js';

const GPU_ONLY_FILES = [/test\/cuda-real\.test\.ts$/];

export default class StrictSkipsReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const bad: string[] = [];
    for (const m of testModules) {
      if (GPU_ONLY_FILES.some((r) => r.test(m.moduleId))) continue;
      for (const t of m.children.allTests()) {
        if (t.result().state !== 'skipped') continue;
        const kind = (t.meta() as { allowedSkip?: string }).allowedSkip;
        if (kind && (ALLOWED_IN_STRICT as readonly string[]).includes(kind)) continue;
        bad.push(`${m.moduleId.replace(process.cwd() + '/', '')} > ${t.fullName}${t.result().note ? ` (${t.result().note})` : ''}`);
      }
    }
    if (bad.length) {
      console.error(`\nNNLAB_STRICT_SKIPS=1: ${bad.length} test(s) skipped without a hardware reason:\n  ${bad.join('\n  ')}`);
      process.exitCode = 1;
    }
  }
}
