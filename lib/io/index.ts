export * from './atomic.js';
export * from './safetensors.js';
export * from './csv.js';
