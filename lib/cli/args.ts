// A strict flag parser: every flag is declared with its type; unknown flags and bad values are
// usage errors (exit code 2), never silently ignored.
export class UsageError extends Error {}

export type FlagType = 'string' | 'int' | 'float' | 'bool';
export type FlagSpec = Record<string, { type: FlagType; choices?: readonly string[]; min?: number }>;
export type Parsed = { positional: string[]; flags: Record<string, string | number | boolean> };

export function parseArgs(argv: string[], spec: FlagSpec): Parsed {
  const out: Parsed = { positional: [], flags: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      out.positional.push(a);
      continue;
    }
    let [name, value] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const s = spec[name];
    if (!s) throw new UsageError(`unknown flag --${name}`);
    if (s.type === 'bool') {
      out.flags[name] = value === undefined ? true : value !== 'false';
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
    }
    if (s.type === 'string') {
      if (value.trim() === '') throw new UsageError(`--${name} must not be empty`);
      if (s.choices && !s.choices.includes(value) && !(name === 'dataset'))
        throw new UsageError(`--${name} must be one of ${s.choices.join(', ')}, got '${value}'`);
      out.flags[name] = value;
    } else {
      const v = Number(value);
      if (value.trim() === '' || !Number.isFinite(v) || (s.type === 'int' && !Number.isInteger(v)))
        throw new UsageError(`--${name} must be ${s.type === 'int' ? 'an integer' : 'a number'}, got '${value}'`);
      // Above 2^53 doubles merge neighbouring integers (--seed 18446744073709551616 would equal --seed 0 downstream).
      if (s.type === 'int' && !Number.isSafeInteger(v)) throw new UsageError(`--${name} must be an integer below 2^53, got ${value}`);
      if (s.min !== undefined && v < s.min) throw new UsageError(`--${name} must be >= ${s.min}, got ${v}`);
      out.flags[name] = v;
    }
  }
  return out;
}
