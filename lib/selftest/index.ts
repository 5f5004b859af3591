// `nnlab selftest`: the op conformance set on one device against the CPU, then a short training
// run, gathered into one report (a table for people, JSON to attach to an issue).
import { runConformance } from '../core/conformance/index.js';
import type { CaseResult } from '../core/conformance/index.js';
import { resolveDevice } from '../core/device.js';
import type { DeviceRequest } from '../core/device.js';
import { hostInfo } from './host.js';
import type { HostInfo } from './host.js';
import { compareWithCpu, runTraining } from './training.js';
import type { TrainingResult } from './training.js';

export type { CaseResult, HostInfo, TrainingResult };
export { formatTable } from './table.js';
export type { SelftestReport } from './report.js';
import type { SelftestReport } from './report.js';

export interface SelftestOptions {
  device: DeviceRequest;
  /** Only cases whose name contains this (the training run is then skipped unless `steps` is given). */
  filter?: string;
  /** Training steps (default 300, or 0 with a filter); 0 skips the training run. */
  steps?: number;
}

export function runSelftest(o: SelftestOptions): SelftestReport {
  const device = resolveDevice(o.device);
  const host = hostInfo();
  const ops = runConformance(device, o.filter);
  const steps = o.steps ?? (o.filter ? 0 : 300);
  const training = steps > 0 ? compareWithCpu(runTraining({ device, steps })) : null;
  const failed = ops.filter((r) => !r.pass).map((r) => r.name);
  const trainingPass = training ? training.pass : null;
  return {
    nnlab: 'selftest',
    version: 1,
    date: new Date().toISOString(),
    host,
    device,
    deviceName: device === 'cpu' ? 'cpu' : host.cuda.name,
    ops,
    training,
    summary: { cases: ops.length, failed, trainingPass, pass: failed.length === 0 && trainingPass !== false },
  };
}
