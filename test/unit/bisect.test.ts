/**
 * Bisection on fake version lists whose answers are not ws's (0.8.1): a clean single fix, skips
 * over inconclusive versions, a change hidden among untested versions, tables that are not
 * monotonic, and tables with nothing to bisect.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bisect, bisectByTesting, type BisectMark } from '../../src/bare-ws/bisect';

const VERSIONS = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9'] as const;
type Fake = (typeof VERSIONS)[number];

function table(verdicts: string): Map<Fake, BisectMark> {
  // One letter per version: b(ad), g(ood), i(nconclusive), - (not measured).
  const names: Record<string, BisectMark | undefined> = { b: 'bad', g: 'good', i: 'inconclusive', '-': undefined };
  const map = new Map<Fake, BisectMark>();
  [...verdicts].forEach((letter, i) => {
    const verdict = names[letter];
    if (verdict) map.set(VERSIONS[i], verdict);
  });
  return map;
}

test('a single fix: the first good version, found in a logarithmic number of probes and confirmed by the table', () => {
  const result = bisect(VERSIONS, table('bbbbbbggg'));
  assert.equal(result.firstGood, 'r7');
  assert.equal(result.lastBad, 'r6');
  assert.equal(result.shape, 'single fix');
  assert.equal(result.confirmed, true);
  assert.deepEqual(result.transitions, [{ from: 'r6', to: 'r7', kind: 'fixed' }]);
  // The two ends, then halving 8 gaps: three more.
  assert.deepEqual(result.probes, ['r1', 'r9', 'r5', 'r7', 'r6']);
  assert.match(result.finding, /first good version is r7, right after r6/);
});

test('every position of the fix is found, whatever the list length', () => {
  for (let n = 2; n <= VERSIONS.length; n++) {
    const versions = VERSIONS.slice(0, n);
    for (let fix = 1; fix < n; fix++) {
      const verdicts = new Map<Fake, BisectMark>(versions.map((v, i) => [v, i < fix ? 'bad' : 'good']));
      const result = bisect(versions, verdicts);
      assert.equal(result.firstGood, versions[fix], `n=${n} fix at ${fix}`);
      assert.ok(result.probes.length <= 2 + Math.ceil(Math.log2(n)), `n=${n}: ${result.probes.length} probes`);
    }
  }
});

test('inconclusive versions are stepped over, and the answer stays exact when the neighbours are conclusive', () => {
  const result = bisect(VERSIONS, table('bbibbigig'));
  assert.equal(result.lastBad, 'r5');
  assert.equal(result.firstGood, 'r7');
  assert.deepEqual(result.untestedBetween, ['r6']);
  assert.ok(result.skipped.includes('r6'));
  assert.equal(result.confirmed, false, 'r6 was not judged, so r7 is not proven first');
  assert.match(result.finding, /r6 between them could not be judged, so the fix is in one of r6, r7/);
});

test('a version missing from the table counts as inconclusive', () => {
  const result = bisect(VERSIONS, table('bbb-ggggg'));
  assert.deepEqual(result.untestedBetween, ['r4']);
  assert.equal(result.firstGood, 'r5');
});

test('a table that is not monotonic is reported as such, not as one first good version', () => {
  const result = bisect(VERSIONS, table('bbggbbggg'));
  assert.equal(result.shape, 'not monotonic');
  assert.equal(result.confirmed, false);
  assert.deepEqual(
    result.transitions.map((t) => `${t.from}>${t.to}:${t.kind}`),
    ['r2>r3:fixed', 'r4>r5:regressed', 'r6>r7:fixed'],
  );
  // A plain bisection lands on one of the fixes and would look tidy; the finding says it is not.
  assert.ok(result.firstGood === 'r3' || result.firstGood === 'r7');
  assert.match(result.finding, /not monotonic .* no single first good version/);
});

test('a regression at the newest end leaves nothing to bisect', () => {
  const result = bisect(VERSIONS, table('bbbgggggb'));
  assert.equal(result.shape, 'not monotonic');
  assert.equal(result.firstGood, null);
  assert.deepEqual(result.probes, []);
});

test('all good, all bad, and nothing conclusive are named', () => {
  assert.equal(bisect(VERSIONS, table('ggggggggg')).shape, 'never bad');
  assert.equal(bisect(VERSIONS, table('bbbbbbbbb')).shape, 'never good');
  const none = bisect(VERSIONS, table('iiiiiiiii'));
  assert.equal(none.shape, 'nothing conclusive');
  assert.equal(none.firstGood, null);
  assert.match(none.finding, /nothing to bisect/);
});

test('bad input gets a one-line error', () => {
  assert.throws(() => bisect([], new Map()), /no versions/);
  assert.throws(() => bisect(['a', 'a'], new Map()), /listed twice/);
});

/** Bisects by testing over a fake table, recording which versions were tested, in order. */
async function byTesting(letters: string, bad: Fake = 'r1') {
  const verdicts = table(letters);
  const tested: Fake[] = [];
  const result = await bisectByTesting(VERSIONS, bad, async (version) => {
    tested.push(version);
    return verdicts.get(version) ?? 'inconclusive';
  });
  return { result, tested };
}

