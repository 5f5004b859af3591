// Class maximisation (seed 001, section 3): gradient ascent on the pixels of an image toward a
// target class, x <- clip(x - lr * d loss / d x, lo, hi), with the report's two losses:
//   naive: loss = -p_t(x); its gradient is p_t * grad log p_t, so it vanishes with p_t on a start
//          the model confidently puts in another class (the stall the report observed);
//   log:   loss = -log(p_t(x) + 1e-10), whose gradient is normalised by its L2 norm, so each step
//          moves the image by lr in L2 whatever p_t is.
// Images are optimised as one batch, each with its own target, steps and stopping point; the model
// must take pixels (wrap a normalising model in attacks' PixelSpaceModel).
import { backward, isGradEnabled } from '../core/autograd/engine.js';
import { ArgumentError, DTypeError, ShapeError, ValueError } from '../core/errors.js';
import * as ops from '../core/ops/index.js';
import { tidy } from '../core/scope.js';
import { shapeStr, Tensor } from '../core/tensor.js';
import type { Module } from '../nn/module.js';
import { checkRange, withFrozenModel } from '../attacks/input-gradient.js';

export type ClassMaxLoss = 'naive' | 'log';

/** The report's epsilon inside the log loss. */
export const LOG_LOSS_EPS = 1e-10;

export interface ClassMaxOptions {
  /** Target class of each image (length N). */
  targets: ArrayLike<number>;
  /** Default 'log'. */
  loss?: ClassMaxLoss;
  /** Step size: in L2 pixel units when the gradient is normalised, a plain multiplier otherwise. Default 0.1. */
  lr?: number;
  /** Divide the gradient by its L2 norm (+1e-10). Default: true for the log loss, false for the naive one (the report's setting). */
  normalize?: boolean;
  /** Gradient steps at most per image. Default 200. */
  maxSteps?: number;
  /** An image stops once p_target >= this. Default 0.99. */
  targetProb?: number;
  /** An image stops once its loss gradient's L2 norm < this (the report's criterion). Default 1e-12. */
  gradTol?: number;
  /** Valid pixel range the images are clipped to. Default [0, 1]. */
  range?: readonly [number, number];
}

export type StopReason = 'prob' | 'grad' | 'steps';

export interface ClassMaxResult {
  /** The optimised images, same shape and device as the input. */
  images: Tensor;
  /** p_target before the first step and at the end, per image. */
  pInitial: Float32Array;
  pFinal: Float32Array;
  /** Gradient steps taken per image. */
  steps: Int32Array;
  stopReason: StopReason[];
  /** Per image: p_target at every evaluation (steps + 1 values) and the loss gradient's L2 norm at each (same length). */
  pHistory: number[][];
  gradNormHistory: number[][];
}

export interface TargetGradient {
  /** d loss / d x, row-major like x. */
  grad: Float32Array;
  /** p_target per image. */
  p: Float32Array;
  /** L2 norm of each image's gradient. */
  gradNorm: Float64Array;
}

function checkTargets(targets: ArrayLike<number>, n: number, classes: number, op: string): void {
  if (targets.length !== n) throw new ShapeError(`${op}: ${targets.length} targets for ${n} images; expected one target per image`);
  for (let i = 0; i < n; i++) {
    const t = targets[i];
    if (!(Number.isInteger(t) && t >= 0 && t < classes))
      throw new ArgumentError(`${op}: target ${i} is ${t}; expected a class index in [0, ${classes})`);
  }
}

/**
 * The loss gradient of each image toward its target (losses summed over the batch, so each image
 * gets its own gradient: the model must treat images independently, as in eval mode).
 */
export function targetGradient(model: Module, x: Tensor, targets: ArrayLike<number>, loss: ClassMaxLoss): TargetGradient {
  if (x.dtype !== 'float32') throw new DTypeError(`targetGradient: images must be float32, got ${x.dtype}`);
  if (x.ndim < 2) throw new ShapeError(`targetGradient: images must be a batch [N, ...], got ${shapeStr(x.shape)}`);
  if (!isGradEnabled()) throw new ArgumentError('targetGradient: called inside noGrad(); class maximisation needs the graph');
  const n = x.shape[0];
  return tidy(() => {
    const leaf = ops.clone(ops.detach(x)).requiresGrad_(true);
    const logits = model.forward(leaf);
    if (logits.ndim !== 2 || logits.shape[0] !== n)
      throw new ShapeError(
        `targetGradient: the model maps images ${shapeStr(x.shape)} to ${shapeStr(logits.shape)}; expected class scores [${n}, classes]`,
      );
    const classes = logits.shape[1];
    checkTargets(targets, n, classes, 'targetGradient');
    const oneHot = new Float32Array(n * classes);
    for (let i = 0; i < n; i++) oneHot[i * classes + targets[i]] = 1;
    const logP = ops.sum(ops.mul(ops.logSoftmax(logits, 1), ops.tensor(oneHot, [n, classes], { device: x.device })), 1);
    const p = ops.exp(logP);
    const l = loss === 'naive' ? ops.neg(ops.sum(p)) : ops.neg(ops.sum(ops.log(ops.add(p, LOG_LOSS_EPS))));
    const v = l.item();
    if (!Number.isFinite(v))
      throw new ValueError(`targetGradient: the ${loss} loss is ${v} on images ${shapeStr(x.shape)}; the model's outputs are not finite`);
    backward(l);
    const grad = Float32Array.from(leaf.grad!.data() as Float32Array);
    leaf.grad!.dispose();
    leaf.grad = null;
    const dim = grad.length / n;
    const gradNorm = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = i * dim; j < (i + 1) * dim; j++) s += grad[j] * grad[j];
      gradNorm[i] = Math.sqrt(s);
    }
    return { grad, p: Float32Array.from(p.data() as Float32Array), gradNorm };
  });
}

