// The case table: every CUDA-vs-CPU case as {op, name, shapes, params, tolerance}, read by both
// test suites that compare a device with the CPU backend:
//  - the TypeScript conformance suite (runners.ts: the addon on a device against the CPU, also
//    `nnlab selftest`);
//  - the C++ kernel tests (cuda/sim/kernel_tests/: the CUDA backend compiled over the simulator,
//    under ThreadSanitizer and on fibers), which read this table as JSON (tableJson(), written
//    next to their build by test/cuda-kernels.test.ts).
// `op` is the backend kernel's name in native/ops.def; each side has one runner per op that
// turns shapes and params into a call with seeded inputs. A new case of an existing op is one
// entry here; a new op is one entry plus its runner on each side.

/** How a device's outputs must agree with the CPU's, in both suites' terms. */
export interface ToleranceSpec {
  /** The TypeScript suite: 'exact' bits, or the largest sum((a-b)^2)/sum(b^2) (NMSE). */
  nmse: 'exact' | number;
  /** The C++ suite, per element: |got - want| <= rtol*|want| + atol_scale*max|want|. */
  rtol: number;
  atol_scale: number;
}

export const tolerances = {
  // Moves, integers, comparisons, correctly rounded arithmetic, RNG streams.
  exact: { nmse: 'exact', rtol: 0, atol_scale: 0 },
  // Per-element float math through the device libm (a few ulps) or a vectorised CPU path.
  elementwise: { nmse: 1e-10, rtol: 2e-6, atol_scale: 1e-7 },
  // Sums whose order differs between a block tree / tiled kernel and the CPU's loops: a dot
  // product of length K rounds with relative error ~K*eps, so NMSE stays near eps^2*K.
  accumulate: { nmse: 1e-9, rtol: 1e-5, atol_scale: 2e-6 },
  // The CUDA STFT is a direct DFT and the CPU's an FFT: sums of n_fft terms in another order.
  spectral: { nmse: 1e-9, rtol: 1e-4, atol_scale: 1e-5 },
  // The CPU takes the logarithm with its own vectorised polynomial, the GPU with log10f.
  decibels: { nmse: 1e-10, rtol: 1e-5, atol_scale: 1e-6 },
  // Box-Muller through logf/sinf/cosf: the simulator uses the host libm on both sides, so the
  // kernel tests demand equal bits; a GPU's math library may differ in the last bit
  // (docs/cuda.md), which the addon suite, also run on real GPUs, allows.
  normal: { nmse: 1e-12, rtol: 0, atol_scale: 0 },
  // Bilinear sampling is continuous in the source coordinate, but the fill value outside the
  // image is not: a coordinate within an ulp of the border may land on either side.
  warp: { nmse: 1e-6, rtol: 2e-6, atol_scale: 1e-7 },
} as const satisfies Record<string, ToleranceSpec>;
export type ToleranceClass = keyof typeof tolerances;

export type Param = number | boolean | string | number[];

export interface TableEntry {
  /** The backend kernel (native/ops.def). */
  op: string;
  /** Unique within the op; the case is called `${op}/${name}`. */
  name: string;
  shapes: Record<string, number[]>;
  params: Record<string, Param>;
  tol: ToleranceClass;
  /**
   * Set when one suite cannot run the entry, with the reason in a comment beside it: 'kernels'
   * for backend-level layouts the addon does not expose, or sizes only the C++ driver runs.
   */
  only?: 'kernels' | 'addon';
}

type Shapes = TableEntry['shapes'];
type Params = TableEntry['params'];
const e = (op: string, name: string, tol: ToleranceClass, shapes: Shapes, params: Params = {}, only?: TableEntry['only']): TableEntry => ({
  op,
  name,
  shapes,
  params,
  tol,
  ...(only ? { only } : {}),
});

