/**
 * Small made-up records for the tests of the failure rule and of the functions that word
 * findings: a clean run, a failing run, a run that sent nothing and a run that errored, each a
 * full record of its kind, changed by the caller where a test needs it; a browser run; a row of
 * chapter 5's charts.
 */
import { FAILURE_RULE_VERSION, classifyScenario } from '../../src/traffic/failure-rule';
import { saturationReasons, type OfferedLoad } from '../../src/traffic/offered-load';
import { deliveryTiming, type AckTime } from '../../src/traffic/delivery-timing';
import type { BareWsRecord } from '../../src/bare-ws/runner';
import type { RunMeta } from '../../src/core/meta';
import type { ScenarioRecord, ServerDisconnect } from '../../src/traffic/scenario';
import type { ClientDisconnect } from '../../src/clients/types';
import type { KneeResult } from '../../src/capacity/measure';
import { KiB, MiB, type StackName } from '../../src/core/params';
import { poissonRate, type RateEstimate } from '../../src/core/stats';
import type { Row } from '../../src/chapters/05-sweep/rows';

/** Send window of every made-up run: 10 s of sending, 2 s of drain. */
export const T0 = 1_800_000_000_000;
export const WINDOW = { start: T0, end: T0 + 10_000, drainEnd: T0 + 12_000 };

/** A made-up record's provenance: a clean tree on a quiet machine. */
export const META: RunMeta = {
  date: '2026-11-29T00:00:00.000Z',
  commit: 'made-up',
  dirty: false,
  node: 'v20',
  cpuModel: 'made-up CPU',
  cores: 2,
  platform: 'linux',
  versions: {},
  loadAverage: 0.5,
  loadAverageRead: 'at-record',
};

/** What the outcomes below vary. */
export interface Outcome {
  stack?: ScenarioRecord['spec']['stack'];
  deflate?: 'on' | 'off';
  sent?: number;
  delivered?: number;
  serverDisconnects?: ServerDisconnect[];
  clientDisconnects?: ClientDisconnect[];
  corrupted?: number;
  negotiated?: boolean;
  /** The run itself could not complete. */
  runError?: string;
  frameSize?: number;
  zlibErrors?: number;
  /** Leave the window without its drain's end, as records made before it was stored. */
  noDrainEnd?: boolean;
}

/** A server-side `invalid compressed data` close at `ms` after sending started. */
export function invalidData(ms: number, sid = 's1'): ServerDisconnect {
  return { t: T0 + ms, sid: sid, reason: 'transport error', error: 'invalid compressed data (1007)' };
}

/** The matching client-side close (code 1007) at `ms`. */
export function clientClosed1007(ms: number, client = 'c1'): ClientDisconnect {
  return { t: T0 + ms, client: client, reason: 'transport close', code: 1007, detail: '' };
}

/** A clean close at teardown, after the drain. */
export function teardownClose(ms = 13_000, sid = 's1'): ServerDisconnect {
  return { t: T0 + ms, sid: sid, reason: 'transport close' };
}

