// The addon side of the case table (table.ts): a runner per backend op that calls the addon
// function(s) exposing it with the entry's shapes and params and seeded inputs, and returns the
// outputs to compare. The C++ kernel tests hold the same runners over the Backend interface
// (cuda/sim/kernel_tests/cases_*.cpp).
import { native } from '../native.js';
import type { NativeTensor } from '../native.js';
import type { BinaryOpName, UnaryOpName } from '../native-types/elementwise.js';
import type { LinearActName } from '../native-types/gemm.js';
import type { ReduceOpName } from '../native-types/reduce.js';
import { randomArray } from './case.js';
import type { ConformanceCase, Session } from './case.js';
import { caseTable, tolerances } from './table.js';
import type { TableEntry } from './table.js';

interface Runner {
  /** The addon functions it calls (for the coverage check of index.ts). */
  ops: string[];
  grad: boolean;
  run(s: Session, e: TableEntry): Float32Array[];
}

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const num = (e: TableEntry, k: string) => e.params[k] as number;
const flag = (e: TableEntry, k: string) => e.params[k] === true;
const pair = (e: TableEntry, k: string, fallback: number) => (e.params[k] as number[] | undefined) ?? [fallback, fallback];

// Convolution params in the addon's order: stride, padding, dilation (h, w), groups.
function convParams(e: TableEntry): [number, number, number, number, number, number, number] {
  const [sh, sw] = pair(e, 'stride', 1);
  const [ph, pw] = pair(e, 'pad', 0);
  const [dh, dw] = pair(e, 'dilation', 1);
  return [sh, sw, ph, pw, dh, dw, num(e, 'groups')];
}
function convOut(e: TableEntry): number[] {
  const [n, , h, w] = e.shapes.x;
  const [k, , r, q] = e.shapes.w;
  const [sh, sw, ph, pw, dh, dw] = convParams(e);
  return [n, k, Math.floor((h + 2 * ph - dh * (r - 1) - 1) / sh) + 1, Math.floor((w + 2 * pw - dw * (q - 1) - 1) / sw) + 1];
}
// Pooling params: window, stride, padding (h, w).
const poolParams = (e: TableEntry): [number, number, number, number, number, number] => [
  ...(e.params.kernel as [number, number]),
  ...(e.params.stride as [number, number]),
  ...(e.params.pad as [number, number]),
];
// batch norm's [N, C, HW] as the addon's [N, C] or [N, C, HW, 1].
const bnShape = (e: TableEntry) => (e.shapes.x[2] === 1 ? e.shapes.x.slice(0, 2) : [...e.shapes.x, 1]);

// Quarters with a NaN (and, with `specials`, a -inf row) for reductions: ties and exact sums.
function reduceInput(s: Session, e: TableEntry): NativeTensor {
  const [outer, dim, inner] = e.shapes.x;
  const x = Float32Array.from(randomArray(outer * dim * inner, 100 + dim, -20, 21), (v) => Math.floor(v) / 8);
  if (flag(e, 'specials')) {
    x[inner * 2] = NaN;
    if (outer > 1) for (let d = 0; d < dim; d++) x[(dim + d) * inner] = -Infinity;
  }
  return s.f32(x, e.shapes.x);
}
function softmaxInput(s: Session, e: TableEntry): NativeTensor {
  const [, dim, inner] = e.shapes.x;
  const x = randomArray(numel(e.shapes.x), 110, -8, 8);
  if (flag(e, 'masked')) {
    for (let i = 0; i < x.length; i += 3) x[i] = -Infinity;
    for (let d = 0; d < dim; d++) x[d * inner] = -Infinity; // one line masked entirely
  }
  return s.f32(x, e.shapes.x);
}
const softmaxOf = (e: TableEntry) => (flag(e, 'log') ? native.logSoftmax : native.softmax);
function logits(s: Session, e: TableEntry): NativeTensor {
  const x = randomArray(numel(e.shapes.logits), 120, -6, 6);
  x[0] += 40; // a dominant logit
  if (flag(e, 'nan_row')) x[e.shapes.logits[1] + 3] = NaN;
  return s.f32(x, e.shapes.logits);
}
const linearActOf = (e: TableEntry) => e.params.act as LinearActName;
// Index views: x [outer, dim, inner] and nidx indices along axis 1.
const idxShape = (e: TableEntry) => [e.shapes.x[0], num(e, 'nidx'), e.shapes.x[2]];

