// Every `nnlab` command, in the order `nnlab --help` lists them. A new command is one file in this
// folder and one line here. Each is imported only when it runs (or when the usage text is shown):
// `nnlab train` then loads the training code alone, not every study, the executors and the bench.
import type { Command } from '../command.js';

const LOADERS: Record<string, () => Promise<Command>> = {
  train: async () => (await import('./train.js')).trainCommand,
  run: async () => (await import('./run.js')).runCommand,
  sweep: async () => (await import('./sweep.js')).sweepCommand,
  reproduce: async () => (await import('./reproduce.js')).reproduceCommand,
  unit: async () => (await import('./unit.js')).unitCommand,
  status: async () => (await import('./status.js')).statusCommand,
  bench: async () => (await import('./bench.js')).benchCommand,
  devices: async () => (await import('./devices.js')).devicesCommand,
  selftest: async () => (await import('./selftest.js')).selftestCommand,
};

/** The command called `name`, or null when there is none. */
export function loadCommand(name: string | undefined): Promise<Command> | null {
  return name !== undefined && Object.hasOwn(LOADERS, name) ? LOADERS[name]() : null;
}

/** Every command, in the order of the usage text. */
export function loadCommands(): Promise<Command[]> {
  return Promise.all(Object.values(LOADERS).map((load) => load()));
}
