// Chainable methods on Tensor (x.add(y).relu()), delegating to the op functions.
import { backward } from './autograd/engine.js';
import * as ops from './ops/index.js';
import type { Operand } from './ops/util.js';
import type { DType } from './native.js';
import { Tensor } from './tensor.js';
import type { Device } from './tensor.js';

declare module './tensor.js' {
  interface Tensor {
    add(o: Operand): Tensor;
    sub(o: Operand): Tensor;
    mul(o: Operand): Tensor;
    div(o: Operand): Tensor;
    pow(o: Operand): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    abs(): Tensor;
    square(): Tensor;
    relu(): Tensor;
    sigmoid(): Tensor;
    tanh(): Tensor;
    clamp(lo?: number, hi?: number): Tensor;
    matmul(o: Tensor): Tensor;
    reshape(shape: readonly number[]): Tensor;
    view(shape: readonly number[]): Tensor;
    flatten(start?: number, end?: number): Tensor;
    permute(dims: readonly number[]): Tensor;
    transpose(a?: number, b?: number): Tensor;
    unsqueeze(axis: number): Tensor;
    squeeze(axis?: number): Tensor;
    expand(shape: readonly number[]): Tensor;
    slice(axis: number, start: number, end?: number, step?: number): Tensor;
    sum(axes?: number | readonly number[], keepdim?: boolean): Tensor;
    mean(axes?: number | readonly number[], keepdim?: boolean): Tensor;
    max(axis?: number, keepdim?: boolean): Tensor;
    min(axis?: number, keepdim?: boolean): Tensor;
    argmax(axis?: number, keepdim?: boolean): Tensor;
    softmax(axis?: number): Tensor;
    logSoftmax(axis?: number): Tensor;
    to(device: Device): Tensor;
    cast(dtype: DType, scale?: number): Tensor;
    clone(): Tensor;
    detach(): Tensor;
    backward(grad?: Tensor): void;
  }
}

// Every method but these two is the op of the same name with the tensor as its first argument.
const DELEGATED = [
  ...['add', 'sub', 'mul', 'div', 'pow', 'matmul', 'clamp'],
  ...['neg', 'exp', 'log', 'sqrt', 'abs', 'square', 'relu', 'sigmoid', 'tanh'],
  ...['reshape', 'flatten', 'permute', 'transpose', 'unsqueeze', 'squeeze', 'expand', 'slice'],
  ...['sum', 'mean', 'max', 'min', 'argmax', 'softmax', 'logSoftmax'],
  ...['to', 'cast', 'clone', 'detach'],
] as const satisfies readonly (keyof typeof ops)[];

const P = Tensor.prototype as unknown as Record<string, (this: Tensor, ...args: never[]) => unknown>;
for (const name of DELEGATED) {
  const op = ops[name] as (x: Tensor, ...args: unknown[]) => Tensor;
  P[name] = function (this: Tensor, ...args: unknown[]) {
    return op(this, ...args);
  };
}
Tensor.prototype.view = function (s) {
  return ops.reshape(this, s);
};
Tensor.prototype.backward = function (g) {
  backward(this, g);
};
