// Lists the C++ sources of the CPU build for binding.gyp (CMakeLists.txt globs the same
// folders). Usage: node scripts/list-sources.cjs [base|avx2|avx512]
// Files ending in _avx2.cpp / _avx512.cpp hold SIMD kernels compiled with those ISA flags and
// chosen at run time, so one binary runs on any x86-64 CPU. binding.gyp builds the avx2/avx512
// lists only when target_arch is x64 or ia32; other processors build the base list alone, whose
// calls into those files are compiled only for x86 (NNLAB_X86_KERNELS in native/cpu/simd/simd.h).
const fs = require('fs');
const path = require('path');
const root = path.join(__dirname, '..');
const flavor = process.argv[2] || 'base';
const dirs = ['native/core', 'native/cpu', 'native/binding'];
const out = [];
function walk(rel) {
  for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const r = `${rel}/${e.name}`;
    if (e.isDirectory()) walk(r);
    else if (e.name.endsWith('.cpp')) out.push(r);
  }
}
dirs.forEach(walk);
const isa = (f) => (f.endsWith('_avx2.cpp') ? 'avx2' : f.endsWith('_avx512.cpp') ? 'avx512' : 'base');
console.log(
  out
    .filter((f) => isa(f) === flavor)
    .sort()
    .join('\n'),
);
