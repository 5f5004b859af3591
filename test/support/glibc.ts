// What a native binary asks of the C and C++ runtime libraries, read from its dynamic symbol table
// (objdump -T): the GLIBC_ versions, and any GLIBCXX_/CXXABI_/GCC_ one (there must be none: the
// prebuilt binaries link libstdc++ and libgcc statically, docs/building.md).
import { execFileSync } from 'node:child_process';

/** The oldest glibc the prebuilt binaries load on (docs/building.md says why it is this one). */
export const GLIBC_FLOOR = '2.27';

const cmp = (a: string, b: string): number => {
  const x = a.split('.').map(Number),
    y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
};

export function glibcNeeds(file: string) {
  const table = execFileSync('objdump', ['-T', file], { encoding: 'utf8', maxBuffer: 64 << 20 }).split('\n');
  const rows = table
    .map((l) => /\((GLIBC|GLIBCXX|CXXABI|GCC)_([\d.]+)\)\s+(\S+)$/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ lib: m[1], version: m[2], symbol: m[3] }));
  const glibc = rows.filter((r) => r.lib === 'GLIBC');
  const max = glibc.map((r) => r.version).reduce((a, b) => (cmp(a, b) >= 0 ? a : b), '0');
  return {
    max,
    cmp,
    // A --wrap flag without its wrapper links anyway (a shared object may leave symbols undefined) and fails at load.
    unresolvedWraps: table.filter((l) => /\*UND\*.*\s__wrap_/.test(l)).map((l) => l.trim().split(/\s+/).pop()!),
    cxx: [...new Set(rows.filter((r) => r.lib !== 'GLIBC').map((r) => `${r.symbol}@${r.lib}_${r.version}`))],
    above: (v: string) => glibc.filter((r) => cmp(r.version, v) > 0).map((r) => `${r.symbol}@GLIBC_${r.version}`),
  };
}