// n = 2600 is more than the simulator's grid (8 blocks x 256 threads), so grid-stride loops take
// a second pass; the other sizes are odd so the last warp is partly idle.
const memory: TableEntry[] = [
  e('fill_f32', 'n2600', 'exact', { y: [2600] }, { value: -2.75 }),
  e('fill_i32', 'n97', 'exact', { y: [97] }, { value: -123456 }),
  e('arange_f32', 'n331', 'exact', { y: [331] }, { start: -3.5, step: 0.37 }),
  // Every cast between float32, int32 and uint8 (uint8 -> float32 scaled by 1/255).
  ...['f32', 'i32', 'u8'].flatMap((from) =>
    ['f32', 'i32', 'u8'].map((to) => e('cast', `${from}_to_${to}`, 'exact', { x: [301] }, { from, to })),
  ),
  e('byte_table', 'n2600', 'exact', { x: [2600] }),
  // A permute of a [3, 5, 7] slice starting at element 4 of its storage into a [7, 3, 6]
  // destination from element 2: offsets on both sides, no axis contiguous on the source.
  ...['i32', 'u8'].map((dtype) =>
    e(
      'strided_copy',
      dtype,
      'exact',
      { src: [109], dst: [128], view: [7, 3, 5] },
      { dtype, src_strides: [1, 35, 7], src_offset: 4, dst_strides: [18, 6, 1], dst_offset: 2 },
      'kernels',
    ),
  ),
  e('rand_uniform', 'n2600', 'exact', { y: [2600] }, { seed: 1234, offset: 17, lo: -0.5, hi: 2 }),
  e('rand_normal', 'n203', 'normal', { y: [203] }, { seed: 99, offset: 3, mean: 0.5, std: 2 }),
  e('rand_bernoulli', 'n203', 'exact', { y: [203] }, { seed: 7, offset: 0, p: 0.3 }),
  // 37 keys pad to a 64-key bitonic network (the padding fill and 21 sorting steps).
  e('rand_permutation', 'n37', 'exact', { y: [37] }, { seed: 42, offset: 5 }),
  // 203: not a multiple of 4, the last Philox block is partial.
  e('dropout', 'n203', 'exact', { x: [203] }, { p: 0.3, seed: 2024, offset: 11 }),
  e('dropout_backward', 'n203', 'exact', { dy: [203] }, { p: 0.3 }),
];

// GEMM shapes span more than one 32x32 tile and more than one 16-deep K slab, with ragged edges.
// pad_ld pads every leading dimension (the addon's matmul has none: kernels only).
const gemm = (
  name: string,
  ta: boolean,
  tb: boolean,
  m: number,
  n: number,
  k: number,
  pad_ld: number,
  alpha: number,
  beta: number,
  batch: number,
) => e('gemm', name, 'accumulate', { mnk: [m, n, k] }, { trans_a: ta, trans_b: tb, pad_ld, alpha, beta, batch }, 'kernels');

// A convolution: x [N, C, H, W], w [K, C/groups, R, S]; stride, padding, dilation as [h, w].
const conv = (name: string, x: number[], w: number[], stride: number[], pad: number[], dilation: number[], groups: number) => ({
  shapes: { x, w },
  params: { stride, pad, dilation, groups },
  name,
});
const convOps = (c: ReturnType<typeof conv>, bias: boolean) => [
  e('conv2d_forward', c.name, 'accumulate', c.shapes, { ...c.params, bias }),
  e('conv2d_backward_input', c.name, 'accumulate', c.shapes, c.params),
  e('conv2d_backward_weight', c.name, 'accumulate', c.shapes, c.params),
  ...(bias ? [e('conv2d_backward_bias', c.name, 'accumulate', c.shapes, c.params)] : []),
];

// The fused linear layer (act(x @ w^T + b)): its bias-and-activation pass over the GEMM output
// [rows = x[0], cols = w[0]] and that pass's backward, for every activation. The addon reaches the
// kernels through linearAct / linearActBackward (a GEMM around them), hence 'accumulate'.
const linearAct: TableEntry[] = (['none', 'relu', 'sigmoid', 'tanh'] as const).flatMap((act) => [
  e('bias_act_forward', `${act}_bias`, 'accumulate', { x: [37, 29], w: [43, 29] }, { act, bias: true }),
  e('bias_act_forward', act, 'accumulate', { x: [37, 29], w: [43, 29] }, { act, bias: false }),
  e('bias_act_backward', act, 'accumulate', { x: [37, 29], w: [43, 29] }, { act, bias: false }),
  // With the bias gradient, over more rows than one of reduce's 256-row blocks and more columns
  // than one of its 512-column chunks (the CPU sums them in the activation's sweep).
  e('bias_act_backward', `${act}_bias`, 'accumulate', { x: [600, 3], w: [530, 3] }, { act, bias: true }),
]);

