// Every op, as free functions (ops.relu(x)); tensor-methods.ts attaches the same as methods.
export * from './creation.js';
export * from './elementwise.js';
export * from './shape.js';
export * from './reduce.js';
export * from './linalg.js';
export * from './conv.js';
export * from './pool.js';
export * from './conv-pool.js';
export * from './norm.js';
export * from './softmax.js';
export * from './convert.js';
export * from './optim.js';
export * from './image.js';
export * from './knn.js';
export * from './spectral.js';
export * from './mse.js';
