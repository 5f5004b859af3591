#!/usr/bin/env node
// The nnlab command line: dispatches to the commands of cli/commands/ and turns errors into exit codes.
import './cli/fatal.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { commandUsage, HelpRequested, UsageError } from './cli/args.js';
import { loadCommand, loadCommands } from './cli/commands/index.js';
import { packageRoot } from './core/package-root.js';
import { NnlabError } from './core/errors.js';

const indent = (text: string) =>
  text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');

/** The whole usage text: it imports every command, so only help and usage errors build it. */
const usage = async () => `usage:
${(await loadCommands()).map((c) => indent(c.usage)).join('\n')}
  nnlab help [COMMAND]    (or nnlab --help, nnlab COMMAND --help, -h)
  nnlab --version`;

const version = () => (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;

/** `nnlab --help`, `nnlab help [command]`, `nnlab --version`: handled before any command; null otherwise. */
async function helpOrVersion(argv: string[]): Promise<string | null> {
  const [cmd, topic] = argv;
  if (cmd === '--version' || cmd === '-V') return version();
  if (cmd === '--help' || cmd === '-h') return usage();
  if (cmd === 'help') {
    if (!topic) return usage();
    const u = commandUsage(await usage(), topic);
    if (!u) throw new UsageError(`help: unknown command '${topic}'`);
    return u;
  }
  return null;
}

async function main(argv: string[]): Promise<number> {
  const text = await helpOrVersion(argv);
  if (text !== null) {
    console.log(text);
    return 0;
  }
  const [cmd, ...rest] = argv;
  const command = await loadCommand(cmd);
  if (!command) throw new UsageError(cmd ? `unknown command '${cmd}'` : 'missing command');
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  async (e) => {
    if (e instanceof HelpRequested) {
      const cmd = process.argv[2];
      const text = await usage();
      console.log(commandUsage(text, cmd) ?? text);
      process.exit(0);
    }
    if (e instanceof UsageError) {
      console.error(`nnlab: ${e.message}\n${await usage()}`);
      process.exit(2);
    }
    if (e instanceof NnlabError) {
      console.error(`nnlab: ${e.name}: ${e.message}`);
      process.exit(1);
    }
    // File-system failures (EACCES, ENOSPC, EISDIR...) are the user's to fix: a message, not a stack.
    const sys = e as NodeJS.ErrnoException;
    if (sys && typeof sys.code === 'string' && typeof sys.syscall === 'string') {
      console.error(`nnlab: ${sys.message}`);
      process.exit(1);
    }
    console.error(e);
    process.exit(1);
  },
);