/** A fragmenting-client scenario record with every control holding unless `o` says otherwise. */
export function scenario(o: Outcome = {}): ScenarioRecord {
  const sent = o.sent ?? 100;
  const delivered = o.delivered ?? sent;
  const negotiated = o.negotiated ?? (o.deflate ?? 'on') === 'on';
  const frameSize = o.frameSize ?? 1024 * 1024;
  const fragmentSize = 100 * 1024;
  const serverDisconnects = o.serverDisconnects ?? [teardownClose()];
  const clientDisconnects = o.clientDisconnects ?? [];
  const corrupted = o.corrupted ?? 0;
  // Messages on the wire of one megabyte, compressed to half where deflate is on: ten fragments.
  const perMessage = negotiated ? frameSize / 2 : frameSize;
  const fragments = Math.ceil(perMessage / fragmentSize);
  const record: ScenarioRecord = {
    schema: 1,
    kind: 'scenario',
    id: `made-up-${Math.random().toString(36).slice(2, 8)}`,
    startedAt: META.date,
    endedAt: META.date,
    quick: false,
    meta: META,
    spec: {
      stack: o.stack ?? '2015',
      client: 'fragmenting',
      payload: 'data-url',
      frameSize: frameSize,
      fragmentSize: fragmentSize,
      rate: 10,
      clients: 2,
      burst: 3,
      duration: 10_000,
      seed: 1,
      deflate: o.deflate ?? 'on',
      placement: 'forked',
    },
    stack: {
      versions: { 'socket.io': '1.3.7', 'engine.io': '1.5.4', ws: '0.8.0' } as ScenarioRecord['stack']['versions'],
      addons: {
        server: { dir: '', version: '0.8.0', bufferUtil: '', validation: '' },
        client: { dir: '', version: '0.8.0', bufferUtil: '', validation: '' },
      },
    },
    server: { deflate: o.deflate ?? 'on', maxHttpBufferSize: 1e8, pingInterval: 25_000, pingTimeout: 60_000 },
    result: {
      status: o.runError ? 'failed' : 'completed',
      runError: o.runError,
      sendWindow: o.noDrainEnd ? { start: WINDOW.start, end: WINDOW.end } : { ...WINDOW },
      loadMs: 10_000,
      sent: sent,
      notSent: 0,
      delivered: delivered,
      verified: delivered - corrupted,
      corrupted: corrupted,
      acked: delivered,
      serverDisconnects: serverDisconnects,
      clientDisconnects: clientDisconnects,
      clientConnects: [
        { t: T0 - 100, client: 'c1', sid: 's1' },
        { t: T0 - 100, client: 'c2', sid: 's2' },
      ],
      underlyingErrors: {},
      serverReasons: {},
      zlibErrors: o.zlibErrors ? [{ message: 'invalid distance code', code: 'Z_DATA_ERROR', count: o.zlibErrors }] : [],
      failures: 0,
      firstFailureMs: null,
      sessions: 2,
      ackRttMs: { p50: 5, p99: 9, n: delivered },
      cpu: { userMs: 900, systemMs: 100, includesClients: false },
      memory: { rssStart: 1e8, rssEnd: 1e8, heapStart: 1e7, heapEnd: 1e7 },
      wire: {
        handshakes: 2,
        deflateHandshakes: negotiated ? 2 : 0,
        frames: sent * fragments,
        messages: sent,
        compressedMessages: negotiated ? sent : 0,
        fragmentedMessages: fragments > 1 ? sent : 0,
        continuationFrames: sent * (fragments - 1),
        controlFrames: 0,
        payloadBytes: sent * perMessage,
        bytesIn: sent * perMessage,
        bytesOut: 100,
      },
      handshakes: [],
      wireRatio: negotiated ? 0.5 : 1,
      controls: {
        deflateNegotiated: negotiated,
        compressedMessages: negotiated ? sent : 0,
        fragmentedMessages: fragments > 1 ? sent : 0,
        continuationFrames: sent * (fragments - 1),
        deliveredEqualsSent: sent > 0 && delivered === sent,
      },
    },
  };
  // Stored as the scenario stores it: the rule's verdict.
  const judgement = classifyScenario(record.result);
  record.result.failures = judgement.failures;
  record.result.firstFailureMs = judgement.firstFailureMs;
  record.result.judgement = judgement;
  return record;
}

/** A run where 2015 fails: two `invalid compressed data` closes while sending, seen from both sides. */
export function failingRun(o: Outcome = {}): ScenarioRecord {
  return scenario({
    serverDisconnects: [invalidData(2_000, 's1'), invalidData(4_000, 's2'), teardownClose()],
    clientDisconnects: [clientClosed1007(2_010, 'c1'), clientClosed1007(4_010, 'c2')],
    delivered: 60,
    ...o,
  });
}

