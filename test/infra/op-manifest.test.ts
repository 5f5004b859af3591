// native/ops.def is the one list of ops. The addon's JavaScript surface, its TypeScript
// declarations (lib/core/native-types) and the manifest must name the same functions: an op
// added in one place and forgotten in another fails here (the C++ side fails to compile or link).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { native } from '../../lib/core/native.js';

const manifest = readFileSync('native/ops.def', 'utf8');
const jsEntries = [...manifest.matchAll(/^NN_JS\((\w+), (\w+), (\w+)\)$/gm)].map(([, family, js, fn]) => ({ family, js, fn }));
const kernels = [...manifest.matchAll(/^NN_KERNEL\(/gm)].length;

/** Function names declared in the exported op interfaces of a native-types file (not the tensor's own methods). */
function declared(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const names: string[] = [];
  for (const block of text.matchAll(/export interface (?!NativeTensor\b)\w+ \{([\s\S]*?)\n\}/g))
    for (const m of block[1].matchAll(/^ {2}(\w+)\s*[(<]/gm)) names.push(m[1]);
  return names;
}

// The entries the tensor class itself adds (binding/tensor_handle.cpp), not ops.
const NOT_OPS = new Set(['NativeTensor', 'setTensorsScoped', 'liveTensorHandles']);

describe('the op manifest', () => {
  it('lists kernels and a JavaScript surface without duplicates', () => {
    expect(kernels).toBeGreaterThan(40);
    const names = jsEntries.map((e) => e.js);
    expect(new Set(names).size).toBe(names.length);
  });

  it('the loaded addon exports exactly the manifest functions', () => {
    const exported = Object.keys(native)
      .filter((k) => !NOT_OPS.has(k))
      .sort();
    expect(exported).toEqual(jsEntries.map((e) => e.js).sort());
  });

  it('lib/core/native-types declares exactly the manifest functions', () => {
    const dir = 'lib/core/native-types';
    const all = readdirSync(dir)
      .flatMap((f) => declared(join(dir, f)))
      .filter((n) => !NOT_OPS.has(n));
    const stray = all.filter((n) => !jsEntries.some((e) => e.js === n));
    const missing = jsEntries.filter((e) => !all.includes(e.js)).map((e) => e.js);
    expect({ stray, missing }).toEqual({ stray: [], missing: [] });
  });

  it('every family of the manifest has its binding file', () => {
    const files = new Set(readdirSync('native/binding'));
    for (const f of new Set(jsEntries.map((e) => e.family))) expect(files.has(`ops_${f}.cpp`), f).toBe(true);
  });
});
