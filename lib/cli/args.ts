// Flag parsing on Node's util.parseArgs, strict: every flag is declared with its type; unknown
// flags and bad values are usage errors (exit code 2), never silently ignored. Every command also
// takes --help / -h, which ends parsing with a HelpRequested.
import { parseArgs as nodeParseArgs } from 'node:util';

export class UsageError extends Error {}

/** `--help` or `-h` was given: print the command's usage and exit 0. */
export class HelpRequested extends Error {}

export type FlagType = 'string' | 'int' | 'float' | 'bool';
/** multiple: the flag may repeat (string flags only); its value is then a string[]. */
export type FlagSpec = Record<string, { type: FlagType; choices?: readonly string[]; min?: number; short?: string; multiple?: boolean }>;
export type Parsed = { positional: string[]; flags: Record<string, string | number | boolean | string[]> };

function typed(name: string, s: FlagSpec[string], value: string): string | number {
  if (s.type === 'string') {
    if (value.trim() === '') throw new UsageError(`--${name} must not be empty`);
    if (s.choices && !s.choices.includes(value)) throw new UsageError(`--${name} must be one of ${s.choices.join(', ')}, got '${value}'`);
    return value;
  }
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || (s.type === 'int' && !Number.isInteger(v)))
    throw new UsageError(`--${name} must be ${s.type === 'int' ? 'an integer' : 'a number'}, got '${value}'`);
  // Above 2^53 doubles merge neighbouring integers (--seed 18446744073709551616 would equal --seed 0 downstream).
  if (s.type === 'int' && !Number.isSafeInteger(v)) throw new UsageError(`--${name} must be an integer below 2^53, got ${value}`);
  if (s.min !== undefined && v < s.min) throw new UsageError(`--${name} must be >= ${s.min}, got ${v}`);
  return v;
}

export function parseArgs(argv: string[], spec: FlagSpec): Parsed {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, s] of Object.entries(spec))
    options[name] = {
      type: s.type === 'bool' ? 'boolean' : 'string',
      ...(s.short && { short: s.short }),
      ...(s.multiple && { multiple: true }),
    };
  let parsed: ReturnType<typeof nodeParseArgs>;
  try {
    parsed = nodeParseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (e) {
    if (argv.includes('--help') || argv.includes('-h')) throw new HelpRequested();
    // Node's messages name the flag ("Unknown option '--x'"); the first sentence is the useful part.
    throw new UsageError((e as Error).message.split('. ')[0].replace(/^Unknown option/, 'unknown flag'));
  }
  if (parsed.values.help) throw new HelpRequested();
  const out: Parsed = { positional: parsed.positionals, flags: {} };
  for (const [name, v] of Object.entries(parsed.values)) {
    if (name === 'help' || v === undefined) continue;
    if (Array.isArray(v)) out.flags[name] = v.map((x) => String(typed(name, spec[name], String(x))));
    else out.flags[name] = typeof v === 'string' ? typed(name, spec[name], v) : (v as boolean);
  }
  return out;
}

/** The lines of a usage text that describe `command` (from its `nnlab <command>` line to the next command). */
export function commandUsage(usage: string, command: string): string | null {
  const lines = usage.split('\n');
  const start = lines.findIndex((l) => l.trimStart().startsWith(`nnlab ${command} `) || l.trim() === `nnlab ${command}`);
  if (start < 0) return null;
  let end = start + 1;
  while (end < lines.length && !lines[end].trimStart().startsWith('nnlab ')) end++;
  return `usage:\n${lines.slice(start, end).join('\n')}`;
}
