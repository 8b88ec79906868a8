/**
 * Chapter 6, part 1: the minimal reproducer. The time to the first `invalid compressed data` on
 * the post's release (median of several runs), and how the failure rate moves with message size,
 * fragment size, burst, and CPU load added in the server's process, one factor at a time around
 * the base run. The grid is fixed here, before any run.
 */
import { progress, showChart, showTable } from '../../show/display';
import { KiB, type Params } from '../../core/params';
import { cannotSayNoFailure, classifyBareWs } from '../../traffic/failure-rule';
import { INVALID_COMPRESSED_DATA, runBareWs, type BareWsRecord, type BareWsSpec } from '../../bare-ws/runner';
import { median } from '../../core/stats';
import { formatBytes } from '../../core/units';
import { plural, showFinding } from '../show-finding';
import { baseSpec, describeSending, perMessage, POST_RELEASE, step, withSenders } from './shared-scenario';
import { replayable } from '../replayable';
import { NOT_SHOWN, sendingText, secondsText, untilFailure, untilFailureSpec } from '../until-failure';

export const SERIES_FACTORS = ['message size', 'fragment size', 'burst', 'server load'] as const;
/** What one series varies (everything else stays at the base run's value). */
export type SeriesFactor = (typeof SERIES_FACTORS)[number];

/** The values each factor takes besides the base run's; message sizes come from the notebook. */
interface SeriesGrid {
  fragmentSizes: number[];
  bursts: number[];
  serverLoads: number[];
}

/**
 * Chosen before running. Fragments from a sixth of a typical browser fragment (about 100 KB) to
 * more than twice it; bursts from none to twice the base; load as fractions of the server's event
 * loop. Quick mode keeps one value per factor away from the base.
 */
const GRID: Record<'full' | 'quick', SeriesGrid> = {
  full: { fragmentSizes: [16 * KiB, 64 * KiB, 256 * KiB], bursts: [1, 2, 6], serverLoads: [0, 0.25, 0.5, 0.75] },
  quick: { fragmentSizes: [16 * KiB], bursts: [1], serverLoads: [0, 0.5] },
};

/**
 * The load series runs without bursts. With a burst the client itself sends the next message
 * while the last one still waits for zlib, so the window is open without any load and failures
 * are already as frequent as reconnects allow; one message per tick is where load alone would
 * have to open it, which is the post's question.
 */
export const LOAD_SERIES_BURST = 1;
/**
 * The load series is the post's question, and without bursts a run sends few messages: its runs
 * send this many times longer than the others, with their own no-load level.
 */
export const LOAD_SERIES_DURATION_FACTOR = 2;
/** Below this many messages at any level, the load answer says the sample is too small. */
export const MIN_LOAD_MESSAGES = 20;

/** The first `invalid compressed data` the failure rule counts in a run, ms after sending started; null if there was none. */
export function firstInvalidMs(record: BareWsRecord): number | null {
  const first = classifyBareWs(record.result).failingErrors.find((e) => e.message === INVALID_COMPRESSED_DATA);
  return first ? first.t - record.result.sendWindow.start : null;
}

/** Why a run's failure count says nothing (src/traffic/failure-rule's cannotSayNoFailure once it failed nothing), or null when it does. */
export function unmeasured(record: BareWsRecord): string | null {
  const { result } = record;
  if (result.status !== 'completed') return `the run failed: ${result.runError}`;
  return result.failures > 0 ? null : cannotSayNoFailure(result);
}

/** Repeated runs stopped at their first failure, and their median time to it. */
export interface TimeToFailure {
  /** The message size every run sent. */
  frameSize: number;
  runs: BareWsRecord[];
  limitMs: number;
  /** Median ms to the first `invalid compressed data`; null when more than half the runs never got one. */
  medianMs: number | null;
  /** Runs that completed with their controls and had no `invalid compressed data` within the limit (none at all, or only later). */
  censored: number;
  /** Runs that cannot say either way (they errored, sent nothing, or did not negotiate deflate): neither failed nor "did not fail". */
  unusable: number;
}

/**
 * Median time to the first `invalid compressed data` over the runs that can say. A run without one
 * within the limit counts as "later than the limit"; the median is known only while fewer than
 * half the usable runs are censored. A run that errored or sent nothing counts neither way.
 */
