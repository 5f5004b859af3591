#!/usr/bin/env node
// The nnlab command. Subcommands arrive with the TypeScript API (train, run, devices, bench).
import { native } from './native.js';

const [cmd] = process.argv.slice(2);
if (cmd === 'devices') {
  const cuda = native.cudaStatus();
  const info = { cpu: { available: true, threads: native.numThreads() }, cuda };
  console.log(process.argv.includes('--json') ? JSON.stringify(info) : `cpu: ${info.cpu.threads} threads\ncuda: ${cuda.available ? cuda.name : 'unavailable (' + cuda.reason + ')'}`);
} else {
  console.error('usage: nnlab devices [--json]');
  process.exit(2);
}