/** A bare-ws record with every control holding and `failures` invalid-data errors while sending. */
export function bareWsRun(
  o: { failures?: number; sent?: number; runError?: string; negotiated?: boolean } = {},
): BareWsRecord {
  const sent = o.sent ?? 200;
  const errors = Array.from({ length: o.failures ?? 0 }, (_, i) => ({
    t: T0 + 1000 * (i + 1),
    connection: i,
    message: 'invalid compressed data',
    code: 1007,
  }));
  const negotiated = o.negotiated ?? true;
  const delivered = sent - errors.length;
  return {
    schema: 1,
    kind: 'repro',
    id: `made-up-repro-${Math.random().toString(36).slice(2, 8)}`,
    startedAt: META.date,
    endedAt: META.date,
    quick: false,
    meta: META,
    spec: {
      ws: '0.8.0',
      frameSize: 1024 * 1024,
      fragmentSize: 100 * 1024,
      burst: 3,
      rate: 5,
      clients: 2,
      duration: 3000,
      seed: 1,
      serverLoad: 0,
      fix: 'none',
    },
    release: { version: '0.8.0', dir: '' },
    result: {
      status: o.runError ? 'failed' : 'completed',
      runError: o.runError,
      sendWindow: { start: T0, end: T0 + 3000 },
      sent: sent,
      notSent: 0,
      delivered: delivered,
      verified: delivered,
      corrupted: 0,
      serverErrors: errors,
      errorCounts: errors.length > 0 ? { 'invalid compressed data': errors.length } : {},
      compressedDataErrors: errors.length,
      failures: errors.length,
      firstFailureMs: errors.length > 0 ? 1000 : null,
      judgement: {
        rule: FAILURE_RULE_VERSION,
        failures: errors.length,
        corrupted: 0,
        firstFailureMs: errors.length > 0 ? 1000 : null,
      },
      clientDisconnects: errors.length,
      connections: 2,
      wire: {
        handshakes: 2,
        deflateHandshakes: negotiated ? 2 : 0,
        frames: sent * 5,
        messages: sent,
        compressedMessages: negotiated ? sent : 0,
        fragmentedMessages: sent,
        continuationFrames: sent * 4,
        controlFrames: 0,
        payloadBytes: sent * 400_000,
        bytesIn: sent * 400_000,
        bytesOut: 0,
      },
      handshakes: [],
      controls: {
        deflateNegotiated: negotiated,
        compressedMessages: negotiated ? sent : 0,
        fragmentedMessages: sent,
        continuationFrames: sent * 4,
        deliveredEqualsSent: sent > 0 && delivered === sent,
      },
      probe: {
        queued: sent * 5,
        queuedFragmented: sent * 5,
        messages: sent,
        backToBack: sent / 2,
        consumed: sent * 5,
        neverConsumed: 0,
        overwritten: { fragmented: errors.length, unfragmented: 0 },
        differing: errors.length,
        differingAtHandOff: 0,
        differingAfterHandOff: errors.length,
        differingNotOverwritten: 0,
        resets: { fragmented: { keep: 1, fresh: 1 }, unfragmented: { keep: 0, fresh: 0 } },
        errors: [],
        errorsWithDifferingBefore: 0,
        timeline: [],
      },
      serverLoad: { target: 0, busyMs: 0, wallMs: 3000, measured: 0 },
      fix: { applied: false },
      cpu: { userMs: 100, systemMs: 10 },
    },
  };
}

/** The counted load of a made-up run that met it (every frame it sent handed, read and acked), with `overrides`. */
export function offeredFor(run: ScenarioRecord, overrides: Partial<OfferedLoad>): OfferedLoad {
  const { sent, delivered, acked } = run.result;
  return {
    nominal: sent,
    ticksMissed: 0,
    sent: sent,
    offline: 0,
    backlogFull: 0,
    handed: sent,
    serverRead: delivered,
    acked: acked,
    atFirstFailure: null,
    ...overrides,
  };
}

/**
 * A knee step's run against a made-up server that takes `capacity` MiB/s: 1 MiB frames offered
 * evenly at `offered` MiB/s over the 10 s window, queued and served one after another, 5 ms of
 * round trip on top, and every one of them acked in the end. By count every such step is met; by
 * time only those at or under the capacity are. Its CPU is one core's share in proportion to what
 * it served (`msPerMiB` overrides the cost of a MiB).
 */
export function fallingBehindRun(offered: number, capacity: number, msPerMiB = 1000 / capacity): ScenarioRecord {
  const windowMs = WINDOW.end - WINDOW.start;
  const frames = Math.round((offered * windowMs) / 1000);
  const serviceMs = 1000 / capacity;
  const acks: AckTime[] = [];
  let free = 0;
  for (let i = 0; i < frames; i++) {
    const sent = (i * windowMs) / frames;
    free = Math.max(free, sent) + serviceMs;
    acks.push({ sentAt: T0 + sent, ackedAt: T0 + free + 5 });
  }
  const run = scenario({ sent: frames, deflate: 'off', frameSize: 1 * MiB });
  const drainEnd = Math.max(WINDOW.end, acks[acks.length - 1]?.ackedAt ?? 0);
  run.result.sendWindow = { ...WINDOW, drainEnd: drainEnd };
  run.result.offered = { ...offeredFor(run, {}), timing: deliveryTiming(acks, T0, windowMs) };
  run.result.saturation = saturationReasons(run.result.offered);
  const totalMs = frames * msPerMiB;
  run.result.cpuWhileSending = {
    wallMs: drainEnd - WINDOW.start,
    totalMs: totalMs,
    mainThreadMs: totalMs * 0.8,
    otherThreadsMs: totalMs * 0.2,
  };
  return run;
}

