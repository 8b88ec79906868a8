/**
 * The one parameter model shared by the CLI (`npm run report -- --rate 10`) and the notebooks'
 * `parameters` cells. Every bound lives here, and every rejection is one line that names the
 * parameter and the accepted form.
 */
import { parseBytes, parseDuration, UnitError } from './units';
import { InputError } from './errors';

export const STACK_NAMES = ['2015', '2015+ws0.8.1', '2016-fixed', 'today'] as const;
/** An installed socket.io stack, named for what it reproduces. */
export type StackName = (typeof STACK_NAMES)[number];

export const DEFLATE_MODES = ['on', 'off'] as const;
/** Whether the server offers permessage-deflate. */
export type DeflateMode = (typeof DEFLATE_MODES)[number];

export const PAYLOAD_KINDS = ['data-url', 'png', 'jpeg', 'json'] as const;
/** What an application frame carries: a base64 data URL (as the 2015 pages sent), image bytes, or JSON text. */
export type PayloadKind = (typeof PAYLOAD_KINDS)[number];

export const KiB = 1024;
export const MiB = 1024 * KiB;

/** Inclusive bounds, in the parameter's own unit (bytes, ms, messages/s, count). */
export const BOUNDS = {
  frameSize: { min: 1, max: 64 * MiB },
  fragmentSize: { min: 125, max: 16 * MiB },
  rate: { minExclusive: 0, max: 1000 },
  clients: { min: 1, max: 200 },
  burst: { min: 1, max: 100 },
  duration: { min: 100, max: 2 * 3_600_000 },
  repeats: { min: 1, max: 20 },
  seed: { min: 0, max: 2 ** 31 - 1 },
} as const;

/** A fully checked parameter set: sizes in bytes, durations in ms. */
export interface Params {
  /** Application frame sizes (the image or message an app emits; for data URLs, the string length). */
  frameSizes: number[];
  /** WebSocket fragment size for the fragmenting client; not the frame size. */
  fragmentSize: number;
  /** Messages per second per client. */
  rate: number;
  clients: number;
  /** Messages sent back to back per tick. */
  burst: number;
  duration: number;
  stacks: StackName[];
  deflate: DeflateMode[];
  payload: PayloadKind[];
  seed: number;
  repeats: number;
  quick: boolean;
}

/** What a user may write for each parameter: strings with units or comma lists, or plain values. */
export type RawParams = { [K in keyof Params]?: string | number | boolean | Array<string | number> };

/** Thrown for a parameter outside its accepted form or bounds. */
/** A parameter's command-line flag, without its dashes: frameSizes -> frame-sizes. */
export function flagName(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export class ParamError extends InputError {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(`${param}: ${message}`);
  }
}

/** The literal type each parameter takes in a notebook's `parameters` cell. */
export const PARAM_CELL_TYPES: { [K in keyof Params]: 'string' | 'number' | 'boolean' } = {
  frameSizes: 'string',
  fragmentSize: 'string',
  rate: 'number',
  clients: 'number',
  burst: 'number',
  duration: 'string',
  stacks: 'string',
  deflate: 'string',
  payload: 'string',
  seed: 'number',
  repeats: 'number',
  quick: 'boolean',
};

export const PARAM_NAMES = Object.keys(PARAM_CELL_TYPES) as Array<keyof Params>;

/** Defaults for anything a chapter or the CLI leaves unset. */
export const DEFAULT_PARAMS: Params = {
  frameSizes: [64 * KiB, 256 * KiB],
  fragmentSize: 100 * KiB,
  rate: 5,
  clients: 2,
  burst: 1,
  duration: 5000,
  stacks: ['2015', 'today'],
  deflate: ['on', 'off'],
  payload: ['data-url'],
  seed: 1,
  repeats: 1,
  quick: false,
};

/**
 * Splits a comma-separated list; an empty element (`4KiB,,8KiB`, a leading or trailing comma) is an
 * error rather than skipped, since it usually means a value went missing. An empty string is an
 * empty list, which each caller words for itself.
 */
export function splitList(param: string, raw: string, example: string): string[] {
  if (raw.trim() === '') return [];
  const items = raw.split(',').map((s) => s.trim());
  const gap = items.indexOf('');
  if (gap >= 0) {
    throw new ParamError(
      param,
      `'${raw}' has an empty element at position ${gap + 1}: use single commas between values, e.g. ${example}`,
    );
  }
  return items;
}

function listOf(param: string, value: unknown, example: string): Array<string | number> {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return splitList(param, value, example);
  return [value as number];
}

function inRange(param: string, value: number, min: number, max: number, form: string): number {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ParamError(param, `${value} is out of range: ${form}`);
  }
  return value;
}

function bytesIn(param: string, raw: string | number, min: number, max: number, form: string): number {
  let bytes: number;
  try {
    bytes = parseBytes(raw);
  } catch (error) {
    throw new ParamError(param, (error as UnitError).message);
  }
  return inRange(param, bytes, min, max, form);
}

