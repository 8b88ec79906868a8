/**
 * Version bisection over measured verdicts: a binary search for the first good version (as
 * `git bisect` does: inconclusive versions are skipped), checked against the whole table, so that a
 * table that is not monotonic (fixed, broken again, fixed again) is reported as such instead of
 * yielding one tidy but wrong answer. Pure: the measuring is the caller's.
 */

export const VERDICTS = ['bad', 'good', 'inconclusive'] as const;
/** A version's measured outcome: `inconclusive` when the run could not say (failed, or controls did not hold). */
export type Verdict = (typeof VERDICTS)[number];

/** A change between neighbouring conclusive versions. */
export interface Transition<V extends string> {
  from: V;
  to: V;
  /** bad → good, or good → bad. */
  kind: 'fixed' | 'regressed';
}

/** What the table looks like as a whole. */
export type TableShape = 'single fix' | 'never bad' | 'never good' | 'not monotonic' | 'nothing conclusive';

/** A bisection's outcome. */
export interface Bisection<V extends string> {
  /** Versions the binary search looked at, in the order it looked. */
  probes: V[];
  /** Versions the binary search stepped over because they were inconclusive. */
  skipped: V[];
  /** The binary search's last bad and first good versions; null when it could not start (no bad oldest or no good newest). */
  lastBad: V | null;
  firstGood: V | null;
  /** Inconclusive versions between lastBad and firstGood: the change may be in any of them. */
  untestedBetween: V[];
  /** Every change between neighbouring conclusive versions of the whole table, oldest first. */
  transitions: Array<Transition<V>>;
  shape: TableShape;
  /** True only when the table has exactly one change, bad → good, between neighbours, and it is the one the search found. */
  confirmed: boolean;
  /** One sentence, worded from the above. */
  finding: string;
}

function verdictOf<V extends string>(verdicts: ReadonlyMap<V, Verdict>, version: V): Verdict {
  return verdicts.get(version) ?? 'inconclusive';
}

/**
 * Bisects `versions` (oldest first, as ordered by the caller) over measured `verdicts`; a version
 * missing from `verdicts` counts as inconclusive. Throws on an empty or duplicated version list.
 */
export function bisect<V extends string>(versions: readonly V[], verdicts: ReadonlyMap<V, Verdict>): Bisection<V> {
  if (versions.length === 0) throw new Error('bisect: no versions: give the versions oldest first');
  if (new Set(versions).size !== versions.length)
    throw new Error('bisect: a version is listed twice: give each version once, oldest first');
  const conclusive = versions
    .map((v, i) => ({ v, i, verdict: verdictOf(verdicts, v) }))
    .filter((x) => x.verdict !== 'inconclusive');

  const transitions: Array<Transition<V>> = [];
  for (let k = 1; k < conclusive.length; k++) {
    const [a, b] = [conclusive[k - 1], conclusive[k]];
    if (a.verdict !== b.verdict)
      transitions.push({ from: a.v, to: b.v, kind: b.verdict === 'good' ? 'fixed' : 'regressed' });
  }
  const shape: TableShape =
    conclusive.length === 0
      ? 'nothing conclusive'
      : conclusive.every((x) => x.verdict === 'good')
        ? 'never bad'
        : conclusive.every((x) => x.verdict === 'bad')
          ? 'never good'
          : transitions.length === 1 && transitions[0].kind === 'fixed'
            ? 'single fix'
            : 'not monotonic';

  const probes: V[] = [];
  const skipped: V[] = [];
  let lastBad: V | null = null;
  let firstGood: V | null = null;
  let untestedBetween: V[] = [];
  const first = conclusive[0];
  const last = conclusive[conclusive.length - 1];
  if (first && last && first.verdict === 'bad' && last.verdict === 'good') {
    let lo = first.i;
    let hi = last.i;
    probes.push(first.v, last.v);
    skipped.push(...versions.slice(0, lo), ...versions.slice(hi + 1));
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      // The nearest conclusive version to the middle, alternating sides, as git bisect skip does.
      let pick: number | undefined;
      for (let d = 0; pick === undefined && (mid - d > lo || mid + d < hi); d++) {
        for (const candidate of d === 0 ? [mid] : [mid + d, mid - d]) {
          if (candidate <= lo || candidate >= hi || pick !== undefined) continue;
          if (verdictOf(verdicts, versions[candidate]) === 'inconclusive') {
            if (!skipped.includes(versions[candidate])) skipped.push(versions[candidate]);
          } else pick = candidate;
        }
      }
      if (pick === undefined) break;
      probes.push(versions[pick]);
      if (verdictOf(verdicts, versions[pick]) === 'bad') lo = pick;
      else hi = pick;
    }
    lastBad = versions[lo];
    firstGood = versions[hi];
    untestedBetween = versions.slice(lo + 1, hi);
  }
  const confirmed =
    shape === 'single fix' &&
    untestedBetween.length === 0 &&
    transitions[0].from === lastBad &&
    transitions[0].to === firstGood;
  return {
    probes,
    skipped,
    lastBad,
    firstGood,
    untestedBetween,
    transitions,
    shape,
    confirmed,
    finding: word(shape, lastBad, firstGood, untestedBetween, transitions),
  };
}

function word<V extends string>(
  shape: TableShape,
  lastBad: V | null,
  firstGood: V | null,
  between: V[],
  transitions: Array<Transition<V>>,
): string {
  const changes = transitions.map((t) => `${t.kind} between ${t.from} and ${t.to}`).join(', then ');
  switch (shape) {
    case 'nothing conclusive':
      return 'No version gave a conclusive result, so there is nothing to bisect.';
    case 'never bad':
      return 'Every conclusive version is good: the failure does not appear in this range.';
    case 'never good':
      return 'Every conclusive version is bad: the fix is not in this range.';
    case 'not monotonic':
      return `The results are not monotonic (${changes}), so there is no single first good version${firstGood ? `; a plain bisection would have named ${firstGood}` : ''}.`;
    case 'single fix':
      return between.length > 0
        ? `The last bad version is ${lastBad} and the next good one is ${firstGood}; ${between.join(', ')} between them could not be judged, so the fix is in one of ${[...between, firstGood].join(', ')}.`
        : `The first good version is ${firstGood}, right after ${lastBad}, the last bad one; every other version agrees.`;
  }
}
