/**
 * Chapter 9, the size cliff across socket.io releases: a message over 1 MB on each major at its
 * defaults (what the server does, what each side reports, how the client comes back), 2.4.0 against
 * 2.5.0, and the bisection over 2.x for the first release that refuses it. Measuring is
 * src/history/size-cliff; this file shows it and words the finding from the runs.
 */
import {
  bisectCliff,
  cliffBehaviour,
  CLIFF_REPORTS,
  measureSizeCliff,
  RELEASE_DATES,
  type SizeCliffParams,
  type SizeCliffResult,
} from '../../history/size-cliff';
import type { SizeCliffRun } from '../../history/size-cliff-run';
import { compareVersions } from '../../core/version-cache';
import { formatBytes, formatDuration } from '../../core/units';
import { progress, showChart, showTable, showText } from '../../show/display';
import { replayable } from '../replayable';
import { step } from './step';

/** Runs the row's pairs and bisection table (in this process), or replays them. */
export async function runSizeCliff(params: SizeCliffParams): Promise<SizeCliffResult> {
  return replayable(step('cliff', params), async () => {
    const bar = progress('the size cliff, release by release', params.releases.length + params.bisect.length);
    try {
      return await measureSizeCliff(params, (run) =>
        bar.tick(1, `socket.io ${run.spec.server}: ${cliffBehaviour(run).behaviour}`),
      );
    } finally {
      bar.done();
    }
  });
}

const n = (x: number): string => x.toLocaleString('en-US');
const list = (items: readonly string[]): string =>
  items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;

/** The over-limit message against the limit read from each running server: where the limit does not predict the behaviour. */
export function limitMismatches(runs: readonly SizeCliffRun[]): string[] {
  return runs.flatMap((run) => {
    const { behaviour } = cliffBehaviour(run);
    if (behaviour === 'inconclusive' || !run.server || !run.over?.wireBytes) return [];
    const over = run.over.wireBytes > run.server.maxHttpBufferSize;
    return over === (behaviour === 'refused') ? [] : [run.spec.server];
  });
}

function byBehaviour(runs: readonly SizeCliffRun[], behaviour: string): SizeCliffRun[] {
  return runs.filter((r) => cliffBehaviour(r).behaviour === behaviour);
}

/** What one side said on each refused run, grouped: `'transport close' (close code 1009) on 2.5.0 and 4.8.4, …`. */
function sideSaid(refused: readonly SizeCliffRun[], side: 'server' | 'client'): string {
  const groups = new Map<string, string[]>();
  for (const run of refused) {
    const d = side === 'server' ? run.serverDisconnect : run.clientDisconnect;
    const key = d ? `'${d.reason}'${d.detail ? ` (${d.detail})` : ''}` : 'nothing';
    groups.set(key, [...(groups.get(key) ?? []), run.spec.server]);
  }
  if (groups.size === 1) return `${[...groups.keys()][0]}${refused.length > 1 ? ' every time' : ''}`;
  return list([...groups].map(([key, versions]) => `${key} on ${list(versions)}`));
}

/** Versions as a span when they are a run of neighbours in `all` (`2.0.1 to 2.4.1, 10 releases`), else listed. */
function span(versions: readonly string[], all: readonly string[]): string {
  const sorted = [...versions].sort(compareVersions);
  const at = all.indexOf(sorted[0]);
  const neighbours = at >= 0 && sorted.every((v, i) => all[at + i] === v);
  return neighbours && sorted.length > 3
    ? `${sorted[0]} to ${sorted[sorted.length - 1]} (${sorted.length} releases)`
    : list(sorted);
}

function reconnectText(refused: readonly SizeCliffRun[]): string {
  const back = refused.filter((r) => r.reconnect !== null);
  const stuck = refused.filter((r) => r.reconnect === null).map((r) => r.spec.server);
  const times = back.map((r) => r.reconnect?.afterMs ?? 0);
  const parts: string[] = [];
  if (back.length > 0)
    parts.push(
      `the client reconnected on its own after ${times.length === 1 ? formatDuration(times[0]) : `${formatDuration(Math.min(...times))} to ${formatDuration(Math.max(...times))}`}` +
        `${back.every((r) => r.reconnect?.newSessionId) ? ', with a new session id' : ''}` +
        `${back.every((r) => r.overReceived === 0) ? ', and the large message was lost, not sent again' : ''}`,
    );
  if (stuck.length > 0) parts.push(`on ${list(stuck)} the client did not come back within the window`);
  return parts.join('; ');
}

