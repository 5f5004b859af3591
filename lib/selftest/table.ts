// The human-readable form of a self-check report: one line per case, then the training run.
import type { SelftestReport } from './report.js';

const fmt = (v: number) => (Number.isNaN(v) ? '-' : v === 0 ? '0' : v.toExponential(1));

export function formatTable(r: SelftestReport): string {
  const lines: string[] = [];
  lines.push(`nnlab selftest: ${r.deviceName} vs cpu   (nnlab ${r.host.nnlab}, node ${r.host.node}, ${r.host.platform}-${r.host.arch})`);
  lines.push(`binary: ${r.host.binary}`);
  const w = Math.max(...r.ops.map((o) => o.name.length), 4);
  lines.push(`${'case'.padEnd(w)}  ${'max |err|'.padStart(9)}  ${'nmse'.padStart(8)}  ${'tolerance'.padStart(9)}  result`);
  for (const o of r.ops) {
    const tol = o.tolerance === 'exact' ? 'exact' : fmt(o.tolerance);
    const verdict = o.pass ? 'ok' : `FAIL${o.error ? `: ${o.error}` : o.mismatches ? `: ${o.mismatches} of ${o.elements} differ` : ''}`;
    lines.push(`${o.name.padEnd(w)}  ${fmt(o.maxAbsError).padStart(9)}  ${fmt(o.nmse).padStart(8)}  ${tol.padStart(9)}  ${verdict}`);
  }
  const t = r.training;
  if (t) {
    lines.push(
      `training (${t.steps} Adam steps, batch ${t.batchSize}, synthetic digits): loss ${t.firstLoss.toFixed(3)} -> ${t.finalLoss.toFixed(3)} ` +
        `(needs <= ${t.maxFinalLoss}), held-out accuracy ${(100 * t.testAccuracy).toFixed(1)}% (needs >= ${100 * t.minTestAccuracy}%), ` +
        `${t.seconds.toFixed(1)} s: ${t.pass ? 'ok' : `FAIL${t.error ? `: ${t.error}` : ''}`}`,
    );
    const a = t.cpuAgreement;
    if (a)
      lines.push(
        `training vs cpu: step losses of the first ${a.steps} steps differ by at most ${fmt(a.maxRelDiff)} relative ` +
          `(limit ${fmt(a.limit)}): ${a.pass ? 'ok' : 'FAIL'}`,
      );
  }
  const s = r.summary;
  lines.push(
    s.pass
      ? `PASS: ${s.cases} cases${t ? ' and the training run' : ''}`
      : `FAIL: ${s.failed.length} of ${s.cases} cases${s.trainingPass === false ? ' and the training run' : ''} failed`,
  );
  return lines.join('\n');
}