const linalg: TableEntry[] = [
  gemm('plain', false, false, 37, 45, 23, 0, 1, 0, 1),
  gemm('trans_a', true, false, 37, 45, 23, 3, 1, 0, 1),
  gemm('trans_b', false, true, 37, 45, 23, 1, 1, 0, 1),
  gemm('trans_ab_alpha_beta', true, true, 33, 19, 41, 2, 0.5, -1.5, 1),
  gemm('batched', false, false, 19, 21, 35, 1, 1, 0, 3),
  gemm('batched_trans_b_beta', false, true, 7, 40, 17, 0, -2, 1, 2),
  // Strided, padded, dilated, grouped, with bias; a plain 3x3 "same" convolution without.
  ...convOps(conv('strided_grouped', [2, 4, 7, 6], [6, 2, 3, 2], [2, 1], [1, 0], [1, 2], 2), true),
  ...convOps(conv('same_3x3', [3, 3, 5, 5], [5, 3, 3, 3], [1, 1], [1, 1], [1, 1], 1), false),
  ...convOps(conv('groups3_s2x1_p1x2_d1x2', [2, 3, 11, 13], [6, 1, 3, 3], [2, 1], [1, 2], [1, 2], 3), true),
  ...convOps(conv('dense_5_to_7_p1', [3, 5, 9, 10], [7, 5, 3, 3], [1, 1], [1, 1], [1, 1], 1), false),
  // The seed CNN's conv1 stacked for 3 members (one input channel per group) on 2 images, then
  // 2x2 max pooling: the backend's fused kernel where it has one, else core/conv_pool.cpp.
  // conv2d_maxpool_forward_relu: without indices (inference) and with relu applied to the pooled values.
  ...['conv2d_maxpool_forward', 'conv2d_maxpool_forward_relu', 'conv2d_maxpool_backward'].map((op) =>
    e(op, 'stacked_first_layer', 'accumulate', { x: [2, 3, 28, 28], w: [24, 1, 3, 3] }, { groups: 3 }, 'kernels'),
  ),
];

// Pooling over x [N, C, H, W] with a window, stride and padding as [h, w]; max pooling's forward
// (values and indices) is exact, its backward adds overlapping windows' gradients.
const pool = (op: string, name: string, x: number[], kernel: number[], stride: number[], pad: number[], count_include_pad = true) =>
  e(op, name, op === 'maxpool2d_forward' ? 'exact' : 'accumulate', { x }, { kernel, stride, pad, count_include_pad });
