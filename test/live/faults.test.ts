/**
 * Faults during a run: the loopback proxy on its own (latency, split, merge, reset, close), then
 * real scenario runs with each fault. Every fault run must end within its hard limit, record why
 * on both sides (or say the fault did nothing to a correct stack, with the proof), and leave the
 * next run clean.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { checkFault, FAULT_BOUNDS, FaultError, type Fault } from '../../src/traffic/faults';
import { startFaultProxy } from '../../src/traffic/fault-proxy';
import { LOOPBACK } from '../../src/core/net';
import { KiB } from '../../src/core/params';
import { readRecords } from '../../src/core/records';
import { failureReasons, zeroFailureBlockers } from '../../src/traffic/failure-rule';
import { hardLimitMs, runScenario, type ScenarioRecord, type ScenarioSpec } from '../../src/traffic/scenario';
import { lateReasons, saturationReasons, type OfferedLoad } from '../../src/traffic/offered-load';
import { assertNoHandlesLeft } from '../support/handles';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-faults-'));
after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

// A hang is a failure too: each test is cut off well after its runs' own hard limits.
const PROXY_TEST_MS = 20_000;

const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

/** A TCP server that records every read (per connection) and echoes it. */
async function echoServer() {
  const reads: number[][] = [];
  const errors: string[] = [];
  const server = net.createServer((socket) => {
    const mine: number[] = [];
    reads.push(mine);
    socket.on('data', (chunk) => {
      mine.push(chunk.length);
      socket.write(chunk);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => errors.push(error.code ?? error.message));
    socket.on('end', () => socket.end());
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    reads: reads,
    errors: errors,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Connects through the proxy, writes `chunks` 20 ms apart, and collects the echo until `waitMs` after. */
async function exchange(port: number, chunks: Buffer[], waitMs: number) {
  const socket = net.connect(port, LOOPBACK);
  socket.setNoDelay(true);
  const echoed: Array<{ t: number; bytes: number }> = [];
  let error: string | undefined;
  socket.on('data', (chunk) => echoed.push({ t: Date.now(), bytes: chunk.length }));
  socket.on('error', (e: NodeJS.ErrnoException) => {
    error = e.code;
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const sentAt = Date.now();
  for (const chunk of chunks) {
    socket.write(chunk);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  socket.destroy();
  return { sentAt: sentAt, echoed: echoed, error: () => error };
}

const chunks = (n: number, size: number) => Array.from({ length: n }, (_, i) => Buffer.alloc(size, i));
const total = (xs: Array<{ bytes: number }>) => xs.reduce((sum, x) => sum + x.bytes, 0);

test(
  'proxy latency: nothing comes back before it crossed twice, and everything comes back',
  { timeout: PROXY_TEST_MS },
  async () => {
    const echo = await echoServer();
    const proxy = await startFaultProxy(echo.port, { kind: 'latency', ms: 150 });
    const run = await exchange(proxy.port, chunks(3, 1000), 600);
    await proxy.close();
    await echo.close();
    assert.equal(total(run.echoed), 3000);
    assert.ok(run.echoed[0].t - run.sentAt >= 2 * 150, `first echo after ${run.echoed[0].t - run.sentAt} ms`);
    assert.deepEqual(proxy.stats.resets, []);
  },
);

test(
  'proxy split: every chunk goes out as k-byte segments, which the server reads one by one',
  { timeout: PROXY_TEST_MS },
  async () => {
    const echo = await echoServer();
    const proxy = await startFaultProxy(echo.port, { kind: 'split', bytes: 100 });
    const run = await exchange(proxy.port, chunks(2, 1000), 300);
    await proxy.close();
    await echo.close();
    assert.equal(total(run.echoed), 2000);
    // Nagle is off and each piece waits for the last, so the server mostly reads one 100-byte
    // segment at a time (a busy reader may still find two waiting).
    const small = echo.reads[0].filter((n) => n === 100).length;
    assert.ok(small >= 10 && small >= echo.reads[0].length / 2, `server reads: ${echo.reads}`);
    assert.ok(proxy.stats.up.writes >= 20 && proxy.stats.up.reads <= 2, JSON.stringify(proxy.stats.up));
  },
);

test('proxy merge: chunks inside the window reach the server as one', { timeout: PROXY_TEST_MS }, async () => {
  const echo = await echoServer();
  const proxy = await startFaultProxy(echo.port, { kind: 'merge', windowMs: 200 });
  const run = await exchange(proxy.port, chunks(4, 500), 800);
  await proxy.close();
  await echo.close();
  assert.equal(total(run.echoed), 2000);
  assert.deepEqual(echo.reads, [[2000]]);
  assert.equal(proxy.stats.up.reads, 4);
  assert.equal(proxy.stats.up.writes, 1);
});

test(
  'proxy reset: exactly N bytes through, then an RST on both sides; later connections pass',
  { timeout: PROXY_TEST_MS },
  async () => {
    const echo = await echoServer();
    const proxy = await startFaultProxy(echo.port, { kind: 'reset', afterBytes: 1500 });
    const first = await exchange(proxy.port, chunks(4, 1000), 200);
    const second = await exchange(proxy.port, chunks(4, 1000), 200);
    await proxy.close();
    await echo.close();
    assert.equal(first.error(), 'ECONNRESET', 'the client sees the reset');
    assert.equal(
      echo.reads[0].reduce((a, b) => a + b, 0),
      1500,
      `server reads: ${echo.reads}`,
    );
    assert.ok(echo.errors.includes('ECONNRESET'), `the server sees the reset: ${echo.errors}`);
    assert.equal(total(second.echoed), 4000, 'one reset per proxy: the next connection is whole');
    assert.equal(proxy.stats.resets.length, 1);
    assert.equal(proxy.stats.resets[0].connection, 1);
  },
);

test('proxy close() ends held data and every socket: nothing is left', { timeout: PROXY_TEST_MS }, async () => {
  const echo = await echoServer();
  const proxy = await startFaultProxy(echo.port, { kind: 'latency', ms: 5000 });
  const socket = net.connect(proxy.port, LOOPBACK);
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(Buffer.alloc(100));
  await settle();
  await proxy.close();
  await new Promise<void>((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve())));
  await echo.close();
  await assertNoHandlesLeft({ message: "a held chunk's timer and every socket are gone" });
});

test(
  'a fault outside its bounds, or that cannot apply, is one line naming it, before anything starts',
  { timeout: PROXY_TEST_MS },
  async () => {
    const run = { duration: 2000, placement: 'in-process' as const };
    const bad: Fault[] = [
      { kind: 'latency', ms: FAULT_BOUNDS.latencyMs.min - 1 },
      { kind: 'latency', ms: FAULT_BOUNDS.latencyMs.max + 1 },
      { kind: 'split', bytes: FAULT_BOUNDS.splitBytes.min - 1 },
      { kind: 'split', bytes: FAULT_BOUNDS.splitBytes.max + 1 },
      { kind: 'merge', windowMs: FAULT_BOUNDS.mergeWindowMs.min - 1 },
      { kind: 'merge', windowMs: FAULT_BOUNDS.mergeWindowMs.max + 1 },
      { kind: 'reset', afterBytes: FAULT_BOUNDS.resetAfterBytes.min - 1 },
      { kind: 'reset', afterBytes: FAULT_BOUNDS.resetAfterBytes.max + 1 },
      { kind: 'reset', afterBytes: 1.5 },
      { kind: 'close-server', afterMs: -1 },
      { kind: 'close-server', afterMs: run.duration },
      { kind: 'kill-clients', afterMs: 10 },
    ];
    for (const fault of bad) {
      assert.throws(
        () => checkFault(fault, run),
        (e: Error) => e instanceof FaultError && !e.message.includes('\n') && /: use /.test(e.message),
        JSON.stringify(fault),
      );
    }
    assert.doesNotThrow(() => checkFault({ kind: 'kill-clients', afterMs: 10 }, { ...run, placement: 'forked' }));
    const spec: ScenarioSpec = { ...SMALL, fault: { kind: 'split', bytes: 0 } };
    await assert.rejects(runScenario(spec, { record: dataDir }), FaultError);
    assert.deepEqual(readRecords('scenario', dataDir).records, [], 'no record written');
    await assertNoHandlesLeft({ waitMs: 0, message: 'no server started' });
  },
);

// Small and short: the faults, not the load, are under test. Deflate on and fragmented, so a
// clean run's controls prove the stack really carried compressed fragments through the fault.
const SMALL: ScenarioSpec = {
  stack: 'today',
  client: 'fragmenting',
  payload: 'data-url',
  frameSize: 16 * KiB,
  fragmentSize: 4 * KiB,
  rate: 10,
  clients: 2,
  burst: 1,
  duration: 2000,
  seed: 1,
  placement: 'in-process',
  deflate: 'on',
};

/** A fault run and the clean run after it, each within its hard limit, plus slack. */
const FAULT_TEST_MS = 2 * hardLimitMs(SMALL.duration) + 30_000;

/** Runs with the fault, checks the bound and the record, then runs clean and checks that too. */
async function faultRun(spec: ScenarioSpec): Promise<ScenarioRecord> {
  const started = Date.now();
  const record = await runScenario(spec, { record: dataDir });
  const took = Date.now() - started;
  assert.ok(
    took <= hardLimitMs(spec.duration),
    `ran ${took} ms, over its hard limit of ${hardLimitMs(spec.duration)} ms`,
  );
  assert.deepEqual(record.result.fault?.fault, spec.fault, 'the record names the fault');
  const written = readRecords<ScenarioRecord>('scenario', dataDir);
  assert.deepEqual(written.skipped, []);
  assert.ok(
    written.records.some((r) => r.id === record.id && r.result.fault?.detail === record.result.fault?.detail),
    'the record on disk says what the fault did',
  );

  const clean = await runScenario({ ...spec, fault: undefined }, { record: false });
  assert.deepEqual(zeroFailureBlockers(clean), [], `the run after ${spec.fault?.kind} is clean`);
  if (spec.stack === 'today') await assertNoHandlesLeft({ message: 'nothing left behind' });
  return record;
}

/** Disconnects inside the send window, per side. */
function sides(record: ScenarioRecord) {
  const { start, end } = record.result.sendWindow;
  const inWindow = (t: number) => t >= start && t <= end;
  return {
    server: record.result.serverDisconnects.filter((d) => inWindow(d.t)),
    client: record.result.clientDisconnects.filter((d) => inWindow(d.t)),
  };
}

const TRANSPORT_LOST = ['transport close', 'transport error'];
// engine.io closes each socket with 'forced close' when its server closes; socket.io 4's own
// io.close() says 'server shutting down'.
const SERVER_CLOSED = ['forced close', 'server shutting down'];

const transparent: Fault[] = [
  { kind: 'latency', ms: 100 },
  { kind: 'split', bytes: 512 },
  // Longer than a client's send period, so a window catches more than one chunk.
  { kind: 'merge', windowMs: 200 },
];
for (const fault of transparent) {
  test(
    `today through the proxy with ${fault.kind}: TCP's guarantees hold, so zero failures, with the fault proven to act`,
    { timeout: FAULT_TEST_MS },
    async () => {
      const record = await faultRun({ ...SMALL, fault: fault });
      const { result } = record;
      // What the proxy delays, the time rule counts: in 2 s of sending, a tenth of a second each way
      // (or a 200 ms merge window) is more than the 5% it allows. Every count must still hold, and
      // nothing else may block the zero; a split delays nothing, so there it must keep time too.
      const offered = result.offered as OfferedLoad;
      const late = fault.kind === 'split' ? [] : lateReasons(offered);
      assert.deepEqual(saturationReasons(offered), late, 'short by count');
      const blockers = zeroFailureBlockers(record).filter(
        (b) => late.length === 0 || b !== `saturated: ${late.join('; ')}`,
      );
      assert.deepEqual(blockers, [], JSON.stringify(failureReasons(result)));
      assert.equal(result.verified, result.sent);
      const up = result.fault?.proxy?.up;
      assert.ok(up && up.bytes > 0, 'traffic went through the proxy');
      if (fault.kind === 'latency') {
        // An ack crosses the proxy twice (frame up, ack down).
        assert.ok(
          result.ackRttMs.p50 !== null && result.ackRttMs.p50 >= 2 * fault.ms,
          `ack RTT p50 ${result.ackRttMs.p50} ms`,
        );
      }
      if (fault.kind === 'split') assert.ok(up && up.writes > 4 * up.reads, JSON.stringify(up));
      if (fault.kind === 'merge') assert.ok(up && up.writes < up.reads, JSON.stringify(up));
    },
  );
}

const resetSpec = (stack: ScenarioSpec['stack']): ScenarioSpec => ({
  ...SMALL,
  stack: stack,
  fault: { kind: 'reset', afterBytes: 20_000 },
});
const closeSpec = (stack: ScenarioSpec['stack']): ScenarioSpec => ({
  ...SMALL,
  stack: stack,
  fault: { kind: 'close-server', afterMs: 800 },
});

for (const stack of ['today', '2016-fixed'] as const) {
  test(
    `${stack}: a connection reset mid-message is recorded on both sides, and the clients reconnect`,
    { timeout: FAULT_TEST_MS },
    async () => {
      const record = await faultRun(resetSpec(stack));
      const { result } = record;
      assert.equal(result.status, 'completed', result.runError);
      assert.ok(result.fault?.struckAt !== null && result.fault?.struckAt !== undefined, result.fault?.detail);
      assert.match(result.fault?.detail ?? '', /reset \(RST both ways\) after 20000 B/);
      const { server, client } = sides(record);
      assert.ok(
        server.some((d) => TRANSPORT_LOST.includes(d.reason)),
        `server: ${JSON.stringify(server)}`,
      );
      assert.ok(
        client.some((d) => TRANSPORT_LOST.includes(d.reason)),
        `client: ${JSON.stringify(client)}`,
      );
      assert.ok(result.failures >= 2);
      assert.ok(result.clientConnects.length > SMALL.clients, 'a client reconnected after the reset');
      assert.ok(result.delivered < result.sent, 'the frame cut by the reset never arrived');
    },
  );

  test(`${stack}: the server closed mid-run is recorded on both sides`, { timeout: FAULT_TEST_MS }, async () => {
    const record = await faultRun(closeSpec(stack));
    const { result } = record;
    assert.match(result.fault?.detail ?? '', /server closed 800 ms into sending/);
    const { server, client } = sides(record);
    assert.ok(
      server.length >= 1 && server.every((d) => SERVER_CLOSED.includes(d.reason)),
      `server: ${JSON.stringify(server)}`,
    );
    assert.ok(
      client.some((d) => TRANSPORT_LOST.includes(d.reason)),
      `client: ${JSON.stringify(client)}`,
    );
    assert.ok(
      result.fault?.struckAt !== null &&
        result.fault?.struckAt !== undefined &&
        result.fault.struckAt <= result.sendWindow.end,
    );
  });
}

test(
  'today: the forked load generator killed mid-run: the server records why, and the record says the clients were killed',
  { timeout: FAULT_TEST_MS },
  async () => {
    const record = await faultRun({ ...SMALL, placement: 'forked', fault: { kind: 'kill-clients', afterMs: 800 } });
    const { result } = record;
    assert.equal(result.status, 'failed');
    assert.match(result.runError ?? '', /load generator was killed \(SIGKILL\)/);
    assert.match(result.fault?.detail ?? '', /SIGKILL sent to the load generator \(pid \d+\) 800 ms into sending/);
    const { server } = sides(record);
    assert.equal(server.length, SMALL.clients, `one server disconnect per client: ${JSON.stringify(server)}`);
    assert.ok(
      server.every((d) => TRANSPORT_LOST.includes(d.reason)),
      JSON.stringify(server),
    );
    assert.ok(result.delivered > 0, 'frames arrived before the kill');
  },
);
