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

const P = Tensor.prototype;
P.add = function (o) {
  return ops.add(this, o);
};
P.sub = function (o) {
  return ops.sub(this, o);
};
P.mul = function (o) {
  return ops.mul(this, o);
};
P.div = function (o) {
  return ops.div(this, o);
};
P.pow = function (o) {
  return ops.pow(this, o);
};
P.neg = function () {
  return ops.neg(this);
};
P.exp = function () {
  return ops.exp(this);
};
P.log = function () {
  return ops.log(this);
};
P.sqrt = function () {
  return ops.sqrt(this);
};
P.abs = function () {
  return ops.abs(this);
};
P.square = function () {
  return ops.square(this);
};
P.relu = function () {
  return ops.relu(this);
};
P.sigmoid = function () {
  return ops.sigmoid(this);
};
P.tanh = function () {
  return ops.tanh(this);
};
P.clamp = function (lo, hi) {
  return ops.clamp(this, lo, hi);
};
P.matmul = function (o) {
  return ops.matmul(this, o);
};
P.reshape = function (s) {
  return ops.reshape(this, s);
};
P.view = function (s) {
  return ops.reshape(this, s);
};
P.flatten = function (s, e) {
  return ops.flatten(this, s, e);
};
P.permute = function (d) {
  return ops.permute(this, d);
};
P.transpose = function (a, b) {
  return ops.transpose(this, a, b);
};
P.unsqueeze = function (a) {
  return ops.unsqueeze(this, a);
};
P.squeeze = function (a) {
  return ops.squeeze(this, a);
};
P.expand = function (s) {
  return ops.expand(this, s);
};
P.slice = function (a, s, e, st) {
  return ops.slice(this, a, s, e, st);
};
P.sum = function (a, k) {
  return ops.sum(this, a, k);
};
P.mean = function (a, k) {
  return ops.mean(this, a, k);
};
P.max = function (a, k) {
  return ops.max(this, a, k);
};
P.min = function (a, k) {
  return ops.min(this, a, k);
};
P.argmax = function (a, k) {
  return ops.argmax(this, a, k);
};
P.softmax = function (a) {
  return ops.softmax(this, a);
};
P.logSoftmax = function (a) {
  return ops.logSoftmax(this, a);
};
P.to = function (d) {
  return ops.to(this, d);
};
P.cast = function (d, s) {
  return ops.cast(this, d, s);
};
P.clone = function () {
  return ops.clone(this);
};
P.detach = function () {
  return ops.detach(this);
};
P.backward = function (g) {
  backward(this, g);
};