const poolNorm: TableEntry[] = [
  ...['maxpool2d_forward', 'maxpool2d_backward'].flatMap((op) => [
    pool(op, '3x2_s2x3_p1', [2, 3, 7, 9], [3, 2], [2, 3], [1, 1]), // overlapping windows, padding on both axes
    pool(op, '2x2_s2', [1, 2, 9, 8], [2, 2], [2, 2], [0, 0]),
    pool(op, '3x3_s2_p1_11x9', [2, 3, 11, 9], [3, 3], [2, 2], [1, 1]),
  ]),
  ...['avgpool2d_forward', 'avgpool2d_backward'].flatMap((op) =>
    [true, false].flatMap((cip) => [
      pool(op, `3x3_s2_p1_${cip ? '' : 'no_'}count_pad`, [2, 3, 7, 9], [3, 3], [2, 2], [1, 1], cip),
      pool(op, `3x2_s2_p1_11x9_${cip ? '' : 'no_'}count_pad`, [2, 3, 11, 9], [3, 2], [2, 2], [1, 1], cip),
    ]),
  ),
  ...['adaptive_avgpool2d_forward', 'adaptive_avgpool2d_backward'].flatMap((op) => [
    e(op, '7x9_to_3x4', 'accumulate', { x: [2, 3, 7, 9] }, { out: [3, 4] }),
    e(op, '3x4_to_5x3', 'accumulate', { x: [1, 3, 3, 4] }, { out: [5, 3] }), // overlapping bins
    e(op, '11x9_to_4x3', 'accumulate', { x: [2, 3, 11, 9] }, { out: [4, 3] }),
  ]),
  // 300 elements per channel: a full 256-thread block with strided loops; and BatchNorm1d
  // (hw = 1) without running statistics.
  ...[
    { name: '4x3x75', x: [4, 3, 75], running: true },
    { name: '9x5x7', x: [9, 5, 7], running: true },
    { name: '5x3x63', x: [5, 3, 63], running: true },
    { name: '1d_11x4_no_running', x: [11, 4, 1], running: false },
  ].flatMap(({ name, x, running }) => [
    e('batchnorm_forward_train', name, 'accumulate', { x }, { running }),
    e('batchnorm_forward_eval', name, 'elementwise', { x }),
    e('batchnorm_backward', name, 'accumulate', { x }),
  ]),
];

// Input domains where each unary op is defined (and interesting), and its alpha/beta.
const unaryOps: [string, number, number, number?, number?][] = [
  ['neg', -3, 3],
  ['exp', -5, 5],
  ['log', 0.05, 4],
  ['log1p', -0.9, 4],
  ['sqrt', 0.05, 4],
  ['rsqrt', 0.05, 4],
  ['abs', -3, 3],
  ['sign', -3, 3],
  ['square', -3, 3],
  ['reciprocal', 0.1, 3],
  ['sin', -6, 6],
  ['cos', -6, 6],
  ['relu', -3, 3],
  ['leakyRelu', -3, 3, 0.1],
  ['elu', -3, 3, 1.3],
  ['sigmoid', -12, 12],
  ['tanh', -5, 5],
  ['gelu', -4, 4],
  ['softplus', -25, 25],
  ['affine', -3, 3, 1.7, -0.3],
  ['pow', 0.1, 3, 2.5],
  ['clamp', -3, 3, -0.5, 0.6],
];
const binaryOps = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'];
// Layouts the backend launches differently: general broadcasting ([3, 1, 5] with [4, 1]),
// same shape with more elements than the simulated grid has threads, and an operand scalar.
const binaryLayouts: [string, number[], number[]][] = [
  ['broadcast', [3, 1, 5], [4, 1]],
  ['flat', [2600], [2600]],
  ['scalar', [5, 7], []],
];

const elementwise: TableEntry[] = [
  ...unaryOps.flatMap(([op, lo, hi, alpha = 0, beta = 0]) =>
    ['unary', 'unary_backward'].map((kernel) =>
      e(kernel, op, 'elementwise', { x: [op === 'affine' ? 2600 : 157] }, { op, lo, hi, alpha, beta }),
    ),
  ),
  ...binaryLayouts.flatMap(([layout, a, b]) => binaryOps.map((op) => e('binary', `${layout}_${op}`, 'elementwise', { a, b }, { op }))),
  e('where', 'n157', 'exact', { x: [157] }),
];

