// The guard's verdict on one workload (more instructions than the baseline by over 5%, or fewer
// by over 20%: work skipped?) lives in the package, lib/bench/callgrind.ts, shared with
// `nnlab bench --counts --compare`; this re-export keeps the repository's imports working.
export { DROP_TOLERANCE, LABELS, RISE_TOLERANCE, verdict } from '../dist/bench/callgrind.js';
