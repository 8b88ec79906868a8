/**
 * The report's verdicts: every claim the chapters judged (ChapterFindings.judgements), listed after
 * the findings with its verdict, the kind of run it came from, its basis and what would settle it;
 * and the methods box that says how those verdicts are judged. The box's constants (the confidence
 * level, the fewest runs, the zero's bound) and the table of finer words are read from the code
 * that uses them, so the box cannot say one thing while the code does another. Pure.
 */
import { CONFIDENCE, MIN_CPU_MS_PER_SIDE, MIN_UNITS, ZERO_EVENTS_BOUND } from '../core/stats';
import { formatDuration } from '../core/units';
import { CLAIM_VERDICTS, FINER_VERDICTS, judgementRow, type ClaimVerdict, type Judgement } from '../core/verdict';
import { escapeText } from '../show/fragments';
import type { FindingsSource } from '../chapters/findings';

/** The anchor of the methods box, on the contents page and in the one file. */
export const METHODS_ID = 'methods';

/** One judged claim, with the chapter that holds its evidence. */
export interface ReportJudgement {
  number: number;
  slug: string;
  title: string;
  /** From an earlier run (`--only` named other chapters). */
  kept: boolean;
  judgement: Judgement;
}

/** Every chapter's judgements, in chapter order; a findings file without them adds none. */
export function reportJudgements(sources: readonly FindingsSource[]): ReportJudgement[] {
  return [...sources]
    .sort((a, b) => a.number - b.number)
    .flatMap((source) =>
      (source.findings?.judgements ?? []).map((judgement) => ({
        number: source.number,
        slug: source.slug,
        title: source.title,
        kept: source.kept,
        judgement: judgement,
      })),
    );
}

const VERDICT_CLASS: Record<ClaimVerdict, string> = {
  holds: 'dl-verdict-holds',
  'does not hold': 'dl-verdict-not',
  'not settled': 'dl-verdict-open',
};

/** Styles of the verdict table and the methods box. */
export const VERDICTS_CSS = [
  '.dl-verdicts td{vertical-align:top}.dl-verdicts td:first-child{min-width:16em}',
  '.dl-verdict-holds{color:#1a7f37;font-weight:600}.dl-verdict-not{color:#b42318;font-weight:600}',
  '.dl-verdict-open{color:#8a5a00;font-weight:600}',
  '.dl-methods{border:1px solid #c9d1dc;background:#f7f9fb;padding:4px 14px;max-width:60em;font-size:14px;line-height:1.45}',
  '.dl-methods li{margin:4px 0}',
].join('');

/**
 * The judged claims as a table (claim and chapter, verdict with its quick or full run, basis, what
 * would settle it),
 * each chapter linking through `href`; empty when no chapter judged a claim.
 */
export function judgementsHtml(judgements: readonly ReportJudgement[], href: (slug: string) => string): string {
  if (judgements.length === 0) return '';
  // Hand-written rather than htmlTable: the claim cell holds a link and the verdict a class, and htmlTable escapes every cell.
  const head = ['Claim', 'Verdict (run)', 'Basis', 'What would settle it']
    .map((h) => `<th>${escapeText(h)}</th>`)
    .join('');
  const rows = judgements.map(({ number, slug, kept, judgement }) => {
    const row = judgementRow(judgement);
    const verdict = `${row.verdict}${kept ? ', kept from an earlier report run' : ''}`;
    return [
      `<td>${escapeText(row.claim)} <a class="dl-evidence" href="${escapeText(href(slug))}">(chapter ${number})</a></td>`,
      `<td class="${VERDICT_CLASS[judgement.verdict]}">${escapeText(verdict)}</td>`,
      `<td>${escapeText(row.basis)}</td>`,
      `<td>${escapeText(row['would settle it'])}</td>`,
    ].join('');
  });
  return [
    `<h3>Verdicts</h3>`,
    `<p>Each claim this run judged: <b>holds</b>, <b>does not hold</b> or <b>not settled</b>, from the interval, never the point estimate (<a href="#${METHODS_ID}">how verdicts are judged</a>).</p>`,
    `<div class="dl-scroll"><table class="dl-table dl-verdicts"><thead><tr>${head}</tr></thead><tbody>${rows.map((r) => `<tr>${r}</tr>`).join('')}</tbody></table></div>`,
  ].join('');
}

const percent = (p: number): string => `${Math.round(p * 100)}%`;

/** The finer words and the verdict each maps onto, as FINER_VERDICTS has them (the three themselves left out). */
export function finerVerdictPairs(): Array<[word: string, verdict: ClaimVerdict]> {
  return Object.entries(FINER_VERDICTS).filter(([word]) => !(CLAIM_VERDICTS as readonly string[]).includes(word));
}

/**
 * The methods box: what counts as an event, the exposure, the confidence level, which intervals
 * are one- or two-sided, and how a verdict is judged from the interval, with the finer words'
 * table. Its numbers are the code's constants.
 */
export function methodsHtml(): string {
  const level = percent(CONFIDENCE);
  const bound = ZERO_EVENTS_BOUND.toFixed(1);
  const items = [
    `<b>Event.</b> A server-side failure disconnect under the one failure rule: every disconnect before or while sending, or while the clients drain their acks, and after that any disconnect that does not look like the clients leaving (an error, or an error close code such as 1007). Corrupted deliveries and client-side failures also count against a run.`,
    `<b>Unit and exposure.</b> The independent unit is a run (or a session), not a frame: after a disconnect the next frames are not independent trials. The exposure is connection-hours of sending: each client's connected time inside the send window, stopping at each failure until the reconnect.`,
    `<b>Confidence.</b> Every interval is ${level}.`,
    `<b>Intervals.</b> A zero: the one-sided ${level} upper bound, ${bound} ÷ the exposure, shown as "at most". A rate: Garwood's exact Poisson interval, two-sided, with at least ${MIN_UNITS} runs whose counts are not over-dispersed (else not settled). Runs with a failure, k of n: Clopper–Pearson, two-sided. Deflate on against off, and a spot check against its recorded cell: the exact conditional interval on the ratio of the two rates given their exposures, two-sided. A cost ratio (server CPU per MiB, off ÷ on): a t interval on the log ratios of at least ${MIN_UNITS} on/off pairs run back to back, with at least ${formatDuration(MIN_CPU_MS_PER_SIDE)} of server CPU on each side, two-sided.`,
    `<b>Verdicts.</b> A claim <b>holds</b> when its whole interval lies on the claim's side of its threshold, <b>does not hold</b> when none of it does, and is <b>not settled</b> when the interval straddles the threshold or the data falls short of the units above. An existence claim ("2015 fails") is settled by one observed event with its controls. A zero needs its positive controls (deflate negotiated, fragments on the wire, delivered = sent at the offered load) and is never judged from the zero itself: "does not fail" is judged against a run that failed under the same load (the ratio of the two rates, wholly above 1) or against a stated rate, with the zero's bound beside it; otherwise the claim is about that run only ("in this run"). A "not settled" names what would settle it: the runs or connection-hours needed at the measured spread, and the command that runs them. Each verdict says whether it came from a quick run (which may leave more claims not settled) or a full one.`,
    `<b>Finer words.</b> ${finerVerdictPairs()
      .map(([word, verdict]) => `"${escapeText(word)}" counts as ${escapeText(verdict)}`)
      .join('; ')}.`,
  ];
  return `<h2 id="${METHODS_ID}">How verdicts are judged</h2><div class="dl-methods"><ul>${items.map((item) => `<li>${item}</li>`).join('')}</ul></div>`;
}
