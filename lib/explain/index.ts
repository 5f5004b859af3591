// lib/explain: looking inside trained classifiers. Hooks on modules by name, the CAM family,
// projections to pixel space (deconvnet, guided backprop), occlusion, faithfulness curves and
// heat-map overlays.
export * from './hooks.js';
export type { ClassMaps, Targets } from './common.js';
export { upsample, scaleEach } from './common.js';
export * from './cam.js';
export * from './grad-cam.js';
export * from './score-cam.js';
export * from './deconvnet.js';
export * from './occlusion.js';
export * from './faithfulness.js';
export * from './overlay.js';
