/**
 * The size cliff across socket.io releases: which releases, at their defaults, deliver a message
 * over 1 MB and which drop the connection that sent it; each major with the client of its own
 * release, then a bisection over socket.io 2.x for the first release that refuses it, judged by
 * what the server did (not by the default it reports). The runs are ./size-cliff-run's.
 */
import { bisect, type BisectMark, type Bisection } from '../bare-ws/bisect';
import { MiB, ParamError } from '../core/params';
import { compareVersions, versionKey } from '../core/version-cache';
import { parseBytes } from '../core/units';
import { STACKS } from '../core/stack-catalog';
import { prepareReleases, runSizeCliffPair, type SizeCliffRun } from './size-cliff-run';

/**
 * The over-limit message: 1.5 MiB (1,572,864 characters). It is over 1 MB whichever way 1 MB is
 * read (engine.io's 1e6 bytes, or 1 MiB), by far more than the few bytes socket.io and engine.io
 * wrap it in, so no release's verdict hangs on the envelope; it is 1/64 of the old 1e8 default, so
 * the old releases are nowhere near their limit; and it is the order of the reported messages
 * (1,268,096 and 1,000,000 characters).
 */
export const OVER_SIZE = 1.5 * MiB;
/** The control: 0.5 MiB, about half of 1e6, well under the new limit and large all the same. */
export const UNDER_SIZE = 0.5 * MiB;

/** Today's socket.io: the root's own install (the catalog's `today` stack), not the version cache. */
const TODAY_RELEASE = STACKS.today.expected['socket.io'] as string;
/** One release per socket.io major, each run against the socket.io-client of the same version (2.x twice: before and after the backport). */
export const MAJOR_RELEASES: readonly string[] = ['1.7.4', '2.4.0', '2.5.0', '3.0.0', TODAY_RELEASE];
/** The pair quick mode runs: the last release before the 2.x backport and the first after it. */
export const QUICK_RELEASES = ['2.4.0', '2.5.0'] as const;
/**
 * Every socket.io 2.x release but 2.0.0 (all pinned under src/stacks/versions/), bisected in semver
 * order. 2.0.0's server cannot start at its defaults: serveClient reads socket.io-client's
 * dist/socket.io.min.js, and socket.io-client 2.0.0 was published without its dist/ files.
 */
export const SOCKET_IO_2X = [
  '2.0.1',
  '2.0.2',
  '2.0.3',
  '2.0.4',
  '2.1.0',
  '2.1.1',
  '2.2.0',
  '2.3.0',
  '2.4.0',
  '2.4.1',
  '2.5.0',
  '2.5.1',
] as const;
/** The client every bisected server meets, so the server is the only thing that changes. */
export const BISECT_CLIENT = '2.4.0';

/**
 * Release dates, for the order statement: semver order and release order part here. From the
 * projects' changelogs (engine.io's and socket.io's CHANGELOG.md, socket.io's 2.5.0 release page).
 */
export const RELEASE_DATES: Record<string, string> = {
  'engine.io@4.0.0': '2020-09-10',
  'socket.io@3.0.0': '2020-11-05',
  'engine.io@3.6.0': '2022-06-06',
  'socket.io@2.5.0': '2022-06-26',
};

/** The public reports of the cliff, and what they say about 2.x. */
export const CLIFF_REPORTS = [
  {
    ref: 'socketio/socket.io #3817',
    year: 2021,
    said: 'socket.io 3.1.1 drops a 1,268,096-character emit; 2.x is fine',
  },
  { ref: 'socketio/socket.io #3946', year: 2021, said: 'v3 and v4 close the socket above 1 MB, v2 is fine' },
] as const;

/** Everything that defines the row's runs. Sizes in characters (one byte each). */
export interface SizeCliffParams {
  quick: boolean;
  overSize: number;
  underSize: number;
  /** socket.io releases, each against the socket.io-client of the same version. */
  releases: string[];
  /** socket.io releases to bisect (semver order is applied); empty for none. */
  bisect: string[];
  bisectClient: string;
}

/** What a parameters cell may give; anything unset takes the quick or full default. */
export interface RawSizeCliffParams {
  quick: boolean;
  overSize?: string | number;
  underSize?: string | number;
  releases?: string[];
  bisect?: string[];
  bisectClient?: string;
}

function checkedVersions(param: string, versions: readonly string[]): string[] {
  for (const v of versions) {
    try {
      versionKey('socket.io', v);
    } catch {
      throw new ParamError(param, `'${v}' is not an exact release: use versions such as 2.4.0`);
    }
  }
  return [...new Set(versions)].sort(compareVersions);
}

function checkedSize(param: string, raw: string | number): number {
  let bytes: number;
  try {
    bytes = parseBytes(raw);
  } catch (error) {
    throw new ParamError(param, (error as Error).message);
  }
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > 64 * MiB)
    throw new ParamError(param, `${raw} is out of range: use 1 B to 64 MiB, e.g. 1.5MiB`);
  return bytes;
}