// dim 300 > 256 threads: every thread strides over the row, all 8 warps join the tree, and the
// column kernel crosses its 256-row partial sums. "_nan_inf" inputs hold a NaN and a -inf row.
// Shapes are [outer, dim, inner], reduced over dim.
const reduceShapes: [string, number[]][] = [
  ['rows_5x300', [5, 300, 1]],
  ['rows_7x37', [7, 37, 1]],
  ['cols_3x7x11', [3, 7, 11]],
  ['cols_2x300x3', [2, 300, 3]],
];
const softmaxShapes: [string, number[]][] = [
  ['rows_4x67', [4, 67, 1]],
  ['rows_7x41', [7, 41, 1]],
  ['cols_5x37x3', [5, 37, 3]],
  ['rows_3x300', [3, 300, 1]],
  ['cols_3x5x7', [3, 5, 7]],
];
const rows: TableEntry[] = [
  ...reduceShapes.flatMap(([name, x]) => [
    ...['sum', 'mean', 'max', 'min'].flatMap((op) =>
      [false, true]
        .filter((specials) => !specials || op === 'max' || op === 'sum')
        .map((specials) => e('reduce', `${op}_${name}${specials ? '_nan_inf' : ''}`, 'accumulate', { x }, { op, specials })),
    ),
    ...[false, true].map((specials) => e('argmax', `${name}${specials ? '_nan_inf' : ''}`, 'exact', { x }, { specials })),
  ]),
  // An empty reduced axis: sums are 0, means NaN.
  ...['sum', 'mean'].map((op) => e('reduce', `${op}_rows_3x0`, 'exact', { x: [3, 0, 1] }, { op, specials: false })),
  // mseLoss's forward: the difference and its squares reduced, over one and several of the CPU's
  // 8192-element blocks (with a tail past the last 16 lanes), and over nothing (sum 0, mean NaN).
  ...['sum', 'mean'].flatMap((op) =>
    [
      ['37', [37]],
      ['3x5000', [3, 5000]],
      ['0', [0]],
    ].map(([name, x]) => e('squared_diff_reduce', `${op}_${name as string}`, 'accumulate', { x: x as number[] }, { op })),
  ),
  ...softmaxShapes.flatMap(([name, x]) =>
    [false, true].flatMap((log) => [
      e('softmax', `${log ? 'log_' : ''}${name}`, 'accumulate', { x }, { log }),
      e('softmax_backward', `${log ? 'log_' : ''}${name}`, 'accumulate', { x }, { log }),
    ]),
  ),
  // Attention-style masks: -inf in every line, and one line masked entirely (0/0: NaN).
  ...softmaxShapes
    .filter(([name]) => name === 'rows_4x67' || name === 'cols_3x5x7')
    .flatMap(([name, x]) =>
      [false, true].map((log) => e('softmax', `${log ? 'log_' : ''}masked_${name}`, 'accumulate', { x }, { log, masked: true })),
    ),
  // A dominant logit (the max subtraction must keep exp finite), label smoothing, a NaN row (the
  // addon refuses non-finite logits with a ValueError before the kernel: kernels only).
  ...[
    { name: '5x37', x: [5, 37], ls: 0 },
    { name: '5x37_smooth', x: [5, 37], ls: 0.1 },
    { name: '13x11_smooth', x: [13, 11], ls: 0.1 },
    { name: '3x300_smooth', x: [3, 300], ls: 0.2 },
    { name: '4x10_nan_row', x: [4, 10], ls: 0, nan_row: true },
  ].flatMap(({ name, x, ls, nan_row = false }) => [
    e('cross_entropy_forward', name, 'accumulate', { logits: x }, { label_smoothing: ls, nan_row }, nan_row ? 'kernels' : undefined),
    e('cross_entropy_backward', name, 'elementwise', { logits: x }, { label_smoothing: ls }),
  ]),
];

