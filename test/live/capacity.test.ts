/** Capacity measured apart: the knee search on made-up servers, the wording, the CLI's input checks, and short real runs. */
import assert from 'node:assert/strict';
import { execFileSync, fork, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { measureGeneratorCapacity } from '../../src/capacity/generator';
import {
  describeKnee,
  findKnee,
  judgeStep,
  KNEE_SEARCH,
  KNEE_STEP_DEFAULTS,
  measureKneeStep,
  schedule,
  type KneeStep,
} from '../../src/capacity/knee';
import type { KneeResult } from '../../src/capacity/measure';
import { cannotPin, LOADGEN_CPU_ENV, pinSelf } from '../../src/core/pinning';
import { handshakeAnswer } from '../../src/capacity/sink';
import { generatorHeadroom, offOverOn, ratioCell } from '../../src/capacity/summary';
import { parseCapacityArgs } from '../../src/cli/capacity';
import type { ScenarioRecord } from '../../src/traffic/scenario';

/** A made-up server that delivers what it is offered up to `capacity` MiB/s, and `capacity` beyond. */
function server(capacity: number, options: { failsAbove?: number; generatorShortAbove?: number } = {}) {
  const offers: number[] = [];
  const measure = async (offered: number): Promise<KneeStep> => {
    offers.push(offered);
    const failed = options.failsAbove !== undefined && offered > options.failsAbove;
    const generatorShort = options.generatorShortAbove !== undefined && offered > options.generatorShortAbove;
    const met = !failed && !generatorShort && offered <= capacity;
    return {
      offeredMiBps: offered,
      deliveredMiBps: Math.min(offered, capacity),
      met: met,
      failed: failed,
      generatorShort: generatorShort,
      ticksMissed: 0,
      reasons: met ? [] : [failed ? '3 failures' : 'delivered under 95%'],
    };
  };
  return { measure: measure, offers: offers };
}

test('the search finds a made-up server’s knee within the tolerance, in bounded steps', async () => {
  for (const capacity of [13, 100, 333, 700]) {
    const { measure } = server(capacity);
    const { outcome, steps } = await findKnee(measure);
    assert.equal(outcome.kind, 'knee', `capacity ${capacity}`);
    if (outcome.kind !== 'knee') continue;
    assert.ok(outcome.metMiBps <= capacity && capacity < outcome.unmetMiBps, JSON.stringify(outcome));
    assert.ok(outcome.unmetMiBps <= outcome.metMiBps * (1 + KNEE_SEARCH.tolerance), JSON.stringify(outcome));
    assert.ok(outcome.kneeMiBps >= capacity / (1 + KNEE_SEARCH.tolerance), `knee ${outcome.kneeMiBps} for ${capacity}`);
    assert.ok(steps.length <= KNEE_SEARCH.maxSteps);
    assert.match(describeKnee(outcome), /^knee \d/);
  }
});

test('a stack that fails at the floor has no knee: it fails first, and says so', async () => {
  const { measure, offers } = server(1000, { failsAbove: 0 });
  const { outcome } = await findKnee(measure);
  assert.equal(outcome.kind, 'fails-first');
  assert.deepEqual(offers, [KNEE_SEARCH.floorMiBps]);
  assert.match(
    describeKnee(outcome),
    /^no knee: fails first \(failed at 8\.0 MiB\/s offered, the lowest tried: 3 failures\)/,
  );
});

test('a failing step is never met: a stack that fails above a rate, before its capacity, fails first', async () => {
  const { measure } = server(1000, { failsAbove: 50 });
  const { outcome } = await findKnee(measure);
  assert.equal(outcome.kind, 'fails-first');
  if (outcome.kind !== 'fails-first') return;
  assert.ok(outcome.metMiBps !== null && outcome.metMiBps <= 50 && outcome.failedAtMiBps > 50, JSON.stringify(outcome));
  assert.match(
    describeKnee(outcome),
    /^no knee: fails first \(met up to \d+\.\d MiB\/s offered, failed at \d+\.\d: 3 failures\)$/,
  );
  // Saturated below the rate where it would fail: a knee, bounded by the saturation.
  const saturating = await findKnee(server(30, { failsAbove: 50 }).measure);
  assert.equal(saturating.outcome.kind, 'knee');
});

test('a server faster than the ceiling, one slower than the floor, and a generator that falls short are named as such', async () => {
  const fast = await findKnee(server(1e6).measure);
  assert.equal(fast.outcome.kind, 'above-ceiling');
  assert.match(describeKnee(fast.outcome), /^knee above 1024 MiB\/s/);
  const slow = await findKnee(server(2).measure);
  assert.equal(slow.outcome.kind, 'below-floor');
  assert.match(describeKnee(slow.outcome), /^knee below 8\.0 MiB\/s/);
  const short = server(500, { generatorShortAbove: 100 });
  const bound = await findKnee(short.measure);
  assert.equal(bound.outcome.kind, 'generator-bound');
  // A short step is measured twice before the search gives up on it.
  assert.deepEqual(short.offers.slice(-2), [128, 128]);
  assert.match(describeKnee(bound.outcome), /^knee above 64\.0 MiB\/s offered: the generator fell short at 128 MiB\/s/);
});

test('a generator short once (a busy moment) is retried and the search goes on', async () => {
  let calls = 0;
  const { measure } = server(100);
  const { outcome } = await findKnee(async (offered) => {
    const step = await measure(offered);
    return ++calls === 2 ? { ...step, met: false, generatorShort: true, reasons: ['missed 1 tick'] } : step;
  });
  assert.equal(outcome.kind, 'knee');
});

test('schedule offers the asked messages per second with ticks no faster than 20/s', () => {
  for (const [m, clients] of [
    [2, 2],
    [100, 2],
    [6400, 2],
    [37.5, 4],
  ]) {
    const { rate, burst } = schedule(m, clients);
    assert.ok(rate <= 20 && burst >= 1 && Number.isInteger(burst));
    assert.ok(Math.abs(rate * burst * clients - m) < 1e-9);
  }
});

/** A scenario record with only what judgeStep reads. */
function record(over: { failures?: number; serverRead?: number; ticksMissed?: number }): ScenarioRecord {
  const nominal = 100;
  const offered = {
    nominal: nominal,
    ticksMissed: over.ticksMissed ?? 0,
    sent: nominal,
    offline: 0,
    backlogFull: 0,
    handed: nominal,
    serverRead: over.serverRead ?? nominal,
    acked: over.serverRead ?? nominal,
    atFirstFailure: null,
  };
  return {
    spec: { frameSize: 1024 * 1024, duration: 10_000, burst: 1 },
    result: {
      status: 'completed',
      failures: over.failures ?? 0,
      underlyingErrors: over.failures ? { 'invalid compressed data (1007)': over.failures } : {},
      sendWindow: { start: 0, end: 10_000, drainEnd: 10_100 },
      ackRttMs: { p50: 100, p99: 200, n: over.serverRead ?? nominal },
      offered: offered,
      saturation: over.ticksMissed ? [`the generator missed ${over.ticksMissed} ticks`] : [],
    },
  } as unknown as ScenarioRecord;
}

test('judgeStep: met only when nothing fell short and nothing failed (delivery by time: test/unit/knee-by-time.test.ts)', () => {
  const met = judgeStep(record({}), 10);
  assert.equal(met.met, true, met.reasons.join('; '));
  assert.ok(Math.abs(met.deliveredMiBps - 10) < 0.01, String(met.deliveredMiBps));
  const failed = judgeStep(record({ failures: 2 }), 10);
  assert.equal(failed.met, false);
  assert.equal(failed.failed, true);
  assert.match(failed.reasons[0], /^2 failures \(invalid compressed data \(1007\)\)/);
  // The one offered-load rule: a single missed tick makes the step short, as it makes any run saturated.
  const short = judgeStep(record({ ticksMissed: 1 }), 10);
  assert.equal(short.generatorShort, true);
  assert.equal(short.met, false);
  assert.match(short.reasons[0], /^the generator missed 1 tick$/);
});

test('ratios are worded from the outcomes: no ratio where a knee is only a bound or absent', () => {
  const knee = (deflate: 'on' | 'off', outcome: KneeResult['outcome']): KneeResult => ({
    stack: 'today',
    deflate: deflate,
    frameSize: 1024 * 1024,
    outcome: outcome,
    searches: [{ outcome: outcome, steps: [], wallMs: 0 }],
    wallMs: 0,
    pinning: { pinned: false, reason: 'not asked' },
  });
  const knees = [
    knee('on', { kind: 'knee', kneeMiBps: 50, metMiBps: 50, unmetMiBps: 56 }),
    knee('off', { kind: 'knee', kneeMiBps: 150, metMiBps: 150, unmetMiBps: 170 }),
  ];
  assert.equal(offOverOn(knees, 'today')[0].ratio, 3);
  assert.equal(ratioCell(offOverOn(knees, 'today')[0]), '3.00 (150.0 ÷ 50.0 MiB/s)');
  const generator = [{ spec: { frameSize: 1024 * 1024 }, payloadMiBps: 125 }] as unknown as Parameters<
    typeof generatorHeadroom
  >[0];
  assert.equal(generatorHeadroom(generator, knees)[0].ratio, 2.5);
  const failing = [
    knee('on', { kind: 'fails-first', failedAtMiBps: 8, metMiBps: null, reasons: ['1 failures'] }),
    knees[1],
  ];
  assert.match(ratioCell(offOverOn(failing, 'today')[0]), /^n\/a \(on: no knee: fails first/);
  assert.match(ratioCell(generatorHeadroom(generator, [])[0]), /^n\/a \(no knee of today with deflate on/);
});

test('the sink answers a WebSocket handshake as RFC 6455 says, accepting permessage-deflate when offered', () => {
  const head =
    'GET / HTTP/1.1\r\nHost: x\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits';
  const answer = handshakeAnswer(head) as string;
  assert.match(answer, /^HTTP\/1\.1 101 /);
  assert.match(answer, /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/);
  assert.match(answer, /Sec-WebSocket-Extensions: permessage-deflate\r\n/);
  assert.doesNotMatch(handshakeAnswer(head.replace(/\r\nSec-WebSocket-Extensions.*/, '')) as string, /Extensions/);
  assert.equal(handshakeAnswer('GET / HTTP/1.1\r\nHost: x'), undefined);
});

test('npm run capacity: bad input is one line naming the flag and the accepted form', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--frame-sizes', '3x'], /^--frame-sizes: '3x' is not a size/],
    [['--stacks', 'tomorrow'], /^--stacks: unknown 'tomorrow': use one or more of 2015, /],
    [['--deflate', 'maybe'], /^--deflate: unknown 'maybe': use one or more of on, off/],
    [['--frame-sizes', '64KiB,,1MiB'], /^--frame-sizes: '64KiB,,1MiB' has an empty element/],
    [['--bogus'], /^unknown option --bogus/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(
      () => parseCapacityArgs(argv),
      (error: Error) => message.test(error.message) && !error.message.includes('\n'),
    );
  }
  const args = parseCapacityArgs(['--frame-sizes', '64KiB,4MiB', '--stacks', 'today', '--deflate', 'on', '--unpinned']);
  assert.deepEqual(args.plan.frameSizes, [64 * 1024, 4 * 1024 * 1024]);
  assert.deepEqual(args.plan.stacks, ['today']);
  assert.equal(args.plan.pin, false);
});

test('npm run capacity with bad input exits 2 with one line on stderr, before anything starts, writing nothing', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capacity-cli-'));
  try {
    const run = spawnSync(
      process.execPath,
      [path.join(__dirname, '..', '..', 'src', 'cli', 'capacity.js'), '--deflate', 'maybe'],
      {
        env: { ...process.env, DEFLATE_LAB_DATA_DIR: dir },
        encoding: 'utf8',
      },
    );
    assert.equal(run.status, 2);
    assert.equal(run.stdout, '');
    assert.match(
      run.stderr,
      /^npm run capacity: --deflate: unknown 'maybe': use one or more of on, off \(comma-separated\)\n$/,
    );
    assert.deepEqual(fs.readdirSync(dir), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('real: the generator hands compressed, fragmented messages to the discarding sink, and says how fast', async () => {
  const result = await measureGeneratorCapacity(256 * 1024, { durationMs: 1000 });
  assert.ok(result.messages > 0 && result.payloadMiBps > 0, JSON.stringify(result));
  assert.equal(result.controls.deflateNegotiated, true);
  assert.ok(result.controls.compressedMessages >= result.messages);
  assert.ok(result.controls.continuationFrames > 0, 'a 256 KiB message in 100 KiB fragments has continuation frames');
  // Compressed: the wire carries fewer bytes than the payload (data URLs deflate to about 3/4).
  assert.ok(result.wireMiBps < result.payloadMiBps);
  assert.ok(result.sinkReadBytes > 0.9 * result.wireBytes, `sink read ${result.sinkReadBytes} of ${result.wireBytes}`);
  assert.equal(result.pinning.pinned, false);
});

test('real: one knee step against today over loopback, at a load it meets', async () => {
  const step = await measureKneeStep({ stack: 'today', deflate: 'on', frameSize: 64 * 1024 }, 2, {
    ...KNEE_STEP_DEFAULTS,
    durationMs: 3000,
  });
  assert.equal(step.failed, false);
  assert.equal(step.met, true, step.reasons.join('; '));
  assert.ok(step.deliveredMiBps > 1.5 && step.deliveredMiBps <= 2.1, String(step.deliveredMiBps));
});

function affinity(pid: number): string {
  return (
    execFileSync('taskset', ['-c', '-p', String(pid)], { encoding: 'utf8' })
      .split(':')
      .pop()
      ?.trim() ?? ''
  );
}

test(
  'pinning: this process pins to one core and gets its cores back; the forked load generator re-pins itself',
  {
    skip: cannotPin(),
  },
  async () => {
    const before = affinity(process.pid);
    const unpin = pinSelf(1);
    assert.equal(affinity(process.pid), '1');
    unpin();
    assert.equal(affinity(process.pid), before);
    const child = fork(path.join(__dirname, '..', '..', 'src', 'traffic', 'loadgen.js'), [], {
      env: { ...process.env, [LOADGEN_CPU_ENV]: '0' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    try {
      // The child pins itself once its modules are loaded: a moment, longer on a busy machine.
      const until = Date.now() + 10_000;
      while (affinity(child.pid as number) !== '0' && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      assert.equal(affinity(child.pid as number), '0');
    } finally {
      child.disconnect();
    }
  },
);