export function timeToFailure(runs: readonly BareWsRecord[], limitMs: number, frameSize: number): TimeToFailure {
  const usable = runs.filter((r) => firstInvalidMs(r) !== null || unmeasured(r) === null);
  const times = usable.map(firstInvalidMs).map((t) => (t !== null && t <= limitMs ? t : Infinity));
  const censored = times.filter((t) => t === Infinity).length;
  const sorted = [...times].sort((a, b) => a - b);
  const middle =
    sorted.length % 2 === 1
      ? [sorted[(sorted.length - 1) / 2]]
      : [sorted[sorted.length / 2 - 1], sorted[sorted.length / 2]];
  const medianMs = usable.length > 0 && middle.every(Number.isFinite) ? Math.round(median(middle)) : null;
  return {
    frameSize,
    runs: [...runs],
    limitMs: limitMs,
    medianMs: medianMs,
    censored: censored,
    unusable: runs.length - usable.length,
  };
}

/**
 * `params.repeats` runs of the base scenario on the post's release at each size given, each stopped
 * at its first failure (bounded by the deadline): one TimeToFailure per size, smallest first.
 */
export async function runTimeToFailure(params: Params): Promise<TimeToFailure[]> {
  return replayable(step('time-to-failure', params), () => measureTimeToFailure(params));
}

async function measureTimeToFailure(params: Params): Promise<TimeToFailure[]> {
  // Shorter in quick mode, where a size that does not fail spends the whole deadline on every run.
  const limitMs = untilFailure('time to failure', params.quick).deadlineMs;
  const sizes = [...params.frameSizes].sort((a, b) => a - b);
  const bar = progress(
    `time to first failure, ws ${POST_RELEASE}, messages of ${sizes.map(formatBytes).join(', ')} ${describeSending(baseSpec(params))}`,
    params.repeats * sizes.length,
  );
  const results: TimeToFailure[] = [];
  let count = 0;
  try {
    await withSenders(async (senders) => {
      for (const size of sizes) {
        const spec: BareWsSpec = {
          ...baseSpec(params, POST_RELEASE, size),
          duration: limitMs,
          stopOnFirstFailure: true,
        };
        const runs: BareWsRecord[] = [];
        for (let i = 0; i < params.repeats; i++) {
          const record = await runBareWs(spec, { quick: params.quick, senders: senders, record: false });
          runs.push(record);
          count++;
          const ms = firstInvalidMs(record);
          bar.tick(1, `${formatBytes(size)}, run ${i + 1}: ${ms === null ? `none within ${limitMs} ms` : `${ms} ms`}`);
        }
        results.push(timeToFailure(runs, limitMs, size));
      }
    });
  } finally {
    bar.done(plural(count, 'run'));
  }
  return results;
}

/** One row per run at each size, then a finding per size, worded from the runs. */
export function showTimeToFailure(sizes: readonly TimeToFailure[]): void {
  showTable(
    sizes.flatMap((ttf) =>
      ttf.runs.map((record, i) => {
        const { result } = record;
        return {
          'message size': formatBytes(ttf.frameSize),
          run: i + 1,
          'ms to first invalid compressed data': firstInvalidMs(record),
          'messages sent': result.sent,
          'zlib said': result.probe.errors[0]
            ? `${result.probe.errors[0].message} (${result.probe.errors[0].code ?? ''})`
            : '',
          'deflate negotiated': result.controls.deflateNegotiated,
          'continuation frames': result.controls.continuationFrames,
          'run error': result.runError ?? '',
        };
      }),
    ),
    {
      caption: sizes[0]?.runs[0]
        ? `ws ${POST_RELEASE}, messages of each size ${describeSending(sizes[0].runs[0].spec)}; each run stopped at its first failure`
        : 'no runs',
    },
  );
  showFinding(
    sizes.map((ttf) => (sizes.length > 1 ? `At ${formatBytes(ttf.frameSize)}: ` : '') + timeToFailureFinding(ttf)),
  );
}

/** The time-to-failure sentence, worded from the runs that can say; errored or empty runs are named apart. */
export function timeToFailureFinding(ttf: TimeToFailure): string {
  const n = ttf.runs.length - ttf.unusable;
  const failed = n - ttf.censored;
  const unusable =
    ttf.unusable > 0
      ? ` ${plural(ttf.unusable, 'run')} errored, sent nothing or did not negotiate deflate, and count neither way.`
      : '';
  const continuation = ttf.runs.reduce((sum, r) => sum + r.result.controls.continuationFrames, 0);
  // Below one fragment, nothing is fragmented: the pool the failure needs is never used (chapter 6's mechanism).
  const unfragmented =
    continuation === 0 && ttf.runs.length > 0
      ? ` The messages were not fragmented (0 continuation frames on the wire in ${plural(ttf.runs.length, 'run')}): ws ${POST_RELEASE}'s fragmented buffer pool was never used, so this size cannot show the failure.`
      : '';
  if (n === 0)
    return `No run could measure the time to the first ${INVALID_COMPRESSED_DATA}.${unusable}${unfragmented}`;
  return (
    (ttf.medianMs !== null
      ? `Median time to the first ${INVALID_COMPRESSED_DATA}: ${ttf.medianMs} ms after sending started, over ${plural(n, 'run')} (${failed} of ${n} failed within ${ttf.limitMs} ms).`
      : `${failed} of ${n} runs failed within ${ttf.limitMs} ms, so the median time to the first ${INVALID_COMPRESSED_DATA} is later than ${ttf.limitMs} ms.`) +
    unusable +
    unfragmented
  );
}

