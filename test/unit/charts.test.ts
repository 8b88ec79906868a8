import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChartError, chartHtml, renderSvg, type ChartSpec } from '../../src/show/charts';

function barSpec(values: ReadonlyArray<{ run: string; closes: number }>): ChartSpec {
  return {
    data: { values: values },
    mark: 'bar',
    encoding: { x: { field: 'run', type: 'nominal' }, y: { field: 'closes', type: 'quantitative' } },
  };
}

/** The bar marks of a rendered bar chart: their aria labels and their heights in pixels. */
function bars(svg: string): Array<{ label: string; height: number }> {
  const group = /<g class="mark-rect role-mark[^>]*>(.*?)<\/g>/s.exec(svg);
  assert.ok(group, 'no rect mark group in the SVG');
  return [...group[1].matchAll(/<path aria-label="([^"]*)"[^>]* d="M[\d.]+,[\d.]+h[\d.]+v([\d.]+)h/g)].map((match) => ({
    label: match[1],
    height: Number(match[2]),
  }));
}

test('renderSvg draws one bar per value, with heights in proportion to the data', async () => {
  const svg = await renderSvg(
    barSpec([
      { run: 'a', closes: 3 },
      { run: 'b', closes: 5 },
      { run: 'c', closes: 1 },
    ]),
  );
  assert.match(svg, /^<svg /);
  const marks = bars(svg);
  assert.deepEqual(
    marks.map((mark) => mark.label),
    ['run: a; closes: 3', 'run: b; closes: 5', 'run: c; closes: 1'],
  );
  const unit = marks[0].height / 3;
  assert.ok(unit > 0);
  assert.ok(
    Math.abs(marks[1].height - 5 * unit) < 0.01 && Math.abs(marks[2].height - unit) < 0.01,
    JSON.stringify(marks),
  );
  for (const label of ['a', 'b', 'c']) assert.match(svg, new RegExp(`<text [^>]*>${label}</text>`));
});

test('renderSvg output loads nothing and escapes data text', async () => {
  const svg = await renderSvg(
    barSpec([
      { run: '<script>alert(1)</script>', closes: 1 },
      { run: '</pre><img src=x onerror=alert(1)>', closes: 2 },
    ]),
  );
  assert.ok(
    !/<script|<img|<image|<link|@import|href="(?!#)/i.test(svg),
    'SVG contains markup or an external reference',
  );
  assert.ok(svg.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(!/url\((?!#)/.test(svg), 'SVG has a url() that is not a local fragment');
});

test('renderSvg scopes clip and gradient ids per chart, and every reference resolves', async () => {
  const lineSpec = (n: number): ChartSpec => ({
    data: {
      values: [
        { x: 1, y: n },
        { x: 2, y: 2 * n },
        { x: 3, y: n },
      ],
    },
    mark: { type: 'line', clip: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', scale: { domain: [1, 2] } },
      y: { field: 'y', type: 'quantitative' },
      color: { field: 'y', type: 'quantitative' },
    },
  });
  const ids = (svg: string): string[] => [...svg.matchAll(/ id="([^"]+)"/g)].map((match) => match[1]);
  const first = await renderSvg(lineSpec(1));
  const second = await renderSvg(lineSpec(2));
  assert.ok(ids(first).length > 0);
  for (const svg of [first, second]) {
    for (const id of ids(svg)) assert.match(id, /^dl[0-9a-f]{10}-/);
    for (const match of svg.matchAll(/url\(#([^)]+)\)/g))
      assert.ok(ids(svg).includes(match[1]), `dangling url(#${match[1]})`);
  }
  assert.deepEqual(
    ids(first).filter((id) => ids(second).includes(id)),
    [],
  );
});

test('renderSvg refuses data from a URL or a file, with a message that says what to do', async () => {
  for (const url of ['https://example.com/data.json', '/etc/hostname']) {
    await assert.rejects(
      renderSvg({ data: { url: url }, mark: 'bar', encoding: { x: { field: 'a', type: 'nominal' } } }),
      (error: unknown) =>
        error instanceof ChartError && error.message.includes(url) && error.message.includes('data.values'),
    );
  }
});

test('renderSvg rejects a spec that is not Vega-Lite', async () => {
  await assert.rejects(
    renderSvg({ marks: 'bar' }),
    (error: unknown) => error instanceof ChartError && /not a valid Vega-Lite spec/.test(error.message),
  );
});

test('chartHtml holds the SVG, the escaped caption, and the spec with its data as escaped JSON', async () => {
  const hostile = '</pre><img src=x onerror=alert(1)>';
  const spec = barSpec([
    { run: hostile, closes: 2 },
    { run: 'b', closes: 4 },
  ]);
  const html = await chartHtml(spec, { caption: `closes ${hostile}` });
  assert.ok(!/<img|<script/i.test(html), 'markup leaked into the chart HTML');
  assert.match(
    html,
    /^<figure class="dl-chart"><figcaption>closes &lt;\/pre&gt;&lt;img src=x onerror=alert\(1\)&gt;<\/figcaption><svg /,
  );
  const details =
    /<details><summary>Vega-Lite spec and data<\/summary><pre class="dl-pre">(.*?)<\/pre><\/details><\/figure>$/s.exec(
      html,
    );
  assert.ok(details, 'no collapsed spec block after the SVG');
  const json = details[1]
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
  assert.deepEqual(JSON.parse(json), spec);
  assert.ok(json.includes('{"run":"b","closes":4}'), `a short row should stay on one line: ${json}`);
});

test('chartHtml keeps each row of a long data set on one line', async () => {
  const values = Array.from({ length: 50 }, (_, index) => ({ run: `r${index}`, closes: index }));
  const html = await chartHtml(barSpec(values));
  for (const row of values)
    assert.ok(
      html.includes(`\n      {&quot;run&quot;:&quot;${row.run}&quot;,&quot;closes&quot;:${row.closes}}`),
      row.run,
    );
});

test("renderSvg leaves the caller's spec and rows untouched", async () => {
  const spec = barSpec([{ run: 'a', closes: 1 }]);
  const before = structuredClone(spec);
  await renderSvg(spec);
  assert.deepEqual(spec, before);
});