/** The row's parameters, checked: a one-line error names the parameter and its accepted form. */
export function sizeCliffParams(raw: RawSizeCliffParams): SizeCliffParams {
  const params: SizeCliffParams = {
    quick: raw.quick,
    overSize: checkedSize('overSize', raw.overSize ?? OVER_SIZE),
    underSize: checkedSize('underSize', raw.underSize ?? UNDER_SIZE),
    releases: checkedVersions('releases', raw.releases ?? (raw.quick ? QUICK_RELEASES : MAJOR_RELEASES)),
    bisect: checkedVersions('bisect', raw.bisect ?? (raw.quick ? [] : SOCKET_IO_2X)),
    bisectClient: checkedVersions('bisectClient', [raw.bisectClient ?? BISECT_CLIENT])[0],
  };
  if (params.underSize >= params.overSize)
    throw new ParamError(
      'underSize',
      `${params.underSize} is not under overSize ${params.overSize}: use a smaller control`,
    );
  if (params.releases.length === 0) throw new ParamError('releases', 'empty: name at least one release, e.g. 2.4.0');
  return params;
}

/** What the row measured: one run per release, and the bisection's table. */
export interface SizeCliffResult {
  releases: SizeCliffRun[];
  bisection: { client: string; runs: SizeCliffRun[] };
}

/** Runs every pair, then the bisection table, one run at a time; `onRun` after each. */
export async function measureSizeCliff(
  params: SizeCliffParams,
  onRun: (run: SizeCliffRun, done: number) => void = () => undefined,
): Promise<SizeCliffResult> {
  const sizes = { overSize: params.overSize, underSize: params.underSize };
  const result: SizeCliffResult = { releases: [], bisection: { client: params.bisectClient, runs: [] } };
  await prepareReleases([
    ...[...params.releases, ...params.bisect].map((v) => ({ name: 'socket.io' as const, version: v })),
    ...[...params.releases, params.bisectClient].map((v) => ({ name: 'socket.io-client' as const, version: v })),
  ]);
  let done = 0;
  for (const version of params.releases) {
    const run = await runSizeCliffPair({ server: version, client: version, ...sizes });
    result.releases.push(run);
    onRun(run, ++done);
  }
  for (const version of params.bisect) {
    const run = await runSizeCliffPair({ server: version, client: params.bisectClient, ...sizes });
    result.bisection.runs.push(run);
    onRun(run, ++done);
  }
  return result;
}

/** What the server did with the over-limit message. */
export type CliffBehaviour = 'delivered' | 'refused' | 'inconclusive';

/**
 * Judged by behaviour, with the control: `delivered` when the control and the large message both
 * reached the server's handler and a later message went through on the same session with no
 * disconnect; `refused` when the control arrived, the large message never did, and the server
 * dropped that session; anything else is `inconclusive`, with the reason.
 */
export function cliffBehaviour(run: SizeCliffRun): { behaviour: CliffBehaviour; why: string } {
  const inconclusive = (why: string) => ({ behaviour: 'inconclusive' as const, why: why });
  if (run.status === 'failed') return inconclusive(`the run failed: ${run.runError}`);
  if (!run.under?.delivered) return inconclusive('the under-limit control was not delivered');
  const over = run.over;
  if (over === null) return inconclusive('the large message was not sent');
  if (over.delivered && run.serverDisconnect === null && run.clientDisconnect === null) {
    if (run.after?.delivered && run.after.session === over.session)
      return { behaviour: 'delivered', why: 'delivered, and the session carried a message after it' };
    return inconclusive('the large message arrived, but no later message went through on its session');
  }
  if (!over.delivered && run.overReceived === 0 && run.serverDisconnect !== null)
    return {
      behaviour: 'refused',
      why: `never delivered; the server dropped the session (${run.serverDisconnect.reason})`,
    };
  return inconclusive(
    `the large message was ${over.delivered ? '' : 'not '}delivered, the server ${run.serverDisconnect ? 'dropped' : 'kept'} the session and the client ${run.clientDisconnect ? 'lost' : 'kept'} it`,
  );
}

/** A run's mark for the bisection: `good` is the new behaviour (refuses), `bad` the old one (delivers). */
export function cliffMark(run: SizeCliffRun): BisectMark {
  const { behaviour } = cliffBehaviour(run);
  return behaviour === 'refused' ? 'good' : behaviour === 'delivered' ? 'bad' : 'inconclusive';
}

/** The bisection over the table's runs, in semver order of the server release. */
export function bisectCliff(runs: readonly SizeCliffRun[]): Bisection<string> | null {
  if (runs.length === 0) return null;
  const ordered = [...runs].sort((a, b) => compareVersions(a.spec.server, b.spec.server));
  return bisect(
    ordered.map((r) => r.spec.server),
    new Map(ordered.map((r) => [r.spec.server, cliffMark(r)])),
  );
}
