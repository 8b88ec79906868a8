import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import {
  inKernel,
  progress,
  progressLine,
  showChart,
  showLog,
  showTable,
  showText,
  textTable,
} from '../../src/show/display';

const DISPLAY_MODULE = require.resolve('../../src/show/display');
const HOSTILE = ['<script>alert(1)</script>', '</pre><img src=x onerror=alert(1)>'];

/** Runs `body` in a fresh Node with `display` required, outside any kernel; returns its output. */
function runOutsideKernel(body: string): { stdout: string; stderr: string } {
  const script = `const display = require(${JSON.stringify(DISPLAY_MODULE)});\n(async () => {\n${body}\n})();`;
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(result.status, 0, `child failed: ${result.stderr}`);
  return { stdout: result.stdout, stderr: result.stderr };
}

test('progressLine with a total: counts, percentage, elapsed, ETA and note', () => {
  assert.equal(
    progressLine({ label: 'sweep', done: 3, total: 10, elapsedMs: 4200, note: 'ws-0.8.0', finished: false }),
    'sweep: 3/10 (30%), elapsed 4.2 s, ETA 9.8 s, ws-0.8.0',
  );
  assert.equal(
    progressLine({ label: 'sweep', done: 0, total: 10, elapsedMs: 0, finished: false }),
    'sweep: 0/10 (0%), elapsed 0 ms',
  );
  assert.equal(
    progressLine({ label: 'sweep', done: 10, total: 10, elapsedMs: 125_000, note: 'all ok', finished: true }),
    'sweep: 10/10 (100%), took 2.1 min, all ok',
  );
});

test('progressLine without a total: a count and elapsed time only', () => {
  assert.equal(
    progressLine({ label: 'frames', done: 42, elapsedMs: 1500, finished: false }),
    'frames: 42 done, elapsed 1.5 s',
  );
});

test('textTable pads columns, right-aligns numbers, and keeps each row on one line', () => {
  const text = textTable(
    [
      { stack: 'ws-0.8.0', frames: 1234567 },
      { stack: 'two\nlines', frames: 5 },
    ],
    { caption: 'Runs' },
  );
  assert.equal(
    text,
    ['Runs', 'stack         frames', '---------  ---------', 'ws-0.8.0   1,234,567', 'two lines          5'].join('\n'),
  );
  assert.equal(textTable([], { columns: [] }), ['', '', '(no rows)'].join('\n'));
});

describe('outside a kernel', () => {
  test('this test process is not a kernel', () => {
    assert.equal(inKernel(), false);
  });

  test('show* print plain text to stdout, hostile lines as they are', () => {
    const { stdout, stderr } = runOutsideKernel(`
      display.showTable([{ run: ${JSON.stringify(HOSTILE[0])}, closes: 3 }], { caption: 'Runs' });
      display.showText(${JSON.stringify(HOSTILE[1])}, { title: 'error' });
      display.showLog(${JSON.stringify(HOSTILE)}, { summary: 'server log' });
      await display.showChart({ mark: 'bar' }, { caption: 'closes per run' });
    `);
    assert.equal(
      stdout,
      [
        'Runs',
        'run                        closes',
        '-------------------------  ------',
        `${HOSTILE[0]}       3`,
        'error',
        HOSTILE[1],
        'server log',
        ...HOSTILE,
        'chart: closes per run (drawn as SVG in the notebook)',
        '',
      ].join('\n'),
    );
    assert.equal(stderr, '');
  });

  test('progress writes plain lines to a non-TTY stderr, from the first to the final one', () => {
    const { stdout, stderr } = runOutsideKernel(`
      const bar = display.progress('sweep', 3);
      bar.tick(); bar.tick(1, 'second'); bar.set('almost'); bar.tick();
      bar.done('all ok');
    `);
    assert.equal(stdout, '');
    // Updates in between are rate-limited, not forbidden, so only the first and last are fixed.
    const lines = stderr.trimEnd().split('\n');
    assert.match(lines[0], /^sweep: 0\/3 \(0%\), elapsed \d+ ms$/);
    assert.match(lines[lines.length - 1], /^sweep: 3\/3 \(100%\), took [\d.]+ m?s, all ok$/);
    assert.ok(lines.length <= 5 && lines.every((line) => line.startsWith('sweep: ')), stderr);
  });

  test('a finished progress refuses more ticks', () => {
    const { stderr } = runOutsideKernel(`
      const bar = display.progress('once');
      bar.done();
      try { bar.tick(); } catch (error) { console.error('refused: ' + error.message); }
    `);
    assert.match(stderr, /refused: progress 'once' is already done/);
  });
});