const generated = (ops: string[], make: (s: Session, e: TableEntry) => NativeTensor | NativeTensor[]): Runner => ({
  ops,
  grad: false,
  run: (s, e) => {
    const out = make(s, e);
    return s.read(...(Array.isArray(out) ? out : [out]));
  },
});
const gradient = (ops: string[], make: (s: Session, e: TableEntry) => NativeTensor | NativeTensor[]): Runner => ({
  ...generated(ops, make),
  grad: true,
});

export const runners: Record<string, Runner> = {
  fill_f32: generated(['full'], (s, e) => native.full(e.shapes.y, num(e, 'value'), 'float32', s.device)),
  fill_i32: generated(['full'], (s, e) => native.full(e.shapes.y, num(e, 'value'), 'int32', s.device)),
  arange_f32: generated(['arange'], (s, e) => native.arange(numel(e.shapes.y), num(e, 'start'), num(e, 'step'), s.device)),
  rand_uniform: generated(['rand'], (s, e) =>
    native.rand('uniform', e.shapes.y, num(e, 'seed'), num(e, 'offset'), num(e, 'lo'), num(e, 'hi'), s.device),
  ),
  rand_normal: generated(['rand'], (s, e) =>
    native.rand('normal', e.shapes.y, num(e, 'seed'), num(e, 'offset'), num(e, 'mean'), num(e, 'std'), s.device),
  ),
  rand_bernoulli: generated(['rand'], (s, e) =>
    native.rand('bernoulli', e.shapes.y, num(e, 'seed'), num(e, 'offset'), num(e, 'p'), undefined, s.device),
  ),
  rand_permutation: generated(['randPermutation'], (s, e) =>
    native.randPermutation(numel(e.shapes.y), num(e, 'seed'), num(e, 'offset'), s.device),
  ),
  // Sources the target type can hold (a float outside [0, 256) narrowed to uint8 is undefined),
  // with fractions (truncation toward zero) and negative int32 that wrap when narrowed.
  cast: generated(['cast'], (s, e) => {
    const dt = { f32: 'float32', i32: 'int32', u8: 'uint8' } as const;
    const [from, to] = [e.params.from as keyof typeof dt, e.params.to as keyof typeof dt];
    const f = s.rand(e.shapes.x, 31, from === 'u8' || to === 'u8' ? 0 : -300, 255.9);
    const x = from === 'f32' ? f : s.keep(native.cast(f, dt[from]));
    return native.cast(x, dt[to], from === 'u8' && to === 'f32' ? 1 / 255 : 1);
  }),
  byte_table: generated(['byteTable'], (s, e) =>
    native.byteTable(s.keep(native.cast(s.rand(e.shapes.x, 32, 0, 255.9), 'uint8')), s.rand([256], 33, -3, 3)),
  ),
  dropout: generated(['dropout'], (s, e) => native.dropout(s.rand(e.shapes.x, 41), num(e, 'p'), num(e, 'seed'), num(e, 'offset'))),
  dropout_backward: gradient(['dropoutBackward'], (s, e) => {
    const [y, mask] = native.dropout(s.rand(e.shapes.dy, 43), num(e, 'p'), 44, 0);
    s.keep(y);
    s.keep(mask);
    return native.dropoutBackward(s.rand(e.shapes.dy, 45), mask, num(e, 'p'));
  }),

  conv2d_forward: generated(['conv2d'], (s, e) =>
    native.conv2d(s.rand(e.shapes.x, 61), s.rand(e.shapes.w, 62), flag(e, 'bias') ? s.rand([e.shapes.w[0]], 63) : null, ...convParams(e)),
  ),
  conv2d_backward_input: gradient(['conv2dBackwardInput'], (s, e) =>
    native.conv2dBackwardInput(s.rand(convOut(e), 66), s.rand(e.shapes.w, 67), e.shapes.x, ...convParams(e)),
  ),
  conv2d_backward_weight: gradient(['conv2dBackwardWeight'], (s, e) =>
    native.conv2dBackwardWeight(s.rand(e.shapes.x, 68), s.rand(convOut(e), 69), e.shapes.w, ...convParams(e)),
  ),
  conv2d_backward_bias: gradient(['conv2dBackwardBias'], (s, e) => native.conv2dBackwardBias(s.rand(convOut(e), 70))),

  bias_act_forward: generated(['linearAct'], (s, e) =>
    native.linearAct(s.rand(e.shapes.x, 58), s.rand(e.shapes.w, 59), flag(e, 'bias') ? s.rand([e.shapes.w[0]], 60) : null, linearActOf(e)),
  ),
  bias_act_backward: gradient(['linearActBackward'], (s, e) => {
    const act = linearActOf(e);
    const x = s.rand(e.shapes.x, 70),
      w = s.rand(e.shapes.w, 71);
    // y from the op itself so relu's gate and sigmoid's and tanh's derivatives see real outputs.
    const y = s.keep(native.linearAct(x, w, s.rand([e.shapes.w[0]], 72), act));
    const dy = s.rand([e.shapes.x[0], e.shapes.w[0]], 73);
    return native
      .linearActBackward(x, w, act === 'none' ? null : y, dy, act, true, true, true)
      .filter((t): t is NativeTensor => t !== null);
  }),

  maxpool2d_forward: generated(['maxPool2d'], (s, e) => native.maxPool2d(s.rand(e.shapes.x, 81), ...poolParams(e))),
  maxpool2d_backward: gradient(['maxPool2dBackward'], (s, e) => {
    const [y, idx] = native.maxPool2d(s.rand(e.shapes.x, 82), ...poolParams(e));
    s.keep(y);
    s.keep(idx);
    return native.maxPool2dBackward(s.rand(y.shape, 83), idx, e.shapes.x, ...poolParams(e));
  }),
  avgpool2d_forward: generated(['avgPool2d'], (s, e) =>
    native.avgPool2d(s.rand(e.shapes.x, 84), ...poolParams(e), flag(e, 'count_include_pad')),
  ),
  avgpool2d_backward: gradient(['avgPool2dBackward'], (s, e) => {
    const y = s.keep(native.avgPool2d(s.rand(e.shapes.x, 84), ...poolParams(e), flag(e, 'count_include_pad')));
    return native.avgPool2dBackward(s.rand(y.shape, 85), e.shapes.x, ...poolParams(e), flag(e, 'count_include_pad'));
  }),
  adaptive_avgpool2d_forward: generated(['adaptiveAvgPool2d'], (s, e) =>
    native.adaptiveAvgPool2d(s.rand(e.shapes.x, 86), ...(e.params.out as [number, number])),
  ),
  adaptive_avgpool2d_backward: gradient(['adaptiveAvgPool2dBackward'], (s, e) => {
    const [n, c] = e.shapes.x;
    return native.adaptiveAvgPool2dBackward(s.rand([n, c, ...(e.params.out as number[])], 87), e.shapes.x);
  }),

  batchnorm_forward_train: generated(['batchNormTrain'], (s, e) => {
    const c = e.shapes.x[1];
    const [rm, rv] = flag(e, 'running') ? [s.rand([c], 91), s.rand([c], 92, 0.5, 2)] : [null, null];
    const out = native.batchNormTrain(s.rand(bnShape(e), 93, -2, 3), s.rand([c], 94), s.rand([c], 95), rm, rv, 0.1, 1e-5);
    return rm && rv ? [...out, rm, rv] : out;
  }),
  batchnorm_forward_eval: generated(['batchNormEval'], (s, e) => {
    const c = e.shapes.x[1];
    return native.batchNormEval(s.rand(bnShape(e), 96), s.rand([c], 97), s.rand([c], 98), s.rand([c], 99), s.rand([c], 100, 0.5, 2), 1e-5);
  }),
  batchnorm_backward: gradient(['batchNormBackward'], (s, e) => {
    const c = e.shapes.x[1];
    const x = s.rand(bnShape(e), 101, -2, 3);
    const g = s.rand([c], 102);
    const [y, mean, invstd] = native.batchNormTrain(x, g, s.rand([c], 103), null, null, 0.1, 1e-5);
    s.keep(y);
    s.keep(mean);
    s.keep(invstd);
    return native.batchNormBackward(x, s.rand(bnShape(e), 104), g, mean, invstd);
  }),

  unary: generated(['unary'], (s, e) =>
    native.unary(s.rand(e.shapes.x, 11, num(e, 'lo'), num(e, 'hi')), e.params.op as UnaryOpName, num(e, 'alpha'), num(e, 'beta')),
  ),
  unary_backward: gradient(['unaryBackward'], (s, e) => {
    const op = e.params.op as UnaryOpName;
    const x = s.rand(e.shapes.x, 12, num(e, 'lo'), num(e, 'hi'));
    const y = s.keep(native.unary(x, op, num(e, 'alpha'), num(e, 'beta')));
    return native.unaryBackward(x, y, s.rand(e.shapes.x, 13), op, num(e, 'alpha'), num(e, 'beta'));
  }),
  // Halves of small integers (ties for the comparisons); a positive exponent for pow.
  binary: generated(['binary'], (s, e) => {
    const op = e.params.op as BinaryOpName;
    const halves = (shape: number[], seed: number) =>
      s.f32(
        Array.from(randomArray(numel(shape), seed, -6, 7), (v) =>
          op === 'pow' && seed === 22 ? Math.abs(Math.floor(v)) / 2 + 0.25 : Math.floor(v) / 2,
        ),
        shape,
      );
    return native.binary(halves(e.shapes.a, 21), halves(e.shapes.b, 22), op);
  }),
  where: generated(['where'], (s, e) => {
    const c = s.keep(native.cast(s.rand(e.shapes.x, 35, 0, 2), 'uint8'));
    return native.where(c, s.rand(e.shapes.x, 36), s.rand(e.shapes.x, 37));
  }),

  reduce: generated(['reduce'], (s, e) => native.reduce(reduceInput(s, e), e.params.op as ReduceOpName, [1])),
  argmax: generated(['argmax'], (s, e) => native.argmax(reduceInput(s, e), 1, false)),
  squared_diff_reduce: generated(['squaredDiff'], (s, e) =>
    native.squaredDiff(s.rand(e.shapes.x, 130), s.rand(e.shapes.x, 131), e.params.op as 'sum' | 'mean'),
  ),
  softmax: generated(['softmax', 'logSoftmax'], (s, e) => softmaxOf(e)(softmaxInput(s, e), 1)),
  softmax_backward: gradient(['softmaxBackward', 'logSoftmaxBackward'], (s, e) => {
    const y = s.keep(softmaxOf(e)(softmaxInput(s, e), 1));
    const back = flag(e, 'log') ? native.logSoftmaxBackward : native.softmaxBackward;
    return back(y, s.rand(e.shapes.x, 111), 1);
  }),
  cross_entropy_forward: generated(['crossEntropy'], (s, e) => {
    const [n, c] = e.shapes.logits;
    return native.crossEntropy(logits(s, e), s.ints([n], 121, c), num(e, 'label_smoothing'));
  }),
  cross_entropy_backward: gradient(['crossEntropyBackward'], (s, e) => {
    const [n, c] = e.shapes.logits;
    const labels = s.ints([n], 121, c);
    const [loss, probs] = native.crossEntropy(logits(s, e), labels, num(e, 'label_smoothing'));
    s.keep(loss);
    s.keep(probs);
    return native.crossEntropyBackward(probs, labels, s.rand([n], 122, 0.1, 1), num(e, 'label_smoothing'));
  }),

  index_select: generated(['indexSelect'], (s, e) =>
    native.indexSelect(s.rand(e.shapes.x, 131), 1, s.ints([num(e, 'nidx')], 132, e.shapes.x[1])),
  ),
  index_add: gradient(['indexAdd'], (s, e) =>
    native.indexAdd(s.rand(e.shapes.x, 133), 1, s.ints([num(e, 'nidx')], 134, e.shapes.x[1]), s.rand(idxShape(e), 135)),
  ),
  gather: generated(['gather'], (s, e) => native.gather(s.rand(e.shapes.x, 136), 1, s.ints(idxShape(e), 137, e.shapes.x[1]))),
  scatter_add: gradient(['scatterAdd'], (s, e) =>
    native.scatterAdd(s.rand(e.shapes.x, 138), 1, s.ints(idxShape(e), 139, e.shapes.x[1]), s.rand(idxShape(e), 140)),
  ),
  one_hot: generated(['oneHot'], (s, e) => native.oneHot(s.ints(e.shapes.labels, 141, num(e, 'classes')), num(e, 'classes'))),

  // A rotation by 20 degrees with scale 1.1 and a shift, then perspective warps.
  warp_perspective: generated(['warpPerspective'], (s, e) => {
    const [n] = e.shapes.x;
    const c = 1.1 * Math.cos(0.349),
      sn = 1.1 * Math.sin(0.349);
    const mats = [c, -sn, 1.5, sn, c, -0.75, 0, 0, 1];
    for (let i = 1; i < n; i++) mats.push(0.9, 0.1, 0.5, -0.05, 1.2, 0.3, 0.02, -0.03, 1);
    const [oh, ow] = e.params.out as number[];
    return native.warpPerspective(s.rand(e.shapes.x, 181, 0, 1), s.f32(mats, [n, 3, 3]), oh, ow, num(e, 'fill'));
  }),
  resize_bilinear: generated(['resizeBilinear'], (s, e) =>
    native.resizeBilinear(s.rand(e.shapes.x, 184), ...(e.params.out as [number, number])),
  ),
  brightness: generated(['brightness'], (s, e) => {
    const [n] = e.shapes.x;
    return native.brightness(
      s.rand(e.shapes.x, 185, 0, 1),
      s.rand([n], 186, 0.5, 1.8),
      s.rand([n], 187, -0.2, 0.2),
      num(e, 'lo'),
      num(e, 'hi'),
    );
  }),

  pairwise_sqdist: generated(['pairwiseSqDist'], (s, e) => native.pairwiseSqDist(s.rand(e.shapes.a, 151), s.rand(e.shapes.b, 152))),
  knn_exact: generated(['knnExact'], (s, e) => {
    const bytes = (shape: number[], seed: number) => s.keep(native.cast(s.rand(shape, seed, 0, num(e, 'values')), 'uint8'));
    return native.knnExact(
      bytes(e.shapes.train, num(e, 'seed')),
      bytes(e.shapes.queries, num(e, 'seed') + 1),
      num(e, 'k'),
      num(e, 'proj_dim'),
    );
  }),
  topk: generated(['topk'], (s, e) => native.topk(s.rand(e.shapes.x, 153), num(e, 'k'), flag(e, 'largest'))),

  stft: generated(['stft', 'powerSpectrogram'], (s, e) =>
    (flag(e, 'power') ? native.powerSpectrogram : native.stft)(s.rand(e.shapes.x, 191), num(e, 'n_fft'), num(e, 'hop'), flag(e, 'center')),
  ),
  mel_filterbank: generated(['melFilterbank'], (s, e) =>
    native.melFilterbank(e.shapes.fb[0], e.shapes.fb[1], num(e, 'sample_rate'), num(e, 'f_min'), num(e, 'f_max'), s.device),
  ),
  power_to_db: generated(['powerToDb'], (s, e) => {
    const x = randomArray(numel(e.shapes.x), 196, 0, 2);
    for (let i = 0; i < x.length; i += 7) x[i] *= 1e-9; // below amin, deep in the floor
    return native.powerToDb(s.f32(x, e.shapes.x), num(e, 'amin'), num(e, 'top_db'));
  }),
};

/** The table's entries the addon suite runs, as conformance cases. */
export const tableCases: ConformanceCase[] = caseTable
  .filter((e) => e.only !== 'kernels')
  .map((e) => {
    const r = runners[e.op];
    if (!r) throw new Error(`conformance table: no addon runner for op '${e.op}' (${e.name})`);
    return { name: `${e.op}/${e.name}`, ops: r.ops, grad: r.grad, tol: tolerances[e.tol].nmse, run: (s: Session) => r.run(s, e) };
  });
