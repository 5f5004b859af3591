#!/usr/bin/env node
// The nnlab command line: dispatches to the commands of cli/commands/ and turns errors into exit codes.
import './cli/fatal.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { commandUsage, HelpRequested, UsageError } from './cli/args.js';
import { COMMANDS } from './cli/commands/index.js';
import { packageRoot } from './core/package-root.js';
import { NnlabError } from './core/errors.js';

const indent = (text: string) =>
  text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');

const USAGE = `usage:
${COMMANDS.map((c) => indent(c.usage)).join('\n')}
  nnlab help [COMMAND]    (or nnlab --help, nnlab COMMAND --help, -h)
  nnlab --version`;

const version = () => (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;

/** `nnlab --help`, `nnlab help [command]`, `nnlab --version`: handled before any command; null otherwise. */
function helpOrVersion(argv: string[]): string | null {
  const [cmd, topic] = argv;
  if (cmd === '--version' || cmd === '-V') return version();
  if (cmd === '--help' || cmd === '-h') return USAGE;
  if (cmd === 'help') {
    if (!topic) return USAGE;
    const u = commandUsage(USAGE, topic);
    if (!u) throw new UsageError(`help: unknown command '${topic}'`);
    return u;
  }
  return null;
}

async function main(argv: string[]): Promise<number> {
  const text = helpOrVersion(argv);
  if (text !== null) {
    console.log(text);
    return 0;
  }
  const [cmd, ...rest] = argv;
  const command = COMMANDS.find((c) => c.name === cmd);
  if (!command) throw new UsageError(cmd ? `unknown command '${cmd}'` : 'missing command');
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof HelpRequested) {
      const cmd = process.argv[2];
      console.log(commandUsage(USAGE, cmd) ?? USAGE);
      process.exit(0);
    }
    if (e instanceof UsageError) {
      console.error(`nnlab: ${e.message}\n${USAGE}`);
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
