/**
 * Chapter 9, row 6: browsers and the empty final fragment. Runs the framings of
 * src/history/empty-fragment.ts in headless Chromium and Firefox ESR, shows what each connection
 * received, and words whether each browser accepts a compressed message that ends in an empty
 * final continuation frame, judged only where the run's own controls held.
 */
import { showTable, showText, progress } from '../../show/display';
import {
  BROWSER_LABELS,
  BROWSERS,
  emptyFragmentParams,
  FRAMING_LABELS,
  framingVerdicts,
  measureEmptyFragment,
  REFUSAL_CONTROL,
  type BrowserRun,
  type EmptyFragmentResult,
  type Framing,
  type FramingVerdict,
  type FrameSummary,
} from '../../history/empty-fragment';
import { replayable } from '../replayable';
import { step } from './step';

/** Runs every framing in each browser of the mode (quick: Chromium only), or replays the record. */
export async function runEmptyFragment(options: { quick: boolean }): Promise<EmptyFragmentResult> {
  const params = emptyFragmentParams(options.quick);
  return replayable(step('empty-fragment', params), async () => {
    const bar = progress('browsers and the empty final fragment', params.browsers.length);
    try {
      return await measureEmptyFragment(params, (browser, finished) => {
        if (finished) bar.tick(1, `${BROWSER_LABELS[browser]} done`);
        else bar.set(`${BROWSER_LABELS[browser]}: ${params.repeats} connections per framing`);
      });
    } finally {
      bar.done();
    }
  });
}

const CONTROLS: readonly Framing[] = ['one-frame', 'split'];

/** A frame as hex header bytes and payload length: `41 56 +86 B`. */
function frameText(frame: FrameSummary): string {
  return `${frame.header.replace(/(..)(?=.)/g, '$1 ')} +${frame.length} B`;
}

function browserName(run: BrowserRun): string {
  return run.version === null ? BROWSER_LABELS[run.browser] : `${BROWSER_LABELS[run.browser]} ${run.version}`;
}

/** Why a browser's case cannot be judged: its controls that did not hold (empty when they all did). */
export function controlBlockers(result: EmptyFragmentResult, verdicts: readonly FramingVerdict[]): string[] {
  const byFraming = new Map(verdicts.map((v) => [v.framing, v]));
  const blockers: string[] = [];
  if (!verdicts.every((v) => v.negotiated)) blockers.push('permessage-deflate was not negotiated on every connection');
  for (const control of CONTROLS)
    if (byFraming.get(control)?.outcome !== 'accepted')
      blockers.push(`the control '${FRAMING_LABELS[control]}' was not accepted on every connection`);
  if (byFraming.get(REFUSAL_CONTROL)?.outcome !== 'refused')
    blockers.push('the forbidden RSV1 on a continuation frame was not refused on every connection');
  const finals = result.frames['empty-final'].map((frames) => frames[frames.length - 1]);
  if (!finals.every((f) => f.fin && !f.rsv1 && f.opcode === 0 && f.length === 0))
    blockers.push('the case did not end its messages in an empty final continuation frame on the wire');
  return blockers;
}

/** One row per browser and framing: the frames written, and what the page and the server saw. */
export function emptyFragmentRows(result: EmptyFragmentResult) {
  return result.runs.flatMap((run) =>
    framingVerdicts(run, result.messages).map((v) => ({
      browser: browserName(run),
      framing: FRAMING_LABELS[v.framing],
      'frames of message 1 (header, payload)': result.frames[v.framing][0].map(frameText).join(' | '),
      outcome: v.outcome,
      accepted: `${v.counts.accepted ?? 0}/${v.repeats}`,
      'page close code': v.pageCloseCodes.join(', '),
      "browser's close frame": v.browserCloseCodes.join(', '),
      'browser said': v.said.join(' / ') || '—',
    })),
  );
}

const count = (v: FramingVerdict, outcome: keyof FramingVerdict['counts']) =>
  `${v.counts[outcome] ?? 0} of ${v.repeats}`;

/** How a refusal looked: the close codes on both sides and what the browser logged. */
function refusalText(v: FramingVerdict): string {
  const frame = v.browserCloseCodes.filter((c) => c !== 'none');
  const said = v.said.length > 0 ? `, logging "${v.said.join('" / "')}"` : '';
  return (
    `the page saw close code ${v.pageCloseCodes.join(', ')}, ` +
    (frame.length > 0
      ? `the browser sent the server a close frame with ${frame.join(', ')}`
      : 'the browser sent the server no close frame') +
    said
  );
}

