import { parseArgs } from 'node:util';
import { UsageError } from './usage-error.js';

export type Flags = {
  help?: boolean;
  version?: boolean;
  concurrency?: string;
  threshold?: string;
  handler?: string;
  receipts?: string;
  'drain-ms'?: string;
  redis?: string;
  queue?: string;
  'lock-ms'?: string;
  checkpoint?: string;
  'public-key'?: string;
  root?: string;
  size?: string;
  seed?: string;
  port?: string;
  host?: string;
  rate?: string;
};

/** The string flags each command takes, and how many positional arguments. */
const COMMANDS: Record<string, { readonly flags: readonly (keyof Flags)[]; readonly positionals: number }> = {
  demo: { flags: ['concurrency', 'threshold', 'receipts', 'seed'], positionals: 0 },
  feed: { flags: ['concurrency', 'threshold', 'receipts', 'handler', 'seed'], positionals: 1 },
  run: { flags: ['drain-ms'], positionals: 1 },
  verify: { flags: ['checkpoint', 'public-key', 'root', 'size'], positionals: 1 },
  worker: { flags: ['drain-ms', 'redis', 'queue', 'concurrency', 'lock-ms'], positionals: 1 },
  serve: { flags: ['port', 'host', 'drain-ms', 'rate'], positionals: 1 },
};

export const isCommand = (command: string): boolean => Object.hasOwn(COMMANDS, command);

/**
 * Parses a command's arguments strictly: unknown flags, extra positional arguments and a missing
 * value are UsageErrors. A value that starts with a dash (`--concurrency -1`) is taken as the
 * flag's value, so the error says what is wrong with it rather than that it is "ambiguous".
 */
export function parse(args: readonly string[], command: string): { values: Flags; positionals: string[] } {
  const spec = COMMANDS[command]!;
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const flag of spec.flags) options[flag] = { type: 'string' };
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    const flag = arg.startsWith('--') ? arg.slice(2) : undefined;
    if (flag !== undefined && options[flag]?.type === 'string' && next?.startsWith('-') && next.length > 1) {
      joined.push(`${arg}=${next}`);
      i++;
    } else joined.push(arg);
  }
  let parsed: { values: Flags; positionals: string[] };
  try {
    parsed = parseArgs({ args: joined, options, allowPositionals: true, strict: true }) as never;
  } catch (error) {
    throw new UsageError(`${command}: ${(error as Error).message.split('\n')[0]}`);
  }
  if (!parsed.values.help && parsed.positionals.length > spec.positionals) {
    const extra = parsed.positionals.slice(spec.positionals).map((p) => `"${p}"`);
    throw new UsageError(
      `${command} takes ${spec.positionals === 0 ? 'no' : spec.positionals} argument${spec.positionals === 1 ? '' : 's'}; unexpected ${extra.join(' ')}`,
    );
  }
  return parsed;
}

/** A flag's value as a positive safe integer (or the fallback when absent). */
export function positiveInteger(
  name: string,
  value: string | undefined,
  fallback: number | undefined,
  range: { readonly min: number; readonly max: number } = { min: 1, max: Number.MAX_SAFE_INTEGER },
): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  // Digits only: `1e20`, `0x10` and `2.0` are numbers to Number(), not what a user means by a count.
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < range.min || n > range.max) {
    const what =
      range.min === 1 && range.max === Number.MAX_SAFE_INTEGER
        ? 'a positive integer'
        : `an integer from ${range.min} to ${range.max}`;
    throw new UsageError(`--${name} must be ${what}, got "${value}"`);
  }
  return n;
}