/** One run of the one-factor series. */
export interface SeriesPoint {
  factor: SeriesFactor;
  value: number;
  label: string;
  /** The run is a base run (shared by its size's series but load). */
  base: boolean;
  /** The message size of the base run this point's series moves away from. */
  around: number;
  record: BareWsRecord;
}

function labelFor(factor: SeriesFactor, value: number): string {
  if (factor === 'message size' || factor === 'fragment size') return formatBytes(value);
  if (factor === 'server load') return `${Math.round(value * 100)} %`;
  return String(value);
}

/**
 * At each size given, a base run plus one run per other value of each factor (fragment size, burst,
 * server load), on the post's release. The message-size series is the base runs themselves.
 */
export async function runOneFactorSeries(params: Params): Promise<SeriesPoint[]> {
  return replayable(
    step('one-factor-series', { ...params, untilFailure: untilFailure('one-factor series', params.quick) }),
    () => measureOneFactorSeries(params),
  );
}

/** A series' base run at `size`: the base scenario, sending until its first failure and the series' tail, at most its deadline. */
export function seriesBaseSpec(params: Params, size: number): BareWsSpec {
  return {
    ...baseSpec(params, POST_RELEASE, size),
    ...untilFailureSpec(untilFailure('one-factor series', params.quick)),
  };
}

async function measureOneFactorSeries(params: Params): Promise<SeriesPoint[]> {
  const grid = GRID[params.quick ? 'quick' : 'full'];
  const sizes = [...params.frameSizes].sort((a, b) => a - b);
  const variantsOf = (base: BareWsSpec): Array<[SeriesFactor, number, BareWsSpec]> => [
    ...grid.fragmentSizes
      .filter((s) => s !== base.fragmentSize)
      .map((s): [SeriesFactor, number, BareWsSpec] => ['fragment size', s, { ...base, fragmentSize: s }]),
    ...grid.bursts
      .filter((b) => b !== base.burst)
      .map((b): [SeriesFactor, number, BareWsSpec] => ['burst', b, { ...base, burst: b }]),
    ...grid.serverLoads.map((l): [SeriesFactor, number, BareWsSpec] => [
      'server load',
      l,
      { ...base, burst: LOAD_SERIES_BURST, serverLoad: l, duration: base.duration * LOAD_SERIES_DURATION_FACTOR },
    ]),
  ];
  const total = sizes.reduce((sum, size) => sum + 1 + variantsOf(seriesBaseSpec(params, size)).length, 0);
  const bar = progress(
    `one factor at a time around ${sizes.map(formatBytes).join(', ')}, ws ${POST_RELEASE}, messages ${describeSending(baseSpec(params))}`,
    total,
  );
  const points: SeriesPoint[] = [];
  let runs = 0;
  try {
    await withSenders(async (senders) => {
      for (const size of sizes) {
        const base = seriesBaseSpec(params, size);
        const baseRecord = await runBareWs(base, { quick: params.quick, senders: senders, record: false });
        runs++;
        bar.tick(1, `base at ${formatBytes(size)}: ${baseRecord.result.failures} failures`);
        const baseValues: Array<[SeriesFactor, number]> = [
          ['message size', base.frameSize],
          ['fragment size', base.fragmentSize],
          ['burst', base.burst],
        ];
        for (const [factor, value] of baseValues) {
          points.push({
            factor: factor,
            value: value,
            label: labelFor(factor, value),
            base: true,
            around: size,
            record: baseRecord,
          });
        }
        for (const [factor, value, spec] of variantsOf(base)) {
          const record = await runBareWs(spec, { quick: params.quick, senders: senders, record: false });
          runs++;
          points.push({
            factor: factor,
            value: value,
            label: labelFor(factor, value),
            base: false,
            around: size,
            record: record,
          });
          bar.tick(1, `${formatBytes(size)}, ${factor} ${labelFor(factor, value)}: ${record.result.failures} failures`);
        }
      }
    });
  } finally {
    bar.done(plural(runs, 'run'));
  }
  return points.sort(
    (a, b) =>
      SERIES_FACTORS.indexOf(a.factor) - SERIES_FACTORS.indexOf(b.factor) || a.around - b.around || a.value - b.value,
  );
}

