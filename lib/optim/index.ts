export * from './optimizer.js';
export * from './sgd.js';
export * from './adam.js';
export * from './schedulers.js';
export * from './weight-average.js';
export * from './clip-grad.js';
