/**
 * Chapter 7, part 5: the disconnect-reason field guide as a reader meets it: one row per cause,
 * the reason each side reported, and the DEBUG lines both sides logged, to match against one's own
 * logs. The cases and their checks live in src/chapters/07-today/field-guide.ts; this part shows them.
 */
import { showHtml, showTable, showText } from '../../show/display';
import { declaredReasons, runFieldGuide, type FieldGuideObservation, type FieldGuideRecord } from './field-guide';
import { collapsible, preText } from '../../show/fragments';
import type { Params } from '../../core/params';
import { replayable } from '../replayable';
import { step } from './step';

/** The guide's run, with the reasons the installed packages declare (read by a search, so measured here). */
export interface GuideRun {
  record: FieldGuideRecord;
  declared: ReturnType<typeof declaredReasons>;
}

/** Runs every case of the guide (a second or two in all), writes its record, and reads the declared reasons. */
export async function runGuide(params: Params): Promise<GuideRun> {
  return replayable(step('field-guide', params), async () => ({
    record: await runFieldGuide(undefined, { quick: params.quick }),
    declared: declaredReasons(),
  }));
}

const said = (side: FieldGuideObservation['server']): string =>
  side.reason === null ? 'nothing before the deadline' : side.detail ? `${side.reason} — ${side.detail}` : side.reason;

/** One row per case. */
export function guideRows(record: FieldGuideRecord) {
  return record.observations.map((o) => ({
    'what happened': o.trigger,
    'server reason (details)': said(o.server),
    'after (server)': o.server.ms === null ? null : `${o.server.ms} ms`,
    'client reason (details)': said(o.client),
    'after (client)': o.client.ms === null ? null : `${o.client.ms} ms`,
    'in production': o.cause,
    'as the case intends':
      o.error === null && o.server.reason === o.expect.server && o.client.reason === o.expect.client
        ? 'yes'
        : `no${o.error ? `: ${o.error}` : ''}`,
  }));
}

/** The DEBUG lines of one case, one per line: time since the trigger, side, namespace, message. */
export function guideLog(o: FieldGuideObservation): string {
  return o.debug
    .map((l) => `+${String(l.ms).padStart(4)} ms  ${l.side.padEnd(6)}  ${l.namespace}  ${l.message}`)
    .join('\n');
}

/** Words the coverage from the installed declarations and the observations. */
export function coverageFinding({ record, declared }: GuideRun): string {
  const server = new Set(record.observations.map((o) => o.server.reason));
  const client = new Set(record.observations.map((o) => o.client.reason));
  const missing = (reasons: string[], seen: Set<string | null>) => reasons.filter((r) => !seen.has(r));
  const ms = missing(declared.server.reasons, server);
  const mc = missing(declared.client.reasons, client);
  return (
    `The installed server declares ${declared.server.reasons.length} reasons (${declared.server.where}); ` +
    (ms.length === 0 ? 'every one was produced above.' : `not produced in this run: ${ms.join(', ')}.`) +
    ` The installed client declares ${declared.client.reasons.length} (${declared.client.where}); ` +
    (mc.length === 0 ? 'every one was produced above.' : `not produced in this run: ${mc.join(', ')}.`)
  );
}

/** Shows the table, the coverage line, and each case's DEBUG lines collapsed under its trigger. */
export function showGuide(guide: GuideRun): void {
  const { record } = guide;
  showTable(guideRows(record), {
    caption: `Disconnect reasons of socket.io ${record.versions['socket.io']} / socket.io-client ${record.versions['socket.io-client']}, each produced on purpose`,
  });
  showText(coverageFinding(guide), { title: 'coverage' });
  showHtml(
    record.observations
      .map((o) =>
        collapsible(
          `DEBUG lines: ${o.trigger} → server '${o.server.reason}', client '${o.client.reason}' (${o.debug.length} lines)`,
          preText(guideLog(o)),
        ),
      )
      .join(''),
    record.observations.map((o) => `${o.trigger}\n${guideLog(o)}`).join('\n\n'),
  );
}
