/**
 * The report's verdicts and its methods box, from made-up judgements: every judged claim listed in
 * chapter order with its verdict, run, basis and what would settle it; an older findings file adds
 * nothing; hostile text stays text; the box's numbers are the code's constants; and the table of
 * finer words in docs/verdicts.md is the code's table.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../../src/core/paths';
import { CONFIDENCE, MIN_CPU_MS_PER_SIDE, MIN_UNITS, ZERO_EVENTS_BOUND } from '../../src/core/stats';
import { formatDuration } from '../../src/core/units';
import { CLAIM_VERDICTS, FINER_VERDICTS, judgementRow, type Judgement } from '../../src/core/verdict';
import type { FindingsSource, HarnessFindings, TodayFindings } from '../../src/chapters/findings';
import {
  finerVerdictPairs,
  judgementsHtml,
  methodsHtml,
  METHODS_ID,
  reportJudgements,
} from '../../src/report/verdicts';

const HOLDS: Judgement = {
  claim: 'the limit raised carries every 2 MiB frame',
  verdict: 'holds',
  basis:
    'no failure; at most 540 per connection-hour (one-sided 95% bound; 0 disconnects over 20 connection-seconds, 1 run)',
  mode: 'full',
};
const OPEN: Judgement = {
  claim: 'deflate costs <b>less</b> than half the CPU',
  verdict: 'not settled',
  finer: 'mixed across repeats',
  basis: 'off ÷ on 0.62 (95%: 0.31–1.24; 3 pairs)',
  toSettle: '5 pairs with 1 s of CPU each: npm run report -- --only 4',
  mode: 'quick',
};

const TODAY: TodayFindings = {
  kind: 'today',
  versions: 'socket.io 4',
  deflateByDefault: 'off',
  limit: 1_000_000,
  largestDelivered: null,
  smallestFailed: null,
  failedReason: null,
  advice: [],
};
const HARNESS: HarnessFindings = { kind: 'harness', versions: 'socket.io 4', limit: 1_000_000, runs: [] };

function source(number: number, findings: FindingsSource['findings'], kept = false): FindingsSource {
  return {
    number: number,
    slug: `ch${number}`,
    title: `Chapter ${number}`,
    status: 'ok',
    ranAt: '2026-12-01T10:00:00.000Z',
    kept: kept,
    findings: findings,
    failure: null,
  };
}

test('every judged claim is listed in chapter order; a findings file without judgements adds none', () => {
  const listed = reportJudgements([
    source(7, { ...TODAY, judgements: [HOLDS, OPEN] }),
    source(0, HARNESS),
    source(4, { ...HARNESS, judgements: [OPEN] }, true),
    source(5, null),
  ]);
  assert.deepEqual(
    listed.map((j) => [j.number, j.judgement.claim, j.kept]),
    [
      [4, OPEN.claim, true],
      [7, HOLDS.claim, false],
      [7, OPEN.claim, false],
    ],
  );
  assert.equal(
    judgementsHtml(reportJudgements([source(0, HARNESS), source(5, null)]), () => '#x'),
    '',
  );
});

test('the verdict table: claim with its chapter link, verdict with its run (and the finer word), basis, what would settle it; text escaped', () => {
  const html = judgementsHtml(
    reportJudgements([
      source(4, { ...HARNESS, judgements: [OPEN] }, true),
      source(7, { ...TODAY, judgements: [HOLDS] }),
    ]),
    (slug) => `#ch-${slug}`,
  );
  assert.match(html, new RegExp(`href="#${METHODS_ID}"`), 'links to the methods box');
  assert.ok(html.includes('deflate costs &lt;b&gt;less&lt;/b&gt; than half the CPU'), 'hostile text stays text');
  assert.ok(!html.includes('<b>less</b>'));
  assert.match(html, /<a class="dl-evidence" href="#ch-ch4">\(chapter 4\)<\/a>/);
  assert.match(
    html,
    /class="dl-verdict-open">not settled \(quick run\): mixed across repeats, kept from an earlier report run<\/td><td>off ÷ on 0\.62 \(95%: 0\.31–1\.24; 3 pairs\)<\/td><td>5 pairs with 1 s of CPU each: npm run report -- --only 4<\/td>/,
  );
  assert.match(
    html,
    /class="dl-verdict-holds">holds \(full run\)<\/td><td>no failure; at most 540 per connection-hour/,
  );
  assert.ok(html.indexOf(OPEN.basis) < html.indexOf(HOLDS.basis), 'chapter 4 before chapter 7');
  assert.equal(judgementRow(HOLDS)['would settle it'], '');
});

test("the methods box: event, exposure, confidence, one- or two-sided intervals, how a verdict is judged, with the code's numbers", () => {
  const html = methodsHtml();
  assert.ok(html.startsWith(`<h2 id="${METHODS_ID}">`));
  assert.match(html, /server-side failure disconnect under the one failure rule/);
  assert.match(html, /connection-hours of sending: .*stopping at each failure until the reconnect/);
  assert.ok(html.includes(`Every interval is ${Math.round(CONFIDENCE * 100)}%.`));
  assert.ok(
    html.includes(
      `one-sided ${Math.round(CONFIDENCE * 100)}% upper bound, ${ZERO_EVENTS_BOUND.toFixed(1)} ÷ the exposure`,
    ),
  );
  assert.ok(html.includes(`at least ${MIN_UNITS} runs whose counts are not over-dispersed`));
  assert.ok(
    html.includes(
      `at least ${MIN_UNITS} on/off pairs run back to back, with at least ${formatDuration(MIN_CPU_MS_PER_SIDE)} of server CPU on each side, two-sided`,
    ),
  );
  for (const words of ['Garwood', 'Clopper–Pearson', 'exact conditional interval', 't interval on the log ratios'])
    assert.ok(html.includes(words), words);
  assert.match(html, /not settled<\/b> when the interval straddles the threshold/);
  assert.match(html, /names what would settle it/);
  for (const [word, verdict] of finerVerdictPairs()) assert.ok(html.includes(`"${word}" counts as ${verdict}`), word);
});

test('the table of finer words in docs/verdicts.md is FINER_VERDICTS', () => {
  const lines = fs.readFileSync(path.join(PROJECT_ROOT, 'docs', 'verdicts.md'), 'utf8').split('\n');
  const head = lines.findIndex((line) => line.trim() === '| finer word | verdict |');
  assert.ok(head >= 0, 'docs/verdicts.md has the table');
  const rows: Array<[string, string]> = [];
  for (const line of lines.slice(head + 2)) {
    if (!line.startsWith('|')) break;
    const [word, verdict] = line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());
    rows.push([word, verdict]);
  }
  assert.deepEqual(rows, finerVerdictPairs());
  // The three verdicts map onto themselves, and every finer word is in docs/verdicts.md.
  for (const verdict of CLAIM_VERDICTS) assert.equal(FINER_VERDICTS[verdict], verdict);
  assert.equal(rows.length + CLAIM_VERDICTS.length, Object.keys(FINER_VERDICTS).length);
});
