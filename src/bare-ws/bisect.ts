/**
 * Version bisection over measured verdicts: a binary search for the first good version (as
 * `git bisect` does: inconclusive versions are skipped), checked against the whole table, so that a
 * table that is not monotonic (fixed, broken again, fixed again) is reported as such instead of
 * yielding one tidy but wrong answer. Either over a table measured in full, or testing as it goes
 * (a few versions instead of all, as `git bisect` does); the measuring is the caller's.
 */

export const BISECT_MARKS = ['bad', 'good', 'inconclusive'] as const;
/** How one version's run marks it for the bisection: `inconclusive` when the run could not say (failed, or controls did not hold). */
export type BisectMark = (typeof BISECT_MARKS)[number];

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
  /** Versions never tested (a bisection by testing looks at a few); the whole-table checks below speak of the others. */
  untested: V[];
  /** Every change between neighbouring conclusive versions of the whole table, oldest first. */
  transitions: Array<Transition<V>>;
  shape: TableShape;
  /** True only when the table has exactly one change, bad → good, between neighbours, and it is the one the search found. */
  confirmed: boolean;
  /** One sentence, worded from the above. */
  finding: string;
}

function verdictOf<V extends string>(verdicts: ReadonlyMap<V, BisectMark>, version: V): BisectMark {
  return verdicts.get(version) ?? 'inconclusive';
}

/** Where a binary search ended: the bad and good indexes it narrowed to, and what it looked at on the way. */
interface Search {
  lo: number;
  hi: number;
  probes: number[];
  skipped: number[];
}

/**
 * The binary search proper, between a bad index `lo` and a good index `hi`, as `git bisect` runs
 * it: yields each index to look at and takes its verdict back, so that the same search runs over a
 * measured table or measures as it goes. An inconclusive version is stepped over (`git bisect
 * skip`) for the nearest to the middle, alternating sides.
 */
function* binarySearch(lo: number, hi: number): Generator<number, Search, BisectMark> {
  const probes: number[] = [];
  const skipped: number[] = [];
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    let pick: { at: number; verdict: BisectMark } | undefined;
    for (let d = 0; pick === undefined && (mid - d > lo || mid + d < hi); d++) {
      for (const candidate of d === 0 ? [mid] : [mid + d, mid - d]) {
        if (candidate <= lo || candidate >= hi || pick !== undefined) continue;
        const verdict: BisectMark = yield candidate;
        if (verdict !== 'inconclusive') pick = { at: candidate, verdict };
        else if (!skipped.includes(candidate)) skipped.push(candidate);
      }
    }
    if (pick === undefined) break;
    probes.push(pick.at);
    if (pick.verdict === 'bad') lo = pick.at;
    else hi = pick.at;
  }
  return { lo, hi, probes, skipped };
}

function checkVersions(versions: readonly string[]): void {
  if (versions.length === 0) throw new Error('bisect: no versions: give the versions oldest first');
  if (new Set(versions).size !== versions.length)
    throw new Error('bisect: a version is listed twice: give each version once, oldest first');
}

/**
 * Bisects `versions` (oldest first, as ordered by the caller) over measured `verdicts`; a version
 * missing from `verdicts` counts as inconclusive. Throws on an empty or duplicated version list.
 */
export function bisect<V extends string>(versions: readonly V[], verdicts: ReadonlyMap<V, BisectMark>): Bisection<V> {
  checkVersions(versions);
  const conclusive = versions
    .map((v, i) => ({ i, verdict: verdictOf(verdicts, v) }))
    .filter((x) => x.verdict !== 'inconclusive');
  const first = conclusive[0];
  const last = conclusive[conclusive.length - 1];
  if (!(first && last && first.verdict === 'bad' && last.verdict === 'good')) return conclude(versions, verdicts, null);
  const search = binarySearch(first.i, last.i);
  let step = search.next();
  while (!step.done) step = search.next(verdictOf(verdicts, versions[step.value]));
  const outside = [...versions.keys()].filter((i) => i < first.i || i > last.i);
  return conclude(versions, verdicts, {
    ...step.value,
    probes: [first.i, last.i, ...step.value.probes],
    skipped: [...outside, ...step.value.skipped],
  });
}

/**
 * Bisects by testing as it goes, as `git bisect` does from a known-bad and a known-good version:
 * `test` runs on `bad` first (the search starts only if it is bad), then on the versions a binary
 * search between it and the newest version picks. The newest is taken to be good, and tested only
 * when the search lands on it. Versions never tested are listed in `untested`; the whole-table
 * checks (shape, transitions, confirmed) then speak of the tested versions only.
 */