/** The message sizes the series were run around, smallest first. */
function seriesSizes(points: readonly SeriesPoint[]): number[] {
  return [...new Set(points.map((p) => p.around))].sort((a, b) => a - b);
}

/** A point's value as shown: every message-size point is its own series' base, so only the other factors mark theirs. */
function valueLabel(p: SeriesPoint): string {
  return p.base && p.factor !== 'message size' ? `${p.label} (base)` : p.label;
}

/** The series as a table, one row per factor value. */
export function showOneFactorSeries(points: readonly SeriesPoint[]): void {
  const rows = points.map((p) => {
    const { result } = p.record;
    return {
      around: formatBytes(p.around),
      factor: p.factor,
      value: valueLabel(p),
      ...perMessage(p.record),
      'sent for': sendingText(p.record.spec, result.sendWindow.end - result.sendWindow.start, result.firstFailureMs),
      'fragmented messages': result.controls.fragmentedMessages,
      'deflate negotiated': result.controls.deflateNegotiated,
      'server busy % (measured)': Math.round(result.serverLoad.measured * 100),
      'run error': result.runError ?? '',
    };
  });
  const base = points.find((p) => p.base)?.record.spec;
  showTable(rows, {
    caption:
      `One run per value, each sending ${base ? seriesWindowText(base) : ''}, around a base run at each message size; a base run is shared by its size's fragment-size and burst series and is its size's point in the message-size series; ` +
      `the server load series sends at burst ${LOAD_SERIES_BURST}, for at most ${secondsText((base?.duration ?? 0) * LOAD_SERIES_DURATION_FACTOR)} per level`,
  });
}

/** `until its first failure and 0.25 s after it, at most 0.5 s`, or `for 500 ms` (records made before runs went until the failure). */
function seriesWindowText(spec: BareWsSpec): string {
  if (!spec.stopOnFirstFailure) return `for ${spec.duration} ms`;
  const tail = spec.failureTailMs ?? 0;
  return `until its first failure${tail > 0 ? ` and ${secondsText(tail)} after it` : ''}, at most ${secondsText(spec.duration)}`;
}

/** Failures per 100 messages and the back-to-back share, one panel per factor. */
export async function showOneFactorChart(points: readonly SeriesPoint[]): Promise<void> {
  // A run that could not measure (errored, sent nothing) has no bar: it is not a zero.
  const values = points
    .filter((p) => unmeasured(p.record) === null)
    .flatMap((p) => {
      const m = perMessage(p.record);
      return [
        {
          factor: p.factor,
          value: p.label,
          order: p.value,
          around: formatBytes(p.around),
          aroundOrder: p.around,
          measure: 'failures / 100 messages',
          y: m['failures / 100 msgs'],
        },
        {
          factor: p.factor,
          value: p.label,
          order: p.value,
          around: formatBytes(p.around),
          aroundOrder: p.around,
          measure: 'back to back %',
          y: m['back to back %'],
        },
      ].filter((v) => v.y !== null);
    });
  await showChart(
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      data: { values: values },
      facet: {
        row: { field: 'measure', type: 'nominal', sort: ['failures / 100 messages', 'back to back %'], title: null },
        column: { field: 'factor', type: 'nominal', sort: [...SERIES_FACTORS], title: null },
      },
      spec: {
        width: 130,
        height: 110,
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'value', type: 'ordinal', sort: { field: 'order' }, title: null },
          xOffset: { field: 'around', sort: { field: 'aroundOrder' } },
          y: { field: 'y', type: 'quantitative', title: null },
          color: { field: 'around', type: 'nominal', sort: { field: 'aroundOrder' }, title: 'series around' },
        },
      },
      resolve: { scale: { x: 'independent', y: 'independent' } },
    },
    {
      caption:
        'Failures per 100 messages sent (top) and the share of messages read while an earlier one still waited for zlib (bottom), by factor, coloured by the message size each series moves away from; a run that errored or sent nothing has no bar',
    },
  );
}

