/**
 * Chapter 9, row 5: a message under `threshold` between compressed ones under context takeover
 * (websockets/ws#1950; websockets/ws#1954, in ws 8.2.3). `runContextRow` measures
 * (src/history/context.ts) or replays; `showContextRow` shows the RSV1 pattern each sender put on
 * the wire and the sentence `describeContext` words from it.
 */
import {
  CONTEXT_MODES,
  CONTEXT_THRESHOLD,
  contextBlockers,
  contextSequence,
  measureContext,
  rsv1Pattern,
  type ContextMode,
  type ContextRun,
} from '../../history/context';
import { rootVersion } from '../../history/release-dir';
import { showTable, showText } from '../../show/display';
import { replayable } from '../replayable';
import { step } from './step';

/** The release before and the release with the change, as the public report has it. */
export const CONTEXT_PAIR = { before: '8.2.2', after: '8.2.3' } as const;
/** Runs per sender and mode (each on a fresh connection); the pattern counts only when they agree. */
export const CONTEXT_REPEATS = 3;

/** Quick: the pair; full: the pair and today's root ws as senders. Both modes, every repeat. */
export function contextSenders(quick: boolean, rootWs: string): string[] {
  return quick ? [CONTEXT_PAIR.before, CONTEXT_PAIR.after] : [CONTEXT_PAIR.before, CONTEXT_PAIR.after, rootWs];
}

/** Measures row 5 (or replays it under --from-data). */
export async function runContextRow(params: { quick: boolean }): Promise<ContextRun[]> {
  const senders = contextSenders(params.quick, rootVersion('ws'));
  return replayable(
    step('context', { quick: params.quick, senders: senders, repeats: CONTEXT_REPEATS, threshold: CONTEXT_THRESHOLD }),
    async () => {
      const runs: ContextRun[] = [];
      for (let i = 0; i < CONTEXT_REPEATS; i++) runs.push(...(await measureContext(senders, CONTEXT_MODES)));
      return runs;
    },
  );
}

/** One line per sender and mode: the pattern over its repeats, bytes on the wire, decoding. */
export function contextRows(runs: readonly ContextRun[]) {
  const sent = contextSequence().length;
  return summarise(runs).map((s) => ({
    sender: `ws ${s.sender}`,
    mode: s.mode,
    'deflate answer': s.runs[0].deflateAnswer || 'none',
    'message bytes': s.runs[0].messages.map((m) => `${m.bytes}${m.underThreshold ? '*' : ''}`).join(' '),
    'RSV1 pattern': s.pattern ?? `differs: ${s.runs.map(rsv1Pattern).join(' / ')}`,
    'bytes on the wire': s.runs[0].messages.map((m) => m.wireBytes).join(' '),
    'decoded = sent': `${s.decodedEqual} of ${s.messages}`,
    repeats: s.runs.length,
    'could not say': [...new Set(s.runs.flatMap((r) => contextBlockers(r, sent)))].join('; ') || '–',
  }));
}

/** A sender and mode over their repeats. */
interface Summary {
  sender: string;
  mode: ContextMode;
  runs: ContextRun[];
  /** The pattern every repeat showed, or null when they differ or one could not say. */
  pattern: string | null;
  decodedEqual: number;
  messages: number;
}

function summarise(runs: readonly ContextRun[]): Summary[] {
  const sent = contextSequence().length;
  const keys = [...new Set(runs.map((r) => `${r.sender}\n${r.mode}`))];
  return keys.map((key) => {
    const mine = runs.filter((r) => `${r.sender}\n${r.mode}` === key);
    const patterns = new Set(mine.map(rsv1Pattern));
    const usable = mine.every((r) => contextBlockers(r, sent).length === 0);
    return {
      sender: mine[0].sender,
      mode: mine[0].mode,
      runs: mine,
      pattern: usable && patterns.size === 1 ? rsv1Pattern(mine[0]) : null,
      decodedEqual: mine.reduce((n, r) => n + r.messages.filter((m) => m.decodedEqual).length, 0),
      messages: mine.length * sent,
    };
  });
}

