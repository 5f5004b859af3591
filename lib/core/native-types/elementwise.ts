// Typed surface of native/binding/ops_elementwise.cpp.
import type { NativeTensor } from './core.js';

/** Unary op names; alpha/beta: leakyRelu/elu slope alpha, affine alpha*x+beta, pow x^alpha, clamp [alpha, beta]. */
export type UnaryOpName =
  | 'neg'
  | 'exp'
  | 'log'
  | 'log1p'
  | 'sqrt'
  | 'rsqrt'
  | 'abs'
  | 'sign'
  | 'square'
  | 'reciprocal'
  | 'sin'
  | 'cos'
  | 'relu'
  | 'leakyRelu'
  | 'elu'
  | 'sigmoid'
  | 'tanh'
  | 'gelu'
  | 'softplus'
  | 'affine'
  | 'pow'
  | 'clamp';

/** Binary op names; comparisons return float32 0/1. */
export type BinaryOpName = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

export interface ElementwiseOps {
  /** The valid names of unary(): every UnaryOpName, in enum order. */
  unaryOps(): UnaryOpName[];
  /** The valid names of binary(): every BinaryOpName, in enum order. */
  binaryOps(): BinaryOpName[];
  /** y = f(x) elementwise on a float32 tensor; alpha/beta default 0 (clamp needs alpha <= beta). */
  unary(x: NativeTensor, op: UnaryOpName, alpha?: number, beta?: number): NativeTensor;
  /** dx = dy * f'(x); y = f(x) may be passed (cheaper for exp/sigmoid/tanh...) or null to recompute it. */
  unaryBackward(x: NativeTensor, y: NativeTensor | null, dy: NativeTensor, op: UnaryOpName, alpha?: number, beta?: number): NativeTensor;
  /** a (op) b with NumPy broadcasting (up to 8 dims); ShapeError naming both shapes when incompatible. */
  binary(a: NativeTensor, b: NativeTensor, op: BinaryOpName): NativeTensor;
  /** cond (uint8, nonzero = true) ? a : b, with all three broadcast together. */
  where(cond: NativeTensor, a: NativeTensor, b: NativeTensor): NativeTensor;
}