function verdictText(v: FramingVerdict): string {
  switch (v.outcome) {
    case 'accepted':
      return `accepted (${count(v, 'accepted')} connections)`;
    case 'refused':
      return `refused (${count(v, 'refused')} connections: ${refusalText(v)})`;
    case 'wrong text':
      return `delivered text that differs from what was sent (${count(v, 'wrong text')} connections)`;
    case 'timed out':
      return `neither delivered nor refused within the time allowed (${count(v, 'timed out')} connections)`;
    case 'mixed':
      return `not consistent: ${Object.entries(v.counts)
        .map(([o, n]) => `${o} ${n} of ${v.repeats}`)
        .join(', ')}`;
  }
}

/** The sentences for one browser, and the outcome of its case when its controls held (absent otherwise). */
function browserSentences(result: EmptyFragmentResult, run: BrowserRun): { text: string; caseOutcome?: string } {
  const name = browserName(run);
  if (run.unavailable !== null) return { text: `${name} could not be driven: ${run.unavailable}.` };
  const verdicts = framingVerdicts(run, result.messages);
  const blockers = controlBlockers(result, verdicts);
  if (blockers.length > 0) return { text: `${name}: cannot say, because ${blockers.join('; ')}.` };
  const of = (framing: Framing) => verdicts.find((v) => v.framing === framing) as FramingVerdict;
  const theCase = of('empty-final');
  const caseText =
    theCase.outcome === 'accepted'
      ? `${name} accepted a compressed message ending in an empty final continuation frame: in ${count(theCase, 'accepted')} connections both messages arrived with the text sent and the connection closed normally (1000).`
      : `${name}, given a compressed message ending in an empty final continuation frame, ${verdictText(theCase)}.`;
  return {
    text:
      `${caseText} The final frame of one 0x00 byte after the kept flush (§7.2.3.6) was ${verdictText(of('zero-byte-final'))}; ` +
      `RSV1 on that final frame was ${verdictText(of(REFUSAL_CONTROL))}, so a refusal shows when there is one.`,
    caseOutcome: theCase.outcome,
  };
}

/** Words the row from the data: each browser's verdict on the case, its controls, and what follows for servers. */
export function describeEmptyFragment(result: EmptyFragmentResult): string {
  const parts = result.runs.map((run) => ({ run, ...browserSentences(result, run) }));
  const sentences = parts.map((p) => p.text);
  const notRun = BROWSERS.filter((b) => !result.params.browsers.includes(b));
  if (notRun.length > 0)
    sentences.push(
      `${notRun.map((b) => BROWSER_LABELS[b]).join(' and ')} did not run (a quick run drives Chromium only).`,
    );
  const judged = parts.filter((p) => p.caseOutcome !== undefined);
  const names = (ps: typeof parts) => ps.map((p) => BROWSER_LABELS[p.run.browser]).join(' and ');
  const accepting = judged.filter((p) => p.caseOutcome === 'accepted');
  const refusing = judged.filter((p) => p.caseOutcome === 'refused');
  if (judged.length > 0 && accepting.length === judged.length)
    sentences.push(
      `A server may end a compressed message with an empty final frame: ${names(accepting)} ${accepting.length === 1 ? 'accepts' : 'accept'} it.`,
    );
  else if (refusing.length > 0)
    sentences.push(
      `A server that ends compressed messages with an empty final frame loses ${names(refusing)}'s connections.`,
    );
  return sentences.join(' ');
}

/** Shows the table of framings by browser, and the finding worded from it. */
export function showEmptyFragment(result: EmptyFragmentResult): void {
  const versions = result.runs
    .map((run) => `${browserName(run)}${run.userAgent ? ` (${run.userAgent})` : ''}`)
    .join('; ');
  showTable(emptyFragmentRows(result), {
    caption:
      `Each connection: two compressed text messages (${result.messages.map((m) => Buffer.byteLength(m)).join(' and ')} bytes, ` +
      `${result.compressedBytes.join(' and ')} bytes compressed, context kept), then the server's close (1000); ` +
      `${result.params.repeats} connections per framing and browser, one at a time, on 127.0.0.1. Browsers: ${versions}.`,
  });
  showText(describeEmptyFragment(result), { title: 'what the runs show' });
}
