import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  collapsible,
  DL_CSS,
  escapeText,
  formatNumber,
  htmlTable,
  preText,
  tableCells,
  withStyle,
} from '../../src/show/fragments';

/** Captured lines that must reach the page as text, never as markup. */
const HOSTILE: ReadonlyArray<[string, string]> = [
  ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
  ['</pre><img src=x onerror=alert(1)>', '&lt;/pre&gt;&lt;img src=x onerror=alert(1)&gt;'],
  [`"quoted" & 'single'`, '&quot;quoted&quot; &amp; &#39;single&#39;'],
];

function assertInert(html: string, raw: string, escaped: string): void {
  assert.ok(html.includes(escaped), `expected the escaped form ${escaped} in ${html}`);
  assert.ok(!html.includes(raw), `raw text ${raw} leaked into ${html}`);
  assert.ok(!/<script|<img/i.test(html), `markup leaked into ${html}`);
}

test('escapeText turns every markup character into an entity', () => {
  for (const [raw, escaped] of HOSTILE) assert.equal(escapeText(raw), escaped);
});

test('preText, collapsible and htmlTable show hostile text as text', () => {
  for (const [raw, escaped] of HOSTILE) {
    assertInert(preText(raw), raw, escaped);
    assertInert(collapsible(raw, preText(raw)), raw, escaped);
    assertInert(htmlTable([{ line: raw }], { caption: raw }), raw, escaped);
    assertInert(htmlTable([{ [raw]: 1 }]), raw, escaped);
    assertInert(htmlTable([{ line: 1 }], { labels: { line: raw } }), raw, escaped);
    assertInert(htmlTable([{ line: 1 }], { format: { line: () => raw } }), raw, escaped);
  }
});

test('preText keeps the text whole inside one pre block', () => {
  assert.equal(preText('a\n  b'), '<pre class="dl-pre">a\n  b</pre>');
});

test('collapsible is closed unless asked, with the summary as text', () => {
  assert.equal(collapsible('log', '<pre>x</pre>'), '<details><summary>log</summary><pre>x</pre></details>');
  assert.match(collapsible('log', '', { open: true }), /^<details open>/);
});

test('formatNumber: separators for integers, three significant digits otherwise', () => {
  assert.equal(formatNumber(1234567), '1,234,567');
  assert.equal(formatNumber(605), '605');
  assert.equal(formatNumber(12.3456), '12.3');
  assert.equal(formatNumber(0.01234), '0.0123');
  assert.equal(formatNumber(1234.5), '1,235');
  assert.equal(formatNumber(-0), '0');
  assert.equal(formatNumber(Number.NaN), 'NaN');
});

test('htmlTable: header, rows, numbers right-aligned and formatted, empties blank', () => {
  const html = htmlTable(
    [
      { stack: 'ws-0.8.0', frames: 1234567, mean: 12.3456, note: null },
      { stack: 'ws-0.8.1', frames: 0, mean: 0.5, note: 'ok' },
    ],
    { caption: 'Runs' },
  );
  assert.equal(
    html,
    '<table class="dl-table"><caption>Runs</caption><thead><tr><th>stack</th><th class="dl-num">frames</th>' +
      '<th class="dl-num">mean</th><th>note</th></tr></thead><tbody>' +
      '<tr><td>ws-0.8.0</td><td class="dl-num">1,234,567</td><td class="dl-num">12.3</td><td></td></tr>' +
      '<tr><td>ws-0.8.1</td><td class="dl-num">0</td><td class="dl-num">0.5</td><td>ok</td></tr></tbody></table>',
  );
});

test('tableCells: chosen columns and labels, custom format stays numeric, mixed columns are text', () => {
  const cells = tableCells(
    [
      { a: 1, b: 2048, c: 'x' },
      { a: 'two', b: 1536, c: 'y' },
    ],
    { columns: ['b', 'a'], labels: { b: 'bytes' }, format: { b: (value) => `${value / 1024} KiB` } },
  );
  assert.deepEqual(cells.headers, ['bytes', 'a']);
  assert.deepEqual(cells.rows, [
    ['2 KiB', '1'],
    ['1.5 KiB', 'two'],
  ]);
  assert.deepEqual(cells.numeric, [true, false]);
});

test('tableCells: columns are the union of keys in first-seen order; objects as JSON', () => {
  const cells = tableCells<Record<string, unknown>>([{ a: 1 }, { b: { x: 1 }, a: 2 }]);
  assert.deepEqual(cells.headers, ['a', 'b']);
  assert.deepEqual(cells.rows, [
    ['1', ''],
    ['2', '{"x":1}'],
  ]);
});

test('htmlTable with no rows says so', () => {
  assert.equal(
    htmlTable([], { caption: 'none' }),
    '<table class="dl-table"><caption>none</caption></table><p class="dl-empty">(no rows)</p>',
  );
});

test('the inline style loads nothing from outside', () => {
  const styled = withStyle(htmlTable([{ a: 1 }]));
  assert.ok(styled.startsWith(`<div class="dl-out"><style>${DL_CSS}</style>`));
  assert.ok(!/url\(|@import|<link|<script|src=|href=/i.test(styled), styled);
});
