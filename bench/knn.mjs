// k-NN benchmark: pairwiseSqDist + topk(k = 3) on random data, MNIST-sized by default
// (10000 queries x 60000 references x 784 features), or 2000 x 10000 x 784 with --quick.
// Usage: node bench/knn.mjs [--quick] [--m M] [--n N] [--d D] [--threads T]
import nodeGypBuild from 'node-gyp-build';

const native = nodeGypBuild(new URL('..', import.meta.url).pathname);

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const quick = args.includes('--quick');
const m = opt('m', quick ? 2000 : 10000);
const n = opt('n', quick ? 10000 : 60000);
const d = opt('d', 784);
const k = 3;
if (args.includes('--threads')) native.setNumThreads(opt('threads', native.numThreads()));

const randn = (count, seed) => native.rand('uniform', [count], seed, 0, 0, 1, 'cpu');
const a = native.reshape(randn(m * d, 1), [m, d]);
const b = native.reshape(randn(n * d, 2), [n, d]);

const t0 = process.hrtime.bigint();
const dist = native.pairwiseSqDist(a, b);
const t1 = process.hrtime.bigint();
const [values, indices] = native.topk(dist, k, false);
const t2 = process.hrtime.bigint();

const s = (x) => Number(x) / 1e9;
const gflop = (2 * m * n * d) / 1e9;
console.log(`knn ${m} x ${n} x ${d}, k = ${k}, ${native.numThreads()} threads`);
console.log(`  pairwiseSqDist ${s(t1 - t0).toFixed(3)} s (${(gflop / s(t1 - t0)).toFixed(1)} GFLOP/s)`);
console.log(`  topk           ${s(t2 - t1).toFixed(3)} s`);
console.log(`  total          ${s(t2 - t0).toFixed(3)} s`);
for (const t of [a, b, dist, values, indices]) t.dispose();
