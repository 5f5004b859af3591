// Every `nnlab` command, in the order `nnlab --help` lists them. A new command is one file in this
// folder and one line here.
import type { Command } from '../command.js';
import { benchCommand } from './bench.js';
import { devicesCommand } from './devices.js';
import { runCommand } from './run.js';
import { selftestCommand } from './selftest.js';
import { trainCommand } from './train.js';

export const COMMANDS: readonly Command[] = [trainCommand, runCommand, benchCommand, devicesCommand, selftestCommand];