interface DisplayMessage {
  data: Record<string, string>;
  transient: { display_id?: string };
  update: boolean;
}

// Inside a kernel, tslab hands each display to the writer it keeps in tslab/dist/jupyter (set per
// executed cell). Installing a writer there exercises the real tslab display path; only the
// kernel's socket is replaced by this list.
describe('inside a tslab kernel', () => {
  const jupyter = require('tslab/dist/jupyter') as { lastWriteDisplayData: unknown };
  const messages: DisplayMessage[] = [];
  before(() => {
    // tslab passes `update` as undefined for a display's first output, true for later ones.
    jupyter.lastWriteDisplayData = (message: Omit<DisplayMessage, 'update'>, update: boolean | undefined) => {
      messages.push({ ...message, update: update === true });
    };
  });
  after(() => {
    jupyter.lastWriteDisplayData = null;
  });

  const take = (): DisplayMessage[] => messages.splice(0);
  const html = (message: DisplayMessage): string => {
    assert.deepEqual(Object.keys(message.data), ['text/html']);
    return message.data['text/html'];
  };
  const assertInert = (text: string): void => {
    assert.ok(!/<script|<img/i.test(text), `markup leaked into ${text}`);
    assert.ok(
      text.includes('&lt;script&gt;alert(1)&lt;/script&gt;') &&
        text.includes('&lt;/pre&gt;&lt;img src=x onerror=alert(1)&gt;'),
    );
  };

  test('inKernel sees the writer', () => {
    assert.equal(inKernel(), true);
  });

  test('showTable, showText and showLog emit one styled text/html output each, escaped', () => {
    showTable(
      HOSTILE.map((line) => ({ line: line, n: 1 })),
      { caption: HOSTILE[0] },
    );
    showText(HOSTILE.join('\n'), { title: HOSTILE[1] });
    showLog(HOSTILE, { summary: HOSTILE[0] });
    const outputs = take();
    assert.equal(outputs.length, 3);
    for (const output of outputs) {
      assert.match(html(output), /^<div class="dl-out"><style>/);
      assertInert(html(output));
    }
    assert.match(html(outputs[0]), /<table class="dl-table">/);
    assert.match(
      html(outputs[2]),
      /<details><summary>&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/summary><pre class="dl-pre">/,
    );
  });

  test('showChart emits the rendered SVG as text/html, and works a second time', async () => {
    for (const caption of ['first', 'second']) {
      await showChart(
        {
          data: { values: [{ a: 'x', b: 1 }] },
          mark: 'bar',
          encoding: { x: { field: 'a', type: 'nominal' }, y: { field: 'b', type: 'quantitative' } },
        },
        { caption: caption },
      );
      const [output] = take();
      assert.match(html(output), new RegExp(`<figcaption>${caption}</figcaption><svg `));
    }
  });

  test('progress is one display updated in place, ending with the final line', () => {
    const bar = progress(HOSTILE[0], 2);
    bar.tick(2);
    bar.done(HOSTILE[1]);
    const outputs = take();
    assert.ok(outputs.length >= 2, `expected at least the first and the final update, got ${outputs.length}`);
    const id = outputs[0].transient.display_id;
    assert.ok(id);
    assert.deepEqual(
      outputs.map((output) => output.transient.display_id),
      outputs.map(() => id),
    );
    assert.deepEqual(
      outputs.map((output) => output.update),
      outputs.map((_, index) => index > 0),
    );
    const last = html(outputs[outputs.length - 1]);
    assertInert(last);
    assert.match(last, /<div class="dl-progress">&lt;script&gt;alert\(1\)&lt;\/script&gt;: 2\/2 \(100%\), took /);
  });
});
