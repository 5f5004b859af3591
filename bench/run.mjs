// The benchmark suite: every workload timed for nnlab and its peer in the same run, one table,
// and the rows saved to bench/results/<date>.json. "speedup" is how many times faster nnlab is
// than the peer (> 1: nnlab faster). A missing peer is reported, not faked.
//   npm run bench [-- --quick] [-- --json]
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const quick = process.argv.includes('--quick');
const json = process.argv.includes('--json');
const rows = [];
const log = (s) => process.stderr.write(s + '\n');

log('gemm ...');
const gemm = await (await import('./gemm.mjs')).run({ quick });
for (const r of gemm.rows)
  rows.push({ workload: `GEMM ${r.shape}`, nnlab: `${r.nnlabGflops.toFixed(1)} GFLOP/s`, peer: `${r.torchGflops.toFixed(1)} GFLOP/s`, speedup: r.ratio, peerName: 'torch.mm' });

log('conv2d ...');
const conv = (await import('./conv.mjs')).run({ quick });
for (const r of conv)
  rows.push({ workload: `conv2d ${r.layer} ${r.op} (batch 128)`, nnlab: `${r.ms.toFixed(2)} ms`, peer: r.torchMs ? `${r.torchMs.toFixed(2)} ms` : 'missing', speedup: r.torchMs ? r.torchMs / r.ms : null, peerName: 'torch conv2d' });

log('seed-CNN training and inference ...');
const train = await (await import('./train.mjs')).run({ quick });
for (const r of train.rows)
  rows.push({ workload: r.workload, nnlab: `${r.nnlab.toFixed(0)} ${r.unit}`, peer: r.peer ? `${r.peer.toFixed(0)} ${r.unit}` : 'missing', speedup: r.ratio, peerName: train.peerNote });

const result = { date: new Date().toISOString(), quick, cpu: cpus()[0]?.model, cores: cpus().length, rows };
const dir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(dir, { recursive: true });
const file = `${dir}${result.date.slice(0, 19).replace(/[:T]/g, '-')}.json`;
writeFileSync(file, JSON.stringify(result, null, 2));

if (json) {
  console.log(JSON.stringify(result));
} else {
  console.log(`${'workload'.padEnd(46)}${'nnlab'.padStart(18)}${'peer'.padStart(18)}${'speedup'.padStart(9)}`);
  for (const r of rows)
    console.log(`${r.workload.padEnd(46)}${r.nnlab.padStart(18)}${r.peer.padStart(18)}${(r.speedup ? r.speedup.toFixed(2) + 'x' : 'n/a').padStart(9)}`);
  console.log(`saved ${file}`);
}
