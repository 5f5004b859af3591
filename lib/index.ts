// Public entry point of nnlab.
export * from './errors.js';
export { native, packageRoot } from './native.js';
export type { DType, DeviceName, NativeTensor, NativeTypedArray } from './native.js';