/** The majors in a few sentences: who delivers, who refuses, what each side says, and how the client comes back. */
export function describeReleases(runs: readonly SizeCliffRun[]): string {
  if (runs.length === 0) return 'No release was run.';
  const size = formatBytes(runs[0].spec.overSize);
  const control = formatBytes(runs[0].spec.underSize);
  const delivered = byBehaviour(runs, 'delivered');
  const refused = byBehaviour(runs, 'refused');
  const unclear = byBehaviour(runs, 'inconclusive');
  const limits = (rs: readonly SizeCliffRun[]) =>
    list([...new Set(rs.map((r) => n(r.server?.maxHttpBufferSize ?? NaN)))].map((x) => `${x} bytes`));
  const parts: string[] = [];
  if (delivered.length > 0)
    parts.push(
      `At their defaults, socket.io ${list(delivered.map((r) => r.spec.server))} delivered a ${size} message (default limit ${limits(delivered)})`,
    );
  if (refused.length > 0)
    parts.push(
      `${delivered.length > 0 ? '' : 'At their defaults, '}socket.io ${list(refused.map((r) => r.spec.server))} dropped the connection that sent it (default limit ${limits(refused)}), ` +
        `the server saying ${sideSaid(refused, 'server')} and the client ${sideSaid(refused, 'client')}; ${reconnectText(refused)}`,
    );
  const sentences = [`${parts.join('; ')}.`];
  if (delivered.length + refused.length > 0)
    sentences.push(`A ${control} control message reached the server first on every one of them.`);
  if (unclear.length > 0)
    sentences.push(
      `Not conclusive: ${unclear.map((r) => `socket.io ${r.spec.server} (${cliffBehaviour(r).why})`).join('; ')}.`,
    );
  const mismatched = limitMismatches(runs);
  sentences.push(
    mismatched.length === 0
      ? 'The default read from each running server predicts every outcome.'
      : `The default read from the running server does not predict ${list(mismatched)}: look at those runs.`,
  );
  return sentences.join(' ');
}

const engineText = (run: SizeCliffRun | undefined): string =>
  run?.server
    ? `engine.io ${run.server.engineIo} (its range ${run.server.engineIoRange}, default ${n(run.server.maxHttpBufferSize)})`
    : 'an engine.io not read';

/** The bisection in words: the first release that refuses, the engine.io it resolved, and the order it walked. */
export function describeBisection(result: SizeCliffResult): string {
  const { runs, client } = result.bisection;
  const bisection = bisectCliff(runs);
  if (bisection === null) return 'No bisection was run.';
  const ordered = [...runs].sort((a, b) => compareVersions(a.spec.server, b.spec.server));
  const find = (v: string | null) => ordered.find((r) => r.spec.server === v);
  const scope = `${ordered.length} socket.io releases from ${ordered[0].spec.server} to ${ordered[ordered.length - 1].spec.server}, in semver order, each against socket.io-client ${client}`;
  switch (bisection.shape) {
    case 'nothing conclusive':
      return `Over ${scope}, no release gave a conclusive result, so there is nothing to bisect.`;
    case 'never bad':
      return `Over ${scope}, every conclusive release refused the message: the change is older than this range.`;
    case 'never good':
      return `Over ${scope}, every conclusive release delivered the message: none of them has the 1 MB default.`;
    case 'not monotonic':
      return `Over ${scope}, the releases do not change once (${bisection.transitions.map((t) => `${t.kind === 'fixed' ? 'refusing' : 'delivering again'} from ${t.to}`).join(', then ')}), so there is no single first release that refuses.`;
    case 'single fix': {
      const first = find(bisection.firstGood);
      const last = find(bisection.lastBad);
      const between = bisection.untestedBetween;
      const head = `Bisected over ${scope}: the first release that refuses the message is ${bisection.firstGood}, on ${engineText(first)}; ${bisection.lastBad} before it, on ${engineText(last)}, delivers it`;
      return between.length > 0
        ? `${head}; ${list(between)} between them could not be judged, so the change is in one of ${list([...between, bisection.firstGood ?? '?'])}.`
        : `${head}; every other release agrees (probes of the binary search: ${bisection.probes.join(', ')}).`;
    }
  }
}