export async function bisectByTesting<V extends string>(
  versions: readonly V[],
  bad: V,
  test: (version: V) => Promise<BisectMark>,
): Promise<Bisection<V>> {
  checkVersions(versions);
  const start = versions.indexOf(bad);
  if (start < 0)
    throw new Error(`bisect: the bad version ${bad} is not in the list: use one of ${versions.join(', ')}`);
  const verdicts = new Map<V, BisectMark>();
  const tested = async (i: number): Promise<BisectMark> => {
    const known = verdicts.get(versions[i]);
    if (known !== undefined) return known;
    const verdict = await test(versions[i]);
    verdicts.set(versions[i], verdict);
    return verdict;
  };
  const newest = versions.length - 1;
  if ((await tested(start)) !== 'bad' || start === newest) return conclude(versions, verdicts, null);
  const search = binarySearch(start, newest);
  let step = search.next();
  while (!step.done) step = search.next(await tested(step.value));
  const found: Search = { ...step.value, probes: [start, ...step.value.probes] };
  if (found.hi === newest) {
    // The search ended on the good end, which was only assumed: it is tested now.
    if ((await tested(newest)) !== 'good') return conclude(versions, verdicts, null);
    found.probes.push(newest);
  }
  return conclude(versions, verdicts, found);
}

/** The bisection's outcome from the verdicts and where the binary search ended (null when it could not run). */
function conclude<V extends string>(
  versions: readonly V[],
  verdicts: ReadonlyMap<V, BisectMark>,
  search: Search | null,
): Bisection<V> {
  const conclusive = versions
    .map((v) => ({ v, verdict: verdictOf(verdicts, v) }))
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
  const lastBad = search ? versions[search.lo] : null;
  const firstGood = search ? versions[search.hi] : null;
  const untestedBetween = search ? versions.slice(search.lo + 1, search.hi) : [];
  const untested = versions.filter((v) => !verdicts.has(v));
  const confirmed =
    shape === 'single fix' &&
    untestedBetween.length === 0 &&
    transitions[0].from === lastBad &&
    transitions[0].to === firstGood;
  return {
    probes: search ? search.probes.map((i) => versions[i]) : [],
    skipped: search ? search.skipped.map((i) => versions[i]) : [],
    lastBad,
    firstGood,
    untestedBetween,
    untested,
    transitions,
    shape,
    confirmed,
    finding: word(shape, lastBad, firstGood, untestedBetween, transitions, {
      tested: versions.length - untested.length,
      of: versions.length,
    }),
  };
}

function word<V extends string>(
  shape: TableShape,
  lastBad: V | null,
  firstGood: V | null,
  between: V[],
  transitions: Array<Transition<V>>,
  count: { tested: number; of: number },
): string {
  const changes = transitions.map((t) => `${t.kind} between ${t.from} and ${t.to}`).join(', then ');
  const all = count.tested === count.of;
  // With versions left untested, every whole-table word speaks of the tested ones.
  const scope = all
    ? ''
    : ` (${count.tested} of the ${count.of} versions ${count.tested === 1 ? 'was' : 'were'} tested)`;
  switch (shape) {
    case 'nothing conclusive':
      return `No version gave a conclusive result${scope}, so there is nothing to bisect.`;
    case 'never bad':
      return `Every conclusive version is good${scope}: the failure does not appear in ${all ? 'this range' : 'them'}.`;
    case 'never good':
      return `Every conclusive version is bad${scope}: the fix is not in ${all ? 'this range' : 'them'}.`;
    case 'not monotonic':
      return `The results are not monotonic (${changes})${scope}, so there is no single first good version${firstGood ? `; a plain bisection would have named ${firstGood}` : ''}.`;
    case 'single fix':
      return between.length > 0
        ? `The last bad version is ${lastBad} and the next good one is ${firstGood}; ${between.join(', ')} between them could not be judged, so the fix is in one of ${[...between, firstGood].join(', ')}.`
        : all
          ? `The first good version is ${firstGood}, right after ${lastBad}, the last bad one; every other version agrees.`
          : `The first good version is ${firstGood}, right after ${lastBad}, the last bad one; a binary search tested ${count.tested} of the ${count.of} versions, and every one tested agrees.`;
  }
}
