/**
 * What the battery is pointed at and how hard it may push: the target (origin, path, namespace,
 * auth), the cases, and every bound, checked before anything starts. Bad input is a CheckInputError
 * that names the parameter and the accepted form. A target off loopback needs allowRemote.
 */
import net from 'node:net';
import { KiB, MiB } from '../core/params';
import { formatBytes, parseBytes, parseDuration } from '../core/units';
import { InputError } from '../core/errors';

/** The battery's cases, in the order they run; `rsv1` last, since it may bring a careless server down. */
export const CHECK_CASES = ['handshake', 'fragmented', 'mixed', 'cliff', 'silent', 'rsv1'] as const;
/** A case of the battery; `cliff`, `silent` and `rsv1` are opt-in. */
export type CheckCase = (typeof CHECK_CASES)[number];
/** The cases run when none are named: the ones a production server barely notices. */
export const DEFAULT_CASES: readonly CheckCase[] = ['handshake', 'fragmented', 'mixed'];

/** The server under test. `auth` values are secrets: only their keys may be recorded or shown. */
export interface Target {
  /** `http://host:port` with no credentials, path or query. */
  origin: string;
  /** engine.io's path, `/socket.io` by default, no trailing slash. */
  path: string;
  namespace: string;
  auth: Record<string, string>;
  /** Query parameters from the URL, sent with every request (values are treated as secrets). */
  query: Array<[string, string]>;
  /** HTTP headers for every request (Basic auth from URL credentials). */
  headers: Record<string, string>;
}

/** Every bound of a battery run (sizes in bytes, times in ms). */
export interface CheckLimits {
  /** Message sizes of the fragmented case (characters of a PNG data URL). */
  frameSizes: number[];
  /** Compressed bytes per WebSocket frame. */
  fragmentSize: number;
  /** Messages back to back per burst. */
  burst: number;
  /** Bursts per message size, each followed by an in-order reply. */
  bursts: number;
  /** How long any single answer (connect, reply, ack) may take. */
  replyTimeoutMs: number;
  /** The size cliff's upper bound. */
  cliffCap: number;
  /** The longest the silent client waits to be dropped. */
  silentMaxMs: number;
}

/** A checked battery request. */
export interface CheckOptions {
  target: Target;
  cases: CheckCase[];
  limits: CheckLimits;
  allowRemote: boolean;
  seed: number;
}

export const DEFAULT_LIMITS: CheckLimits = {
  frameSizes: [256 * KiB],
  fragmentSize: 16 * KiB,
  burst: 3,
  bursts: 3,
  replyTimeoutMs: 5_000,
  cliffCap: 16 * MiB,
  silentMaxMs: 120_000,
};

const LIMIT_BOUNDS = {
  frameSize: { min: 1 * KiB, max: 16 * MiB },
  fragmentSize: { min: 125, max: 16 * MiB },
  burst: { min: 1, max: 10 },
  bursts: { min: 1, max: 20 },
  cliffCap: { min: 64 * KiB, max: 64 * MiB },
  silentMax: { min: 1_000, max: 600_000 },
  frameSizesCount: 8,
} as const;

/** The smallest size the cliff bisects down to, and its resolution floor. */
export const CLIFF_FLOOR = 1 * KiB;

/** Thrown for input the user must fix; the message is one line naming the parameter. */
export class CheckInputError extends InputError {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(`${param}: ${message}`);
  }
}

const LOOPBACK_BLOCKS = new net.BlockList();
LOOPBACK_BLOCKS.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK_BLOCKS.addAddress('::1', 'ipv6');
LOOPBACK_BLOCKS.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

/** Whether a host (name or literal address) is loopback: 127.0.0.0/8, ::1 or `localhost`. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  const family = net.isIP(host);
  if (family === 0) return false;
  return LOOPBACK_BLOCKS.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

/** The URL as it may be recorded: no credentials, query keys kept with their values dropped, no fragment. */
export function recordableUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return '(not a URL)';
  }
  url.username = '';
  url.password = '';
  url.hash = '';
  const keys = [...url.searchParams.keys()];
  url.search = '';
  const query = keys.map((k) => `${encodeURIComponent(k)}=`).join('&');
  return `${url.toString()}${query ? `?${query}` : ''}`;
}

/** Replaces every secret (auth values, query values, URL credentials) in `text` with `***`. */
export function redact(text: string, target: Pick<Target, 'auth' | 'query' | 'headers'>): string {
  const secrets = [
    ...Object.values(target.auth),
    ...target.query.map(([, v]) => v),
    ...Object.values(target.headers),
  ].filter((s) => s.length > 0);
  let out = text;
  for (const secret of secrets.sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join('***');
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) out = out.split(encoded).join('***');
  }
  return out;
}

