// The shape of a self-check report (what --json prints and --out writes).
import type { CaseResult } from '../core/conformance/index.js';
import type { Device } from '../core/tensor.js';
import type { HostInfo } from './host.js';
import type { TrainingResult } from './training.js';

export interface SelftestReport {
  nnlab: 'selftest';
  version: 1;
  date: string;
  host: HostInfo;
  device: Device;
  /** The device's name as the backend reports it ('cpu', 'cuda', 'cuda (simulator)'). */
  deviceName: string;
  ops: CaseResult[];
  training: TrainingResult | null;
  summary: { cases: number; failed: string[]; trainingPass: boolean | null; pass: boolean };
}
