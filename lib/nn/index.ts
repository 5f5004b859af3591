export * from './module.js';
export * from './layers.js';
export * from './losses.js';
export * as init from './init.js';
export * from './resnet.js';
export { parameter, buffer } from './fields.js';