function checkOptions(o: ClassMaxOptions): Required<Omit<ClassMaxOptions, 'targets' | 'range'>> {
  const loss = o.loss ?? 'log';
  if (loss !== 'naive' && loss !== 'log') throw new ArgumentError(`classMax: loss must be 'naive' or 'log', got '${loss}'`);
  const r = {
    loss,
    lr: o.lr ?? 0.1,
    normalize: o.normalize ?? loss === 'log',
    maxSteps: o.maxSteps ?? 200,
    targetProb: o.targetProb ?? 0.99,
    gradTol: o.gradTol ?? 1e-12,
  };
  if (!(Number.isFinite(r.lr) && r.lr > 0)) throw new ArgumentError(`classMax: lr must be a finite number > 0, got ${r.lr}`);
  if (!(Number.isInteger(r.maxSteps) && r.maxSteps >= 0))
    throw new ArgumentError(`classMax: maxSteps must be an integer >= 0, got ${r.maxSteps}`);
  if (!(r.targetProb > 0 && r.targetProb <= 1)) throw new ArgumentError(`classMax: targetProb must be in (0, 1], got ${r.targetProb}`);
  if (!(r.gradTol >= 0)) throw new ArgumentError(`classMax: gradTol must be >= 0, got ${r.gradTol}`);
  return r;
}

/** Gradient ascent of each image of x toward its target class (see the file comment). */
export function classMax(model: Module, x: Tensor, o: ClassMaxOptions): ClassMaxResult {
  const s = checkOptions(o);
  const [lo, hi] = checkRange(o.range, 'classMax');
  if (x.dtype !== 'float32') throw new DTypeError(`classMax: images must be float32, got ${x.dtype}`);
  if (x.ndim < 2 || x.shape[0] === 0) throw new ShapeError(`classMax: images must be a non-empty batch [N, ...], got ${shapeStr(x.shape)}`);
  const n = x.shape[0],
    dim = x.numel / n,
    rowShape = x.shape.slice(1);
  if (o.targets.length !== n) throw new ShapeError(`classMax: ${o.targets.length} targets for images ${shapeStr(x.shape)}; expected ${n}`);
  const pixels = Float32Array.from(x.data() as Float32Array, (v) => Math.min(hi, Math.max(lo, v)));
  const pHistory: number[][] = Array.from({ length: n }, () => []);
  const gradNormHistory: number[][] = Array.from({ length: n }, () => []);
  const steps = new Int32Array(n),
    stopReason: StopReason[] = new Array(n);
  let active = [...Array(n).keys()];
  withFrozenModel(model, {}, () => {
    for (let step = 0; active.length; step++) {
      const batch = new Float32Array(active.length * dim);
      active.forEach((i, r) => batch.set(pixels.subarray(i * dim, (i + 1) * dim), r * dim));
      const g = tidy(() =>
        targetGradient(
          model,
          ops.tensor(batch, [active.length, ...rowShape], { device: x.device }),
          active.map((i) => o.targets[i]),
          s.loss,
        ),
      );
      const still: number[] = [];
      active.forEach((i, r) => {
        pHistory[i].push(g.p[r]);
        gradNormHistory[i].push(g.gradNorm[r]);
        if (g.p[r] >= s.targetProb) stopReason[i] = 'prob';
        else if (g.gradNorm[r] < s.gradTol) stopReason[i] = 'grad';
        else if (step === s.maxSteps) stopReason[i] = 'steps';
        else {
          const scale = s.normalize ? s.lr / (g.gradNorm[r] + LOG_LOSS_EPS) : s.lr;
          for (let j = 0; j < dim; j++) {
            const v = pixels[i * dim + j] - scale * g.grad[r * dim + j];
            pixels[i * dim + j] = v < lo ? lo : v > hi ? hi : v;
          }
          steps[i]++;
          still.push(i);
        }
      });
      active = still;
    }
  });
  return {
    images: ops.tensor(pixels, x.shape.slice(), { device: x.device }),
    pInitial: Float32Array.from(pHistory, (h) => h[0]),
    pFinal: Float32Array.from(pHistory, (h) => h[h.length - 1]),
    steps,
    stopReason,
    pHistory,
    gradNormHistory,
  };
}
