/**
 * A small flag parser with kubectl's (pflag's) habits: `--flag value`, `--flag=value`, `-n value`,
 * `-nvalue`, `-n=value`, `--bool`, `--bool=false`, grouped short booleans (`-Aw`), `--` to end
 * flags, and flags anywhere among the positionals. node:util's parseArgs rejects `--wait=false`,
 * which kubectl users type, hence this.
 */

export type FlagType = 'boolean' | 'string' | 'strings';

export interface FlagSpec {
  /** Long name without dashes (`namespace`). */
  name: string;
  /** One-letter alias without the dash (`n`). */
  short?: string;
  type: FlagType;
  /** Shown in help; `strings` flags default to []. */
  default?: string | boolean;
  /** Placeholder in help (`--namespace NAME`). */
  value?: string;
  description: string;
}

/** A mistake in how a command was called; printed with a hint to the command's help. */
export class UsageError extends Error {
  constructor(message: string, readonly command?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ParsedArgs {
  positionals: string[];
  /** Flags the user actually set (for "was it given?" questions). */
  given: Set<string>;
  bool(name: string): boolean;
  /** The flag's value, its default, or undefined. */
  string(name: string): string | undefined;
  strings(name: string): string[];
}

const TRUE = new Set(['true', '1', 't', 'T', 'TRUE', 'True']);
const FALSE = new Set(['false', '0', 'f', 'F', 'FALSE', 'False']);

export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[], command?: string): ParsedArgs {
  const byLong = new Map<string, FlagSpec>();
  const byShort = new Map<string, FlagSpec>();
  for (const s of specs) {
    byLong.set(s.name, s);
    if (s.short) byShort.set(s.short, s);
  }
  const values = new Map<string, string | boolean | string[]>();
  const given = new Set<string>();
  const positionals: string[] = [];

  const set = (spec: FlagSpec, raw: string | undefined, shown: string) => {
    given.add(spec.name);
    if (spec.type === 'boolean') {
      if (raw === undefined || TRUE.has(raw)) values.set(spec.name, true);
      else if (FALSE.has(raw)) values.set(spec.name, false);
      else throw new UsageError(`invalid argument "${raw}" for "${shown}" flag: expected true or false`, command);
    } else if (spec.type === 'strings') {
      const prev = values.get(spec.name);
      values.set(spec.name, [...(Array.isArray(prev) ? prev : []), raw ?? '']);
    } else {
      values.set(spec.name, raw ?? '');
    }
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      const spec = byLong.get(name);
      if (!spec) throw new UsageError(`unknown flag: --${name}`, command);
      let raw: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
      if (raw === undefined && spec.type !== 'boolean') {
        if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: --${name}`, command);
        raw = argv[++i]!;
      }
      set(spec, raw, `--${name}`);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // Grouped short flags: booleans may be chained; the first value-taking flag eats the rest.
      let j = 1;
      while (j < arg.length) {
        const ch = arg[j]!;
        const spec = byShort.get(ch);
        if (!spec) throw new UsageError(`unknown shorthand flag: '${ch}' in ${arg}`, command);
        const rest = arg.slice(j + 1);
        if (spec.type === 'boolean') {
          if (rest.startsWith('=')) {
            set(spec, rest.slice(1), `-${ch}`);
            break;
          }
          set(spec, undefined, `-${ch}`);
          j++;
          continue;
        }
        let raw: string;
        if (rest.length > 0) raw = rest.startsWith('=') ? rest.slice(1) : rest;
        else {
          if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: '${ch}' in -${ch}`, command);
          raw = argv[++i]!;
        }
        set(spec, raw, `-${ch}`);
        break;
      }
      continue;
    }
    positionals.push(arg);
  }

  const spec = (name: string): FlagSpec => {
    const s = byLong.get(name);
    if (!s) throw new Error(`internal: flag --${name} is not declared`);
    return s;
  };
  return {
    positionals,
    given,
    bool(name) {
      const v = values.get(name);
      if (typeof v === 'boolean') return v;
      const d = spec(name).default;
      return d === true;
    },
    string(name) {
      const v = values.get(name);
      if (typeof v === 'string') return v;
      const d = spec(name).default;
      return typeof d === 'string' ? d : undefined;
    },
    strings(name) {
      spec(name);
      const v = values.get(name);
      return Array.isArray(v) ? v : [];
    },
  };
}

/** Help text for a list of flags, aligned like kubectl's `Options:` section. */
export function formatFlags(specs: readonly FlagSpec[]): string {
  const left = specs.map((s) => {
    const names = s.short ? `-${s.short}, --${s.name}` : `    --${s.name}`;
    if (s.type === 'boolean') return `${names}=${s.default === true}`;
    return `${names}=${s.default !== undefined && s.default !== '' ? `'${String(s.default)}'` : s.type === 'strings' ? '[]' : `''`}`;
  });
  return specs
    .map((s, i) => `    ${left[i]}:\n\t${s.description}`)
    .join('\n\n');
}
