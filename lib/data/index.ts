export * from './idx.js';
export * from './datasets.js';
export * from './loader.js';
export * from './transforms.js';
export * from './resize-matmul.js';
