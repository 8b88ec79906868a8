/**
 * Chapter 7, part 2: today's stack with deflate forced on, under the fragmented load that breaks
 * the 2015 stack. The same load runs on 2015 first (it must fail there, or the load proves
 * nothing), then on today; a "no corruption" statement is only worded when the run's own
 * controls allow it (zeroFailureBlockers empty).
 */
import { showTable, showText } from '../../show/display';
import { KiB, MiB, type Params, type StackName } from '../../core/params';
import { FAILING_SCENARIO } from '../../traffic/presets';
import { cannotSayNoFailure, failureReasons, classifyScenario, zeroFailureBlockers } from '../../traffic/failure-rule';
import { runScenario, type ScenarioRecord } from '../../traffic/scenario';
import { formatDuration } from '../../core/units';
import { plural } from '../show-finding';
import { replayable } from '../replayable';
import { step } from './step';

/** The stacks the load runs on, in order: the positive control, then the stack under test. */
export const FRAGMENTED_STACKS: readonly StackName[] = ['2015', 'today'];
/**
 * The control's send window is at least this long (it stops at its first failure, usually within
 * a second): a quick run's shorter window could end before 2015's backlog is decompressed.
 */
export const CONTROL_MIN_DURATION_MS = 5_000;

/** Whether the load broke a run: a disconnect with an error underneath, a zlib error or a corrupted frame, at any time. */
export function broke(record: ScenarioRecord): boolean {
  const r = record.result;
  return (
    classifyScenario(r).failures > 0 ||
    r.corrupted > 0 ||
    r.zlibErrors.length > 0 ||
    r.serverDisconnects.some((d) => d.error !== undefined)
  );
}

/** Runs the breaking load with deflate forced on, on 2015 (stopping at its first failure) and on today. */
export async function runFragmentedLoad(params: Params): Promise<ScenarioRecord[]> {
  return replayable(step('fragmented-load', params), () => measureFragmentedLoad(params));
}

async function measureFragmentedLoad(params: Params): Promise<ScenarioRecord[]> {
  const records: ScenarioRecord[] = [];
  for (const stack of FRAGMENTED_STACKS) {
    records.push(
      await runScenario(
        {
          ...FAILING_SCENARIO,
          stack,
          deflate: 'on',
          seed: params.seed,
          ...(stack === 'today'
            ? { duration: params.duration }
            : { duration: Math.max(params.duration, CONTROL_MIN_DURATION_MS), stopOnFirstFailure: true }),
        },
        { quick: params.quick },
      ),
    );
  }
  return records;
}

/** One row per run: the controls, the outcome, and whether a zero-failure claim is allowed. */
export function fragmentedRows(records: ScenarioRecord[]) {
  return records.map((record) => {
    const { spec, result } = record;
    const blockers = zeroFailureBlockers(record);
    return {
      stack: `${spec.stack} (ws ${record.stack.versions.ws})`,
      'deflate negotiated': result.controls.deflateNegotiated,
      'compressed messages': result.controls.compressedMessages,
      'fragmented messages': result.controls.fragmentedMessages,
      'continuation frames': result.controls.continuationFrames,
      sent: result.sent,
      delivered: result.delivered,
      verified: result.verified,
      corrupted: result.corrupted,
      'zlib errors': result.zlibErrors.map((e) => `${e.message} (${e.code ?? ''}) ×${e.count}`).join(', ') || 'none',
      'failures (the rule)':
        Object.entries(failureReasons(result))
          .map(([r, n]) => `${r} ×${n}`)
          .join(', ') || 'none',
      'server disconnects, any time (error underneath)':
        result.serverDisconnects.map((d) => `${d.reason}${d.error ? ` (${d.error})` : ''}`).join(', ') || 'none',
      'first failure': firstFailureText(record),
      'zero-failure claim': blockers.length === 0 ? 'allowed' : `not allowed: ${blockers.join('; ')}`,
    };
  });
}

/** A run's first failure under the rule; "none" only beside its own controls. */
function firstFailureText(record: ScenarioRecord): string {
  const first = classifyScenario(record.result).firstFailureMs;
  if (first !== null) return formatDuration(first);
  return zeroFailureBlockers(record).length === 0 ? 'none' : 'none counted (unproven)';
}

/** Words the finding from the records: whether the load broke 2015, and what today did under it. */
export function fragmentedFinding(records: ScenarioRecord[]): string {
  const [control, today] = [
    records.find((r) => r.spec.stack === '2015'),
    records.find((r) => r.spec.stack === 'today'),
  ];
  if (!control || !today) return 'The finding needs both runs (2015 and today); one is missing.';
  const c = control.result;
  const errors = [
    ...Object.entries(c.underlyingErrors).map(([e, n]) => `${e} ×${n}`),
    ...c.zlibErrors.map((e) => `zlib: ${e.message} ×${e.count}`),
  ];
  const controlFirst = classifyScenario(c).firstFailureMs;
  const controlText = broke(control)
    ? `On 2015 the load broke the connection${controlFirst === null ? '' : ` ${formatDuration(controlFirst)} after sending began`} (${errors.join(', ') || Object.keys(failureReasons(c)).join(', ')}; ${c.delivered} of ${c.sent} frames delivered), so it is a load that breaks the 2015 stack.`
    : cannotSayNoFailure(c) !== null
      ? `On 2015 the run cannot say whether the load breaks the stack (${cannotSayNoFailure(c)}), so it proves nothing about today.`
      : 'On 2015 the load did not break anything in this run, so it proves nothing about today: rerun with a longer duration.';
  const blockers = zeroFailureBlockers(today);
  const t = today.result;
  const zlibErrors = t.zlibErrors.reduce((n, e) => n + e.count, 0);
  // zlib's errors are not failures under the rule (the server may survive one), but "no error" is a zero of its own.
  if (zlibErrors > 0)
    blockers.push(`zlib reported ${plural(zlibErrors, 'error')} (${t.zlibErrors.map((e) => e.message).join(', ')})`);
  const todayText =
    blockers.length === 0
      ? `On today's stack (ws ${today.stack.versions.ws}) with deflate forced on, the same load delivered ${t.delivered} of ${t.sent} frames, every checksum matched (${t.verified} verified, ${t.corrupted} corrupted), zlib reported no error, and nothing disconnected, with the controls holding: deflate negotiated on ${t.wire.deflateHandshakes} of ${t.wire.handshakes} handshakes, ${t.controls.compressedMessages} compressed messages, ${t.controls.continuationFrames} continuation frames.`
      : `On today's stack a zero-failure statement is not allowed by this run: ${blockers.join('; ')}.`;
  return `${controlText} ${todayText}`;
}

/** Shows the table and the generated finding. */
export function showFragmentedLoad(records: ScenarioRecord[]): void {
  const s = records[0]?.spec;
  showTable(fragmentedRows(records), {
    caption: s
      ? `${s.clients} fragmenting clients, ${s.frameSize / MiB} MiB ${s.payload} frames in ${s.fragmentSize / KiB} KiB fragments, ${s.burst} back to back ${s.rate}×/s, deflate forced on`
      : 'no runs',
  });
  showText(fragmentedFinding(records), { title: 'what the runs show' });
}