function integerIn(param: string, raw: unknown, min: number, max: number): number {
  const value = typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new ParamError(param, `'${raw}' is not a whole number: use an integer from ${min} to ${max}`);
  }
  return inRange(param, value, min, max, `use an integer from ${min} to ${max}`);
}

function oneOf<T extends string>(param: string, raw: unknown, allowed: readonly T[]): T[] {
  const values = listOf(param, raw, allowed.slice(0, 2).join(',')).map(String);
  if (values.length === 0) throw new ParamError(param, `empty: use one or more of ${allowed.join(', ')}`);
  for (const value of values) {
    if (!allowed.includes(value as T)) {
      throw new ParamError(param, `unknown '${value}': use one or more of ${allowed.join(', ')} (comma-separated)`);
    }
  }
  return [...new Set(values)] as T[];
}

function parseRate(raw: unknown): number {
  const text = typeof raw === 'number' ? String(raw) : String(raw).trim().replace(/\/s$/, '');
  const form = `use messages per second, more than 0 and at most ${BOUNDS.rate.max} (e.g. 5 or 0.5)`;
  if (!/^(\d+(\.\d+)?|\.\d+)$/.test(text)) throw new ParamError('rate', `'${raw}' is not a rate: ${form}`);
  const rate = Number(text);
  if (!(rate > BOUNDS.rate.minExclusive) || rate > BOUNDS.rate.max)
    throw new ParamError('rate', `${rate} is out of range: ${form}`);
  return rate;
}

function parseQuick(raw: unknown): boolean {
  if (typeof raw === 'boolean') return raw;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new ParamError('quick', `'${raw}' is not a boolean: use true or false`);
}

const FRAME_SIZES_EXAMPLE = '3000,200KiB,1.5MiB';

const PARSERS: { [K in keyof Params]: (raw: never) => Params[K] } = {
  frameSizes: (raw: unknown) => {
    const { min, max } = BOUNDS.frameSize;
    const sizes = listOf('frameSizes', raw, FRAME_SIZES_EXAMPLE).map((item) =>
      bytesIn('frameSizes', item, min, max, `use 1 B to 64 MiB, e.g. ${FRAME_SIZES_EXAMPLE}`),
    );
    if (sizes.length === 0) throw new ParamError('frameSizes', 'empty: give one or more sizes, e.g. 64KiB,1MiB');
    // A size given twice (1MiB,1048576) is run once, at its first place: see the CLIs' --help.
    return [...new Set(sizes)];
  },
  fragmentSize: (raw: string | number) =>
    bytesIn('fragmentSize', raw, BOUNDS.fragmentSize.min, BOUNDS.fragmentSize.max, 'use 125 B to 16 MiB, e.g. 100KiB'),
  rate: parseRate,
  clients: (raw: unknown) => integerIn('clients', raw, BOUNDS.clients.min, BOUNDS.clients.max),
  burst: (raw: unknown) => integerIn('burst', raw, BOUNDS.burst.min, BOUNDS.burst.max),
  duration: (raw: string | number) => {
    let ms: number;
    try {
      ms = parseDuration(raw);
    } catch (error) {
      throw new ParamError('duration', (error as UnitError).message);
    }
    return inRange('duration', ms, BOUNDS.duration.min, BOUNDS.duration.max, 'use 100ms to 2h, e.g. 15s');
  },
  stacks: (raw: unknown) => oneOf('stacks', raw, STACK_NAMES),
  deflate: (raw: unknown) => oneOf('deflate', raw, DEFLATE_MODES),
  payload: (raw: unknown) => oneOf('payload', raw, PAYLOAD_KINDS),
  seed: (raw: unknown) => integerIn('seed', raw, BOUNDS.seed.min, BOUNDS.seed.max),
  repeats: (raw: unknown) => integerIn('repeats', raw, BOUNDS.repeats.min, BOUNDS.repeats.max),
  quick: parseQuick,
};

/** Checks raw values layered over defaults (later layers win); throws a ParamError naming the first bad one. */
export function resolveParams(...layers: RawParams[]): Params {
  const merged: Record<string, unknown> = { ...DEFAULT_PARAMS };
  for (const layer of layers) {
    for (const [name, value] of Object.entries(layer)) {
      if (!(name in PARAM_CELL_TYPES)) {
        throw new ParamError(name, `unknown parameter: use one of ${PARAM_NAMES.join(', ')}`);
      }
      if (value !== undefined) merged[name] = value;
    }
  }
  const params = {} as Record<keyof Params, unknown>;
  for (const name of PARAM_NAMES) params[name] = (PARSERS[name] as (raw: unknown) => unknown)(merged[name]);
  return params as Params;
}

/** Writes raw values back as the literal a `parameters` cell declares, so injection type-checks. */
export function cellLiteral(name: keyof Params, value: RawParams[keyof Params]): string {
  const type = PARAM_CELL_TYPES[name];
  if (type === 'string') return JSON.stringify(Array.isArray(value) ? value.join(',') : String(value));
  if (type === 'boolean') return String(parseQuick(value));
  return String(Number(value));
}