/** A knee searched once that found `kneeMiBps` (unmet 5% above it: the steps themselves are not read). */
export function madeUpKnee(stack: StackName, deflate: 'on' | 'off', frameSize: number, kneeMiBps: number): KneeResult {
  const outcome: KneeResult['outcome'] = {
    kind: 'knee',
    kneeMiBps: kneeMiBps,
    metMiBps: kneeMiBps,
    unmetMiBps: kneeMiBps * 1.05,
  };
  return {
    stack: stack,
    deflate: deflate,
    frameSize: frameSize,
    outcome: outcome,
    searches: [{ outcome: outcome, steps: [], wallMs: 0 }],
    wallMs: 0,
    pinning: { pinned: false, reason: 'not asked' },
  };
}

/** A browser run: image pages and one chat page, each page's figures as the browser client records them. */
export function browserRun(o: {
  imageDrops?: number;
  chatAcked?: number;
  sent?: number;
  runError?: string;
}): ScenarioRecord {
  const sent = o.sent ?? 40;
  const drops = o.imageDrops ?? 0;
  const record = scenario({
    sent: sent + 20,
    delivered: drops > 0 ? sent : sent + 20,
    runError: o.runError,
    serverDisconnects: [
      ...Array.from({ length: drops }, (_, i) => invalidData(1_000 + i * 100, `s${i}`)),
      teardownClose(),
    ],
    clientDisconnects: Array.from({ length: drops }, (_, i) => clientClosed1007(1_010 + i * 100, 'p1')),
  });
  record.spec.client = 'browser';
  record.spec.burst = 1;
  record.spec.chatPages = 1;
  const page = (client: string, kind: 'image' | 'chat', pageSent: number, acked: number) => ({
    client: client,
    kind: kind,
    sent: pageSent,
    notSent: 0,
    acked: acked,
    ackedCorrupt: 0,
    meanLength: kind === 'image' ? 1_000_000 : 40,
    encodeMsP50: 3,
    maxBacklog: 1000,
    canvas: null,
  });
  record.result.browser = {
    chromium: 'made-up',
    flags: [],
    launchMs: 500,
    setupMs: 800,
    pages: [page('p1', 'image', sent, sent - drops), page('chat', 'chat', 20, o.chatAcked ?? 20)],
    bundles: [],
    pageErrors: [],
  };
  record.result.clientConnects = [
    { t: T0 - 100, client: 'p1', sid: 's0' },
    ...Array.from({ length: drops }, (_, i) => ({ t: T0 + 1_500 + i * 100, client: 'p1', sid: `r${i}` })),
    { t: T0 - 100, client: 'chat', sid: 'c' },
  ];
  return record;
}

/** A chapter-5 cell's disconnect rate from its runs' counts, each run `seconds` connection-seconds long. */
export function rateOf(counts: number[], seconds = 20): RateEstimate {
  return poissonRate(counts.map((n) => ({ events: n, exposure: seconds / 3600 }))) as RateEstimate;
}

/** A made-up row of chapter 5's charts: 2015 with deflate on, 1 KiB at 10/s × 3, three runs with no disconnect. */
export function madeUpRow(over: Partial<Row>): Row {
  return {
    stack: '2015',
    deflate: 'on',
    payload: 'data-url',
    frameSize: KiB,
    rate: 10,
    burst: 3,
    load: '10/s × 3',
    value: null,
    disconnectRate: rateOf([0, 0, 0]),
    runs: 3,
    completed: 3,
    runsWithDisconnects: 0,
    provenZero: 3,
    blockers: {},
    unprovenZeros: 0,
    saturated: 0,
    quick: false,
    ...over,
  };
}