const monthsBetween = (from: string, to: string): number =>
  Math.round((Date.parse(to) - Date.parse(from)) / (30.44 * 24 * 3_600_000));

/**
 * The order the bisection uses, and where semver and release order part: engine.io 4.0.0 (socket.io
 * 3.0.0) had the 1 MB default before engine.io 3.6.0 (socket.io 2.5.0) brought it to 2.x.
 */
export function describeOrder(): string {
  const d = RELEASE_DATES;
  return (
    `Across majors, semver order and release order part: ` +
    `engine.io 4.0.0 (${d['engine.io@4.0.0']}, under socket.io 3.0.0 of ${d['socket.io@3.0.0']}) had the 1 MB default ` +
    `${monthsBetween(d['engine.io@4.0.0'], d['engine.io@3.6.0'])} months before engine.io 3.6.0 (${d['engine.io@3.6.0']}) ` +
    `brought it to 2.x, under socket.io 2.5.0 (${d['socket.io@2.5.0']}): by semver 2.5.0 comes before 3.0.0, by date after.`
  );
}

/** `which resolves engine.io 3.6.2 today, not the 3.6.0 it first took`: a lockfile made now takes the range's newest release. */
export function resolvesText(range: string, resolved: string): string {
  const base = /^[~^]?(\d+\.\d+\.\d+)$/.exec(range)?.[1];
  return base === undefined || base === resolved
    ? `which resolves engine.io ${resolved}`
    : `which resolves engine.io ${resolved} today, not the ${base} it first took`;
}

/** Where the measurement agrees or disagrees with the public reports (which call 2.x fine), and what 2.5.0's own changelog says. */
export function describeAgainstReports(result: SizeCliffResult): string {
  const twoX = [...result.bisection.runs, ...result.releases].filter((r) => r.spec.server.startsWith('2.'));
  const refusing = [...new Set(byBehaviour(twoX, 'refused').map((r) => r.spec.server))].sort(compareVersions);
  const delivering = [...new Set(byBehaviour(twoX, 'delivered').map((r) => r.spec.server))].sort(compareVersions);
  const years = [...new Set(CLIFF_REPORTS.map((r) => r.year))];
  const reports = `The reports of ${list(years.map(String))} (${list(CLIFF_REPORTS.map((r) => r.ref))}) call 2.x fine`;
  if (twoX.length === 0) return `${reports}; no 2.x release was run here.`;
  if (refusing.length === 0)
    return `${reports}; measured, every 2.x release run here (${list(delivering)}) agrees: it delivers the message.`;
  const first = twoX.find((r) => r.spec.server === refusing[0]);
  const changelog =
    first?.server?.changelogNamesLimit === false
      ? ` The CHANGELOG.md shipped in socket.io ${refusing[0]} does not name maxHttpBufferSize: the change came in through its engine.io range ${first.server.engineIoRange}, ${resolvesText(first.server.engineIoRange, first.server.engineIo)}.`
      : '';
  const later = byBehaviour(
    result.releases.filter((r) => compareVersions(r.spec.server, '3.0.0') >= 0),
    'refused',
  ).map((r) => r.spec.server);
  const all = [...new Set(twoX.map((r) => r.spec.server))].sort(compareVersions);
  const verb = (vs: readonly unknown[], one: string, many: string) => (vs.length === 1 ? one : many);
  const firstDate = RELEASE_DATES[`socket.io@${refusing[0]}`] as string | undefined;
  const reportYear = Math.max(...CLIFF_REPORTS.map((r) => r.year));
  return (
    `${reports}; measured here, ${delivering.length > 0 ? `socket.io ${span(delivering, all)} ${verb(delivering, 'delivers', 'deliver')} it, but ` : ''}` +
    `socket.io ${span(refusing, all)} ${verb(refusing, 'refuses', 'refuse')} it${later.length > 0 ? `, as ${list(later)} ${verb(later, 'does', 'do')}` : ''}` +
    `${firstDate && firstDate.slice(0, 4) > String(reportYear) ? `; ${refusing[0]} (${firstDate}) came out after ${verb(CLIFF_REPORTS, 'the report', 'both reports')}` : ''}.${changelog}`
  );
}

