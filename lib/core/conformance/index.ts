// The whole conformance set and its runner: every op of the native backend on `device` against
// the CPU backend from the same inputs. Used by test/ops/conformance.test.ts and `nnlab selftest`.
import { native } from '../native.js';
import type { DeviceName } from '../native.js';
import { Session } from './case.js';
import type { ConformanceCase, Tolerance } from './case.js';
import { elementwiseCases } from './cases-elementwise.js';
import { linalgCases } from './cases-linalg.js';
import { miscCases } from './cases-misc.js';
import { rowCases } from './cases-rows.js';
import { tableCases } from './runners.js';

export type { ConformanceCase, Tolerance };
export { Session, randomArray } from './case.js';

// The shared case table's entries, then the cases of addon functions that compose several
// kernels or have no kernel of their own (matmul's shape handling, copies, fused pairs...).
export const conformanceCases: readonly ConformanceCase[] = [...tableCases, ...elementwiseCases, ...linalgCases, ...rowCases, ...miscCases];

export interface CaseResult {
  name: string;
  ops: string[];
  grad: boolean;
  /** 'exact' or the NMSE bound. */
  tolerance: Tolerance;
  /** Largest |device - cpu| over all outputs (NaN where shapes or NaN positions differ). */
  maxAbsError: number;
  /** sum((device - cpu)^2) / sum(cpu^2) over all outputs (0 when both are zero). */
  nmse: number;
  /** Elements whose bits differ (exact cases) or whose NaN-ness differs. */
  mismatches: number;
  elements: number;
  pass: boolean;
  ms: number;
  /** The error an op threw on the device (or on the CPU), when it did. */
  error?: string;
}

function runOn(c: ConformanceCase, device: DeviceName): Float32Array[] {
  const s = new Session(device);
  try {
    return c.run(s);
  } finally {
    s.dispose();
  }
}

/** Compares device outputs with the CPU's; float bits compared through their integer view. */
export function compareOutputs(got: Float32Array[], ref: Float32Array[], tol: Tolerance): Omit<CaseResult, 'name' | 'ops' | 'grad' | 'ms'> {
  let maxAbsError = 0,
    num = 0,
    den = 0,
    mismatches = 0,
    elements = 0;
  let shapeOk = got.length === ref.length;
  for (let k = 0; k < Math.min(got.length, ref.length); k++) {
    const a = got[k],
      b = ref[k];
    if (a.length !== b.length) shapeOk = false;
    const ai = new Int32Array(a.buffer, a.byteOffset, a.length);
    const bi = new Int32Array(b.buffer, b.byteOffset, b.length);
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      elements++;
      if (Number.isNaN(a[i]) || Number.isNaN(b[i])) {
        if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) mismatches++;
        continue;
      }
      if (ai[i] !== bi[i] && tol === 'exact') mismatches++;
      const d = a[i] - b[i];
      if (!Number.isFinite(d)) {
        if (a[i] !== b[i]) mismatches++; // infinities must match
        continue;
      }
      maxAbsError = Math.max(maxAbsError, Math.abs(d));
      num += d * d;
      den += b[i] * b[i];
    }
  }
  const nmse = num === 0 ? 0 : den === 0 ? Infinity : num / den;
  const pass = shapeOk && mismatches === 0 && (tol === 'exact' || nmse <= tol);
  return { tolerance: tol, maxAbsError: shapeOk ? maxAbsError : NaN, nmse, mismatches, elements, pass };
}

/** Runs one case on `device` and on the CPU. */
export function runCase(c: ConformanceCase, device: DeviceName): CaseResult {
  const t0 = performance.now();
  const base = { name: c.name, ops: c.ops, grad: c.grad };
  try {
    const ref = runOn(c, 'cpu');
    const got = runOn(c, device);
    return { ...base, ...compareOutputs(got, ref, c.tol), ms: performance.now() - t0 };
  } catch (e) {
    const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return {
      ...base,
      tolerance: c.tol,
      maxAbsError: NaN,
      nmse: NaN,
      mismatches: 0,
      elements: 0,
      pass: false,
      ms: performance.now() - t0,
      error,
    };
  }
}

/** Runs every case (or those whose name contains `filter`). */
export function runConformance(device: DeviceName, filter?: string): CaseResult[] {
  return conformanceCases.filter((c) => !filter || c.name.includes(filter)).map((c) => runCase(c, device));
}

// Addon functions that are not backend ops: configuration, introspection, and the host<->tensor
// transfers every case uses to build inputs and read outputs.
const NOT_OPS = new Set([
  'setTensorsScoped',
  'setErrorClasses',
  'fromTypedArray',
  'toTypedArray',
  'philoxBlocks',
  'cpuIsa',
  // The NNLAB_* switches the addon read at load (a report, not an op).
  'nativeFlags',
  'numThreads',
  'setNumThreads',
  'cudaStatus',
  'cpuCache',
  'releaseCpuCache',
  // How many tensor handles are not yet disposed or finalised (a memory diagnostic).
  'liveTensorHandles',
  'unaryOps',
  'binaryOps',
  'reduceOps',
]);

/** Ops of the loaded addon that no case exercises (a new op must come with a case). */
export function untestedOps(): string[] {
  const tested = new Set(conformanceCases.flatMap((c) => c.ops));
  return Object.keys(native)
    .filter((k) => typeof (native as unknown as Record<string, unknown>)[k] === 'function' && /^[a-z]/.test(k))
    .filter((k) => !NOT_OPS.has(k) && !tested.has(k));
}