test('bisecting by testing finds the same first good version as the full table, testing a few versions, each once', async () => {
  for (let fix = 1; fix < VERSIONS.length - 1; fix++) {
    const letters = VERSIONS.map((_, i) => (i < fix ? 'b' : 'g')).join('');
    const full = bisect(VERSIONS, table(letters));
    const { result, tested } = await byTesting(letters);
    assert.equal(result.firstGood, full.firstGood, `fix at ${fix}`);
    assert.equal(result.lastBad, full.lastBad, `fix at ${fix}`);
    assert.equal(new Set(tested).size, tested.length, 'no version is tested twice');
    // The known-bad end, then halving 8 gaps: at most four more (the good end is assumed).
    assert.ok(tested.length <= 1 + Math.ceil(Math.log2(VERSIONS.length - 1)), `fix at ${fix}: ${tested.join(',')}`);
    assert.deepEqual(result.probes, tested);
    assert.deepEqual(
      result.untested,
      VERSIONS.filter((v) => !tested.includes(v)),
    );
    assert.equal(result.shape, 'single fix');
    assert.equal(result.confirmed, true);
    assert.match(
      result.finding,
      new RegExp(
        `first good version is ${full.firstGood}, right after ${full.lastBad}.*tested ${tested.length} of the 9 versions, and every one tested agrees`,
      ),
    );
  }
});

test('bisecting by testing starts at the known-bad version and tests the assumed-good end only when the search lands on it', async () => {
  // Bad from r3 on the list as ws's is from 0.8.0: r1 and r2 are never tested.
  const { result, tested } = await byTesting('ggbbbbggg', 'r3');
  assert.deepEqual(tested, ['r3', 'r6', 'r7']);
  assert.equal(result.firstGood, 'r7');
  assert.ok(result.untested.includes('r1') && result.untested.includes('r9'));
  const last = await byTesting('bbbbbbbbg');
  assert.equal(last.tested.at(-1), 'r9', 'every probe was bad, so the good end is tested');
  assert.equal(last.result.firstGood, 'r9');
  assert.equal(last.result.lastBad, 'r8');
});

test('bisecting by testing names no first good version where the ends are not bad and good', async () => {
  const notBad = await byTesting('gggggggg', 'r1');
  assert.deepEqual(notBad.tested, ['r1']);
  assert.equal(notBad.result.firstGood, null);
  assert.match(notBad.result.finding, /Every conclusive version is good \(1 of the 9 versions was tested\)/);
  const neverGood = await byTesting('bbbbbbbbb');
  assert.equal(neverGood.result.firstGood, null);
  assert.equal(neverGood.result.shape, 'never good');
  assert.equal(neverGood.tested.at(-1), 'r9');
  const skipped = await byTesting('bbbbibggg');
  assert.ok(skipped.result.skipped.includes('r5'));
  assert.equal(skipped.result.firstGood, 'r7');
  await assert.rejects(() => bisectByTesting(VERSIONS, 'r0' as Fake, async () => 'bad'), /r0 is not in the list/);
});

test('a full table leaves nothing untested, and says every other version agrees', () => {
  const result = bisect(VERSIONS, table('bbbbbbggg'));
  assert.deepEqual(result.untested, []);
  assert.match(result.finding, /every other version agrees/);
});