const smallMessage = (s: Summary) => s.runs[0].messages.find((m) => m.underThreshold);

/** Words row 5: the pattern from the release before and after, what the small message cost, decoding, the control. */
export function describeContext(runs: readonly ContextRun[]): string {
  const summaries = summarise(runs);
  const find = (sender: string, mode: ContextMode) => summaries.find((s) => s.sender === sender && s.mode === mode);
  const before = find(CONTEXT_PAIR.before, 'context takeover');
  const after = find(CONTEXT_PAIR.after, 'context takeover');
  if (!before || !after || before.pattern === null || after.pattern === null)
    return `The runs cannot say: ${summaries
      .filter((s) => s.pattern === null)
      .map((s) => `ws ${s.sender} (${s.mode})`)
      .join(', ')} gave no single RSV1 pattern over ${CONTEXT_REPEATS} repeats with deflate negotiated.`;
  const small = smallMessage(before);
  const smallAfter = smallMessage(after);
  const sentences: string[] = [];
  const sizes = before.runs[0].messages.map((m) => m.bytes).join(', ');
  sentences.push(
    `With context takeover and threshold ${CONTEXT_THRESHOLD}, ws ${before.sender} sent messages of ${sizes} bytes as RSV1 ${before.pattern}, and ws ${after.sender} as RSV1 ${after.pattern} (the same in ${CONTEXT_REPEATS} of ${CONTEXT_REPEATS} repeats each).`,
  );
  if (small && smallAfter && before.pattern !== after.pattern)
    sentences.push(
      `The ${small.bytes}-byte message under the threshold went out ${small.rsv1 ? 'compressed' : 'uncompressed'} in ${small.wireBytes} bytes from ws ${before.sender} and ${smallAfter.rsv1 ? 'compressed' : 'uncompressed'} in ${smallAfter.wireBytes} bytes from ws ${after.sender}.`,
    );
  const all = summaries.reduce((n, s) => n + s.messages, 0);
  const equal = summaries.reduce((n, s) => n + s.decodedEqual, 0);
  sentences.push(
    equal === all
      ? `The receiving ws ${before.runs[0].receiver} decoded all ${all} messages equal to what was sent, from every sender in both modes: an uncompressed message between compressed ones broke nothing here.`
      : `The receiving ws ${before.runs[0].receiver} decoded ${equal} of ${all} messages equal to what was sent.`,
  );
  const controls = summaries.filter((s) => s.mode === 'no context takeover');
  const kept = controls.filter(
    (s) => s.pattern !== null && s.runs[0].messages.some((m) => m.underThreshold && !m.rsv1),
  );
  if (controls.length > 0)
    sentences.push(
      kept.length === controls.length
        ? `With server_no_context_takeover, every sender still left the small message uncompressed (${controls.map((s) => `ws ${s.sender}: ${s.pattern}`).join('; ')}): the change is for context takeover only.`
        : `With server_no_context_takeover: ${controls.map((s) => `ws ${s.sender}: ${s.pattern ?? 'no single pattern'}`).join('; ')}.`,
    );
  sentences.push(
    before.pattern !== after.pattern
      ? `The change is where the public report puts it (websockets/ws#1954, in ws ${CONTEXT_PAIR.after}).`
      : `No change was measured between ws ${before.sender} and ${after.sender}, though the public report puts one there (websockets/ws#1954, in ws ${CONTEXT_PAIR.after}).`,
  );
  return sentences.join(' ');
}

/** Shows the patterns and the finding. */
export function showContextRow(runs: readonly ContextRun[]): void {
  showTable(contextRows(runs), {
    caption: `A sequence of ${contextSequence().length} text messages from a bare ws server (threshold ${CONTEXT_THRESHOLD}; * under it) to a ws client, frames read off the client's socket`,
  });
  showText(describeContext(runs), { title: 'what the runs show' });
}
