// Scale-out: a study's independent trainings as units of a graph, run in this process, in local
// worker processes, or as a Slurm job array with the reduce step after it.
export * from './units.js';
export * from './graph.js';
export * from './run-unit.js';
export * from './local.js';
export * from './sbatch.js';
export * from './slurm.js';
export * from './status.js';