function parseTarget(raw: { url?: string; path?: string; namespace?: string; auth?: readonly string[] }): Target {
  if (raw.url === undefined || raw.url === '')
    throw new CheckInputError('--url', 'missing: name the server, e.g. --url http://127.0.0.1:3000');
  let url: URL;
  try {
    url = new URL(raw.url);
  } catch {
    throw new CheckInputError('--url', `'${recordableUrl(raw.url)}' is not a URL: use http://host:port`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CheckInputError('--url', `${url.protocol} is not supported: use http://host:port or https://host:port`);
  if (url.pathname !== '/' && url.pathname !== '')
    throw new CheckInputError(
      '--url',
      `give the server's origin only (http://host:port); put the engine.io path in --path (got path ${url.pathname})`,
    );
  const path = raw.path ?? '/socket.io';
  if (!/^\/[A-Za-z0-9._~\-/]*$/.test(path) || path.includes('//'))
    throw new CheckInputError('--path', `'${path}' is not a path: use one like /socket.io`);
  const namespace = raw.namespace ?? '/';
  if (!/^\/[A-Za-z0-9._~\-/]*$/.test(namespace) || namespace.includes(','))
    throw new CheckInputError('--namespace', `'${namespace}' is not a namespace: use one like / or /chat`);
  const auth: Record<string, string> = {};
  for (const pair of raw.auth ?? []) {
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq) : '';
    if (!/^[A-Za-z0-9_.-]+$/.test(key))
      throw new CheckInputError('--auth', 'takes key=value (a key of letters, digits, _ . -), e.g. --auth token=abc');
    auth[key] = pair.slice(eq + 1);
  }
  const headers: Record<string, string> = {};
  if (url.username || url.password) {
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  }
  return {
    origin: `${url.protocol}//${url.host}`,
    path: path.replace(/\/+$/, '') || '/',
    namespace: namespace,
    auth: auth,
    query: [...url.searchParams.entries()],
    headers: headers,
  };
}

function bounded(param: string, value: number, bounds: { min: number; max: number }, format: (n: number) => string) {
  if (!Number.isFinite(value) || value < bounds.min || value > bounds.max)
    throw new CheckInputError(
      param,
      `${format(value)} is out of range: use ${format(bounds.min)} to ${format(bounds.max)}`,
    );
  return value;
}

function sizeOf(param: string, raw: string, bounds: { min: number; max: number }): number {
  let bytes: number;
  try {
    bytes = parseBytes(raw);
  } catch (error) {
    throw new CheckInputError(param, (error as Error).message);
  }
  return bounded(param, bytes, bounds, formatBytes);
}

function countOf(param: string, raw: string, bounds: { min: number; max: number }): number {
  if (!/^\d+$/.test(raw.trim()))
    throw new CheckInputError(param, `'${raw}' is not a whole number (${bounds.min} to ${bounds.max})`);
  return bounded(param, Number(raw), bounds, String);
}

/** The raw flags of a battery request, as strings. */
export interface RawCheckOptions {
  url?: string;
  path?: string;
  namespace?: string;
  auth?: readonly string[];
  frameSizes?: string;
  fragmentSize?: string;
  burst?: string;
  bursts?: string;
  cases?: string;
  cliffCap?: string;
  silentMax?: string;
  allowRemote?: boolean;
}

/** Checks the battery's cases and bounds (everything but the target); throws CheckInputError on bad input. */
export function resolveBattery(
  raw: Omit<RawCheckOptions, 'url' | 'path' | 'namespace' | 'auth' | 'allowRemote'>,
): Omit<CheckOptions, 'target' | 'allowRemote'> {
  const limits = { ...DEFAULT_LIMITS };
  if (raw.frameSizes !== undefined) {
    const sizes = raw.frameSizes
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (sizes.length === 0 || sizes.length > LIMIT_BOUNDS.frameSizesCount)
      throw new CheckInputError('--frame-sizes', `give 1 to ${LIMIT_BOUNDS.frameSizesCount} sizes, e.g. 64KiB,256KiB`);
    limits.frameSizes = sizes.map((s) => sizeOf('--frame-sizes', s, LIMIT_BOUNDS.frameSize));
  }
  if (raw.fragmentSize !== undefined)
    limits.fragmentSize = sizeOf('--fragment-size', raw.fragmentSize, LIMIT_BOUNDS.fragmentSize);
  if (raw.burst !== undefined) limits.burst = countOf('--burst', raw.burst, LIMIT_BOUNDS.burst);
  if (raw.bursts !== undefined) limits.bursts = countOf('--bursts', raw.bursts, LIMIT_BOUNDS.bursts);
  if (raw.cliffCap !== undefined) limits.cliffCap = sizeOf('--cliff-cap', raw.cliffCap, LIMIT_BOUNDS.cliffCap);
  if (raw.silentMax !== undefined) {
    let ms: number;
    try {
      ms = parseDuration(raw.silentMax);
    } catch (error) {
      throw new CheckInputError('--silent-max', (error as Error).message);
    }
    limits.silentMaxMs = bounded('--silent-max', ms, LIMIT_BOUNDS.silentMax, (n) => `${n / 1000}s`);
  }
  let cases = [...DEFAULT_CASES];
  if (raw.cases !== undefined) {
    const named = raw.cases
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const unknown = named.filter((c) => !(CHECK_CASES as readonly string[]).includes(c));
    if (named.length === 0 || unknown.length > 0)
      throw new CheckInputError('--cases', `use a comma list of ${CHECK_CASES.join(', ')} (got '${raw.cases}')`);
    // The handshake decides the protocol every other case speaks, so it always runs first.
    cases = CHECK_CASES.filter((c) => c === 'handshake' || named.includes(c));
  }
  return { cases: cases, limits: limits, seed: 1 };
}

/** Checks a battery request; throws CheckInputError (one line, naming the flag) on bad or unsafe input. */
export function resolveCheckOptions(raw: RawCheckOptions): CheckOptions {
  const target = parseTarget(raw);
  const allowRemote = raw.allowRemote === true;
  const host = new URL(target.origin).hostname;
  if (!allowRemote && !isLoopbackHost(host))
    throw new CheckInputError(
      '--url',
      `${host} is not on loopback (127.0.0.0/8, ::1): add --allow-remote to check a server you run elsewhere`,
    );
  return { target: target, allowRemote: allowRemote, ...resolveBattery(raw) };
}