// [outer, dim, inner] with nidx indices; nidx > dim, so the accumulating ops add several terms
// into one element.
const indexShapes: [string, number[], number][] = [
  ['3x7x5_n9', [3, 7, 5], 9],
  ['4x6x1_n11', [4, 6, 1], 11],
  ['4x9x5_n13', [4, 9, 5], 13],
  ['6x11x1_n4', [6, 11, 1], 4], // fewer indices than the axis: gather's usual use
];
// Parameter tensors of a fused optimizer step: odd sizes, one of them empty, more elements in all
// than the simulated grid has threads (tensors straddle blocks and grid-stride passes).
const params = [37, 0, 2301, 5];
// Parameter slots (several tensors updated in one launch) are a backend-level layout: the
// optimizer entries are kernels only; the addon's sgdStep/adamStep/emaUpdate have their own cases.
const index: TableEntry[] = [
  ...indexShapes.flatMap(([name, x, nidx]) =>
    (
      [
        ['index_select', 'exact'],
        ['index_add', 'accumulate'],
        ['gather', 'exact'],
        ['scatter_add', 'accumulate'],
      ] as const
    ).map(([op, tol]) => e(op, name, tol, { x }, { nidx })),
  ),
  e('one_hot', '13x11', 'exact', { labels: [13] }, { classes: 11 }),
  ...(
    [
      ['plain', 0.1, 0, 0, 0, false, false],
      ['momentum_first_step_wd', 0.05, 0.9, 0, 1e-2, false, true],
      ['momentum_dampening', 0.05, 0.9, 0.1, 0, false, false],
      ['nesterov_wd', 0.05, 0.9, 0, 5e-3, true, false],
    ] as const
  ).map(([name, lr, momentum, dampening, weight_decay, nesterov, first_step]) =>
    e('sgd_step', name, 'elementwise', { params }, { lr, momentum, dampening, weight_decay, nesterov, first_step }, 'kernels'),
  ),
  ...(
    [
      ['adam_step1', 1e-3, 0.9, 0.999, 1e-8, 0, false, 1],
      ['adam_wd_step7', 1e-2, 0.8, 0.99, 1e-6, 1e-2, false, 7],
      ['adamw_step3', 1e-2, 0.9, 0.999, 1e-8, 5e-2, true, 3],
    ] as const
  ).map(([name, lr, beta1, beta2, eps, weight_decay, decoupled, step]) =>
    e('adam_step', name, 'elementwise', { params }, { lr, beta1, beta2, eps, weight_decay, decoupled, step }, 'kernels'),
  ),
  // The weight average: slot.param is the average, slot.grad the live weight.
  e('ema_update', 'decay_0.998', 'elementwise', { params }, { decay: 0.998 }, 'kernels'),
  // Image 0: rotation by 20 degrees, scale 1.1 and a shift; image 1: a perspective warp. Both
  // send some output pixels outside the source (they read the fill value).
  e('warp_perspective', 'rotate_and_perspective', 'warp', { x: [2, 3, 9, 11] }, { out: [7, 8], fill: -1 }),
  e('resize_bilinear', 'down_9x11_to_5x4', 'warp', { x: [2, 3, 9, 11] }, { out: [5, 4] }),
  e('warp_perspective', '2x3x9x11_to_8x10', 'warp', { x: [2, 3, 9, 11] }, { out: [8, 10], fill: 0 }),
  e('resize_bilinear', 'up_5x4_to_9x11', 'warp', { x: [1, 2, 5, 4] }, { out: [9, 11] }),
  e('resize_bilinear', 'mixed_9x11_to_14x5', 'warp', { x: [2, 3, 9, 11] }, { out: [14, 5] }),
  e('brightness', '3x2x5x7', 'elementwise', { x: [3, 2, 5, 7] }, { lo: 0, hi: 1 }),
  e('brightness', '2x3x9x11', 'elementwise', { x: [2, 3, 9, 11] }, { lo: 0, hi: 1 }),
];

// knn_exact on n train rows and m queries of dim bytes in [0, values): the CUDA kernel searches
// exhaustively, the CPU prunes with a proj_dim-D projection when proj_dim > 0 (and n >= 32,
// 2*proj_dim <= dim), so a case with proj_dim > 0 also checks that pruning changes nothing.
const knn = (n: number, m: number, dim: number, k: number, values: number, proj_dim: number, seed: number) =>
  e(
    'knn_exact',
    `n${n}_m${m}_d${dim}_k${k}_values${values}${proj_dim ? `_proj${proj_dim}` : ''}`,
    'exact',
    { train: [n, dim], queries: [m, dim] },
    { k, values, proj_dim, seed },
  );