/** The table of runs: versions, the default read from the server, the message, and what each side saw. */
export function cliffRunRows(runs: readonly SizeCliffRun[]) {
  return runs.map((run) => {
    const { behaviour } = cliffBehaviour(run);
    const s = run.serverDisconnect;
    const c = run.clientDisconnect;
    return {
      'socket.io': run.spec.server,
      'socket.io-client': run.spec.client,
      'engine.io (resolved)': run.server?.engineIo ?? '?',
      'WebSocket engine': run.server?.wsEngine ?? '?',
      'default limit (bytes)': run.server?.maxHttpBufferSize ?? null,
      'control delivered': run.under ? `${formatBytes(run.under.chars)}: ${run.under.delivered ? 'yes' : 'no'}` : '?',
      'message (bytes)': run.over?.wireBytes ?? null,
      'large message': behaviour,
      'server said': s ? `${s.reason}${s.detail ? ` (${s.detail})` : ''}` : 'nothing',
      'client said': c ? `${c.reason}${c.detail ? ` (${c.detail})` : ''}` : 'nothing',
      'client came back': c === null ? '-' : run.reconnect ? `after ${formatDuration(run.reconnect.afterMs)}` : 'no',
      'next message': run.after ? (run.after.delivered ? `delivered (session ${run.after.session})` : 'lost') : '-',
    };
  });
}

/** Every conclusive run as a point: release, default limit (log scale), what happened; a rule at the message size. */
async function showCliffChart(result: SizeCliffResult): Promise<void> {
  const points = [
    ...result.releases.map((r) => ({ run: r, table: 'own client' })),
    ...result.bisection.runs.map((r) => ({ run: r, table: `client ${result.bisection.client}` })),
  ].filter(({ run }) => run.server !== null);
  const message = result.releases[0]?.over?.wireBytes ?? result.releases[0]?.spec.overSize;
  const versions = [...new Set(points.map((p) => p.run.spec.server))].sort(compareVersions);
  await showChart(
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      width: 420,
      height: 200,
      layer: [
        {
          data: {
            values: points.map(({ run, table }) => ({
              release: run.spec.server,
              limit: run.server?.maxHttpBufferSize,
              outcome: cliffBehaviour(run).behaviour,
              client: table,
            })),
          },
          mark: { type: 'point', filled: true, size: 80 },
          encoding: {
            x: { field: 'release', type: 'ordinal', sort: versions, title: 'socket.io release (semver order)' },
            y: {
              field: 'limit',
              type: 'quantitative',
              scale: { type: 'log' },
              axis: { values: [1e5, 1e6, 1e7, 1e8, 1e9] },
              title: 'default maxHttpBufferSize (bytes)',
            },
            color: { field: 'outcome', type: 'nominal', title: 'large message' },
            shape: { field: 'client', type: 'nominal' },
          },
        },
        {
          data: { values: [{ bytes: message, label: 'the message' }] },
          layer: [
            { mark: { type: 'rule', strokeDash: [4, 4] } },
            {
              mark: { type: 'text', align: 'left', dx: 4, dy: -6 },
              encoding: { text: { field: 'label' }, x: { value: 0 } },
            },
          ],
          encoding: { y: { field: 'bytes', type: 'quantitative' } },
        },
      ],
    },
    {
      caption: `Default limit read from each running server, and what it did with the ${message === undefined ? '' : `${n(message)}-byte `}message (dashed line)`,
    },
  );
}

/** Shows the releases' table, the bisection's table, the chart and the finding, all from the runs. */
export async function showSizeCliff(result: SizeCliffResult): Promise<void> {
  const first = result.releases[0]?.spec;
  showTable(cliffRunRows(result.releases), {
    caption: first
      ? `Each release at its defaults against the socket.io-client of the same version, over the websocket transport: a ${formatBytes(first.underSize)} control, then a ${formatBytes(first.overSize)} message (one client, in this process)`
      : 'no runs',
  });
  if (result.bisection.runs.length > 0)
    showTable(cliffRunRows(result.bisection.runs), {
      caption: `The bisection's table: socket.io 2.x releases against socket.io-client ${result.bisection.client}`,
    });
  await showCliffChart(result);
  showText(describeSizeCliff(result), { title: 'what the runs show' });
}

/** The row's finding: the releases, the bisection, the order it used and the reports, worded from the runs. */
export function describeSizeCliff(result: SizeCliffResult): string {
  const parts = [describeReleases(result.releases)];
  if (result.bisection.runs.length > 0) parts.push(describeBisection(result), describeOrder());
  parts.push(describeAgainstReports(result));
  return parts.join(' ');
}