/** The sentences that answer "does load widen the window?", worded from the load series. */
export function loadAnswer(points: readonly SeriesPoint[]): string[] {
  const series = points.filter((p) => p.factor === 'server load').sort((a, b) => a.value - b.value);
  if (series.length < 2) return ['The load series has fewer than two levels, so it cannot say whether load matters.'];
  const rows = series.map((p) => ({
    p: p,
    m: perMessage(p.record),
    busy: Math.round(p.record.result.serverLoad.measured * 100),
  }));
  const levels = rows.map(({ p, m, busy }) => {
    const why = unmeasured(p.record);
    return why !== null
      ? `${p.label} (measured ${busy} % busy): not measured, ${why}`
      : `${p.label} (measured ${busy} % busy): ${plural(p.record.result.failures, 'failure')} in ${plural(m.sent, 'message')}, ${m['back to back %'] ?? 'no'} % back to back`;
  });
  const unusable = rows.filter((r) => unmeasured(r.p.record) !== null);
  if (unusable.length > 0)
    return [
      `Server load levels (one run each): ${levels.join('; ')}.`,
      `Does added load widen the window? This run cannot say: ${plural(unusable.length, 'level')} did not measure.`,
    ];
  const [low, high] = [rows[0], rows[rows.length - 1]];
  const rate = (r: typeof low) => r.m['failures / 100 msgs'] as number;
  const window = (r: typeof low) => r.m['back to back %'] ?? 0;
  const fewest = Math.min(...rows.map((r) => r.m.sent));
  const up = rate(high) > rate(low) && window(high) > window(low);
  const down = rate(high) < rate(low) && window(high) < window(low);
  const change = `from ${low.p.label} to ${high.p.label}, failures per 100 messages went from ${rate(low)} to ${rate(high)} and the back-to-back share from ${window(low)} % to ${window(high)} %`;
  const answer =
    fewest < MIN_LOAD_MESSAGES
      ? `Does added load widen the window? This run cannot say: a level sent only ${plural(fewest, 'message')}, fewer than the ${MIN_LOAD_MESSAGES} an answer needs (for the record, ${change}).`
      : `Does added load widen the window? In this run, ${up ? 'yes' : down ? 'no, it narrowed it' : 'not clearly'}: ${change}.`;
  return [
    `Server load levels (one run each): ${levels.join('; ')}.`,
    answer,
    `Each of the ${plural(series.length, 'level')} is one run of ${series[0].record.spec.stopOnFirstFailure ? 'at most ' : ''}${series[0].record.spec.duration} ms: read a difference of a failure or two as noise, not as a trend.`,
  ];
}

/** Shows the load answer for each size's series. */
export function showLoadAnswer(points: readonly SeriesPoint[]): void {
  const sizes = seriesSizes(points);
  showFinding(
    sizes.flatMap((size) => {
      const answer = loadAnswer(points.filter((p) => p.around === size));
      return sizes.length > 1 ? [`Around ${formatBytes(size)}:`, ...answer] : answer;
    }),
  );
}

/** The other factors, worded: where failures appear and where they vanish; each series around each size. */
export function oneFactorFindings(points: readonly SeriesPoint[]): string[] {
  const sizes = seriesSizes(points);
  const line = (factor: SeriesFactor, series: readonly SeriesPoint[], where: string) => {
    const parts = series.map((p) => {
      const why = unmeasured(p.record);
      const label = valueLabel(p);
      if (why !== null) return `${label}: not measured (${why})`;
      const { result, spec } = p.record;
      const unfragmented = result.controls.fragmentedMessages === 0 ? ', not fragmented' : '';
      // A zero is no result: the failure was not shown within the run's window.
      const zero =
        result.failures === 0 ? ` (no failure within ${secondsText(spec.duration)}, ${NOT_SHOWN}${unfragmented})` : '';
      return `${label}: ${perMessage(p.record)['failures / 100 msgs']}/100${zero || (unfragmented ? ` (${unfragmented.slice(2)})` : '')}`;
    });
    return `By ${factor}${where}, failures per 100 messages: ${parts.join(', ')}.`;
  };
  return SERIES_FACTORS.filter((f) => f !== 'server load').flatMap((factor) =>
    factor === 'message size'
      ? [
          line(
            factor,
            points.filter((p) => p.factor === factor),
            '',
          ),
        ]
      : sizes.map((size) =>
          line(
            factor,
            points.filter((p) => p.factor === factor && p.around === size),
            sizes.length > 1 ? ` around ${formatBytes(size)}` : '',
          ),
        ),
  );
}

/** Shows the per-factor findings. */
export function showOneFactorFindings(points: readonly SeriesPoint[]): void {
  showFinding(oneFactorFindings(points));
}