const knnCases: TableEntry[] = [
  // A zero distance (clamped at 0): row 0 of b repeats row 0 of a.
  e('pairwise_sqdist', '13x17x7', 'accumulate', { a: [13, 7], b: [17, 7] }),
  e('pairwise_sqdist', '19x23x13', 'accumulate', { a: [19, 13], b: [23, 13] }),
  ...[false, true].flatMap((largest) => [
    e('topk', `9x23_k5_${largest ? 'largest' : 'smallest'}`, 'exact', { x: [9, 23] }, { k: 5, largest }),
    e('topk', `7x61_k5_${largest ? 'largest' : 'smallest'}`, 'exact', { x: [7, 61] }, { k: 5, largest }),
  ]),
  // Values in [0, 3): few distinct distances, so ties at the k-th place are everywhere.
  ...[1, 3, 7, 37].map((k) => knn(37, 11, 6, k, 3, 0, 170 + k)),
  knn(70, 45, 24, 5, 256, 4, 180), // full-range bytes, more queries than a warp, pruned CPU
  knn(70, 45, 24, 3, 2, 4, 181), // binary rows: heavy ties, pruned CPU
  knn(5, 3, 0, 2, 1, 0, 182), // zero-length rows: every distance 0
  knn(57, 9, 49, 3, 256, 0, 154),
];

const stft = (name: string, x: number[], n_fft: number, hop: number, center: boolean, frames_major = false) =>
  [false, true].map((power) =>
    e(
      'stft',
      `${name}_${power ? 'power' : 'complex'}`,
      'spectral',
      { x },
      { n_fft, hop, center, frames_major, power },
      frames_major ? 'kernels' : undefined,
    ),
  );
const spectral: TableEntry[] = [
  ...stft('n400_hop200_centred', [2, 1001], 400, 200, true), // 6 frames: pairs on the CPU
  ...stft('n97_hop31_uncentred', [1, 300], 97, 31, false), // prime length, 7 frames
  ...stft('n12_hop5_centred', [3, 41], 12, 5, true), // radix 4 x 3, 9 frames
  ...stft('n64_hop16_centred', [2, 301], 64, 16, true),
  ...stft('n50_hop13_uncentred', [1, 301], 50, 13, false),
  // The layout melSpectrogram projects with one GEMM (internal to the addon: kernels only).
  ...stft('n400_hop200_frames_major', [2, 1001], 400, 200, true, true),
  e('mel_filterbank', 'htk_8k', 'elementwise', { fb: [201, 128] }, { sample_rate: 8000, f_min: 0, f_max: 4000 }),
  e('mel_filterbank', 'htk_16k_band', 'elementwise', { fb: [49, 20] }, { sample_rate: 16000, f_min: 50, f_max: 3000 }),
  // Some inputs below amin and deep in the floor.
  ...[0, 30, 60].map((top_db) =>
    e('power_to_db', top_db ? `top_db${top_db}` : 'plain', 'decibels', { x: [3, 517] }, { amin: 1e-10, top_db }),
  ),
];

// A GPU's grid sizes. The simulator normally caps grid-stride kernels at 8 blocks (it pays per
// simulated thread); with NNLAB_SIM_MAX_BLOCKS=8192 these launch thousands of blocks, so index
// arithmetic that only goes wrong past the first few blocks is exercised. Kernels only: the
// addon suite would pay seconds per case on the simulator for nothing new.
const GRID = 256 * 3000 + 7; // 3000 blocks of 256 threads plus a partial one
const grid: TableEntry[] = [
  e('arange_f32', 'grid', 'exact', { y: [GRID] }, { start: -7.5, step: 0.013 }, 'kernels'),
  e('rand_uniform', 'grid', 'exact', { y: [GRID] }, { seed: 99, offset: 5, lo: -1, hi: 3 }, 'kernels'),
  e('softmax', 'grid_rows_4001x37', 'elementwise', { x: [4001, 37, 1] }, { log: false }, 'kernels'), // a block per row
];

export const caseTable: readonly TableEntry[] = [
  ...memory,
  ...linalg,
  ...linearAct,
  ...poolNorm,
  ...elementwise,
  ...rows,
  ...index,
  ...knnCases,
  ...spectral,
  ...grid,
];

/** The table as the C++ kernel tests read it. */
export function tableJson(): string {
  return JSON.stringify({ tolerances, cases: caseTable }, null, 1) + '\n';
}
