/**
 * Artillery: the fragmented case exported by the real command and run by Artillery 2.0.34 (its own
 * install in test/artillery/, made by `sh scripts/setup artillery` on first use) against the 2015
 * stack and today with deflate forced on, both started in this process on 127.0.0.1; its JSON
 * report read back beside the battery's own row; the processor's frames identical to
 * src/clients/'s; the report's wording; and the export's input checks.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import zlib from 'node:zlib';
import {
  artilleryScript,
  ensureArtillery,
  exportBudgetLine,
  resolveExportLoad,
  rowFromArtilleryReport,
  userBudget,
  type ArtilleryReport,
} from '../../src/check-server/artillery-export';
import { CheckInputError, DEFAULT_LIMITS, resolveCheckOptions } from '../../src/check-server/options';
import { REFERENCE_SERVERS, startReference } from '../../src/check-server/reference';
import { comparisonFinding } from '../../src/check-server/show';
import { compressAlone } from '../../src/clients/deflate-sender';
import { fragmentMessage, OPCODE } from '../../src/clients/frames';
import { PROJECT_ROOT } from '../../src/core/paths';
import { startFixture } from '../support/fixture-server';

const CLI = path.join(PROJECT_ROOT, 'dist', 'src', 'cli', 'check-server.js');
const PROCESSOR = path.join(PROJECT_ROOT, 'src', 'check-server', 'artillery', 'processor.js');
const LOAD = { arrivalRate: '2', duration: '3s' };
const USERS = 6;

let scratch: string;
before(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-artillery-'));
  // Installs Artillery into test/artillery/ the first time (about 2 minutes, 460 MB); later a lockfile compare.
  ensureArtillery();
});
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

// The real command; async, so the servers in this process keep answering meanwhile.
async function checkServer(args: string[]): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: PROJECT_ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const status = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { status: status, stdout: stdout, stderr: stderr };
}

interface ArtilleryRun {
  counters: Record<string, number>;
  report: string;
  /** The server's own disconnect reasons. */
  serverSaw: string[];
  /** The battery's row and Artillery's, as --import shows them. */
  imported: CliRun;
}

// The export run by Artillery with --run, then --import of its report (beside the rows recorded in `dataDir`).
async function exportRunImport(
  url: string,
  dir: string,
  dataDir: string,
  extra: string[] = [],
): Promise<Omit<ArtilleryRun, 'serverSaw'>> {
  const exported = path.join(dir, 'export');
  const run = await checkServer([
    '--url',
    url,
    '--export',
    'artillery',
    exported,
    '--arrival-rate',
    LOAD.arrivalRate,
    '--export-duration',
    LOAD.duration,
    ...extra,
    '--run',
  ]);
  assert.equal(run.status, 0, run.stderr);
  const report = path.join(exported, 'report.json');
  const counters = (JSON.parse(fs.readFileSync(report, 'utf8')) as ArtilleryReport).aggregate.counters;
  const imported = await checkServer(['--import', 'artillery', report, '--data-dir', dataDir]);
  assert.equal(imported.status, 0, imported.stderr);
  return { counters: counters, report: report, imported: imported };
}

// The export run by Artillery against a reference server and its report imported; with `battery`, the
// battery first (recorded), so the import sets Artillery's row beside the battery's. Only the 2015
// test reads that row: the battery's verdict on today is test/live/check-server.test.ts's.
async function artilleryAgainst(label: string, battery: boolean): Promise<ArtilleryRun> {
  const server = REFERENCE_SERVERS.find((s) => s.label === label);
  assert.ok(server, label);
  const { running, serverSaw } = await startReference(server);
  const dir = path.join(scratch, label.replace(/\W+/g, '-'));
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dir);
  try {
    if (battery) {
      const run = await checkServer(['--url', running.url, '--data-dir', dataDir]);
      assert.ok(run.status === 0 || run.status === 1, run.stderr);
    }
    return { ...(await exportRunImport(running.url, dir, dataDir)), serverSaw: [...serverSaw] };
  } finally {
    await running.close();
  }
}

// The export against a fixture server in its own process that does not answer the ack event, as a user's own server.
async function artilleryWithoutAckEvent(script: string, extra: string[]): Promise<Omit<ArtilleryRun, 'serverSaw'>> {
  const fixture = await startFixture(script, { FIXTURE_DIGEST: 'off' });
  try {
    const dir = path.join(scratch, `${script}-no-ack-event`);
    fs.mkdirSync(dir);
    return await exportRunImport(fixture.url, dir, path.join(dir, 'data'), extra);
  } finally {
    fixture.child.kill('SIGTERM');
  }
}

test('Artillery against the 2015 stack: 1007 closes after compressed fragments, no burst acknowledged, lone messages delivered', async () => {
  const { counters, serverSaw, imported } = await artilleryAgainst('2015', true);
  console.log(`2015: ${JSON.stringify(counters)}`);
  assert.equal(counters['vusers.created'], USERS, 'the phase made its users');
  assert.equal(counters['deflate_lab.engine_io_3'], USERS, 'socket.io 1.3.7 speaks engine.io 3');
  assert.equal(counters['deflate_lab.deflate_negotiated'], USERS, 'deflate negotiated on every connection');
  assert.ok(counters['deflate_lab.rsv1_first_frames'] > 0, 'compressed first frames were written');
  assert.ok(counters['deflate_lab.continuation_frames'] > 0, 'continuation frames were written');
  assert.ok(counters['deflate_lab.close_1007'] > 0, 'the server closed connections with 1007');
  // The lone message gets through; after a burst the server either closes with 1007 or, its inflater
  // broken, never answers (measured: 5 or 6 of 6 closed, the rest silent until the reply timeout).
  assert.equal(counters['deflate_lab.acks_missing'], USERS, "no burst's acked message came back on any connection");
  const otherCloses = Object.keys(counters).filter((k) => /^deflate_lab\.close_/.test(k) && !k.endsWith('_1007'));
  assert.deepEqual(otherCloses, [], 'no other close code');
  assert.equal(counters['deflate_lab.disconnect_transport_close'], counters['deflate_lab.close_1007']);
  assert.equal(
    counters['deflate_lab.acks_verified'],
    USERS,
    'every lone message delivered (acked with a matching SHA-256)',
  );
  assert.equal(counters['deflate_lab.acks_wrong'] ?? 0, 0);
  assert.ok(
    serverSaw.some((s) => /invalid compressed data/.test(s)),
    `the server saw the inflate failure: ${serverSaw.join('; ')}`,
  );
  assert.match(imported.stdout, /your server .* fail \(does not hold\) /);
  assert.match(
    imported.stdout,
    /Artillery \(report\.json\) .* fail \(does not hold\) .*close 1007: the server could not inflate/,
  );
  assert.match(
    imported.stdout,
    /^fragmented \(fail, does not hold\): The server could not inflate fragmented compressed messages/m,
  );
  assert.match(
    imported.stdout,
    /broke your server, Artillery \(report\.json\) \(close 1007: .*; close 1007: .* × \d+\)/,
  );
});

test('Artillery against today with deflate forced on: no close by the server, every acked message intact', async () => {
  const { counters, serverSaw, imported } = await artilleryAgainst('today, deflate forced on', false);
  console.log(`today: ${JSON.stringify(counters)}`);
  const acked = USERS * (1 + DEFAULT_LIMITS.frameSizes.length * DEFAULT_LIMITS.bursts);
  assert.equal(counters['vusers.created'], USERS);
  assert.equal(counters['vusers.failed'], 0);
  assert.equal(counters['deflate_lab.engine_io_4'], USERS);
  assert.equal(counters['deflate_lab.deflate_negotiated'], USERS);
  assert.equal(counters['deflate_lab.messages_sent'], USERS * userBudget(DEFAULT_LIMITS).messages);
  assert.equal(counters['deflate_lab.rsv1_first_frames'], counters['deflate_lab.messages_sent'], 'all compressed');
  assert.ok(
    counters['deflate_lab.continuation_frames'] >= counters['deflate_lab.messages_sent'],
    'every message fragmented',
  );
  assert.equal(counters['deflate_lab.acks_verified'], acked, 'every acked message delivered intact');
  assert.deepEqual(
    Object.keys(counters).filter((k) => /^deflate_lab\.(close_|disconnect_|acks_(wrong|missing))/.test(k)),
    [],
    'no close, disconnect, wrong or missing ack',
  );
  assert.equal(counters['deflate_lab.closed_by_client'], USERS, "every connection closed by Artillery's user");
  assert.deepEqual(
    serverSaw.filter((s) => /invalid|error/i.test(s)),
    [],
    'the server saw no inflate failure or transport error',
  );
  assert.match(imported.stdout, /Artillery \(report\.json\) .* pass \(holds\) /);
  assert.match(imported.stdout, /^fragmented \(pass, holds\): Compressed fragments were delivered/m);
});

/** How many bursts a user may send against the 2015 server with no ack event: it keeps bursting until a close, a missing reply, or this. */
const BURSTS_UNTIL_FAILURE = 20;

test('Artillery against a 2015 server that does not answer the ack event: bursts go out, in-order replies stand in, 1007 closes', async () => {
  const { counters, imported } = await artilleryWithoutAckEvent('socketio-1.3.7.js', [
    '--bursts',
    String(BURSTS_UNTIL_FAILURE),
  ]);
  const bursts = counters['deflate_lab.bursts_sent'];
  const closes = counters['deflate_lab.close_1007'] ?? 0;
  console.log(
    `2015, no ack event: ${closes} closes with 1007 in ${bursts} bursts (${(closes / bursts).toFixed(2)} per burst): ${JSON.stringify(counters)}`,
  );
  assert.equal(counters['vusers.created'], USERS);
  assert.equal(counters['deflate_lab.deflate_negotiated'], USERS);
  assert.equal(
    counters['deflate_lab.checked_by_in_order_reply'],
    USERS,
    'every user knew the ack event goes unanswered',
  );
  assert.equal(counters['deflate_lab.checked_by_ack_event'] ?? 0, 0);
  assert.deepEqual(
    Object.keys(counters).filter((k) => k.startsWith('deflate_lab.acks_')),
    [],
    'no acked message was sent, so no ack timeout was waited out',
  );
  assert.ok(counters['deflate_lab.replies_in_order'] >= USERS, 'every lone message had its in-order reply');
  assert.ok(bursts >= USERS, 'every user sent bursts after its lone message');
  assert.ok(counters['deflate_lab.continuation_frames'] > 0, 'continuation frames were written');
  assert.ok(closes >= 1, 'the server closed at least one connection with 1007');
  assert.ok(bursts <= USERS * BURSTS_UNTIL_FAILURE, 'no user went past its bound');
  assert.match(
    imported.stdout,
    /Artillery \(report\.json\) .* fail \(does not hold\) .*close 1007: the server could not inflate/,
  );
  assert.match(imported.stdout, /in-order replies stood in for checksums/);
});

test('Artillery against today with deflate forced on and no ack event: no close by the server, every burst with its in-order reply', async () => {
  const { counters, imported } = await artilleryWithoutAckEvent('socketio-4-deflate.js', []);
  console.log(`today, no ack event: ${JSON.stringify(counters)}`);
  const bursts = USERS * DEFAULT_LIMITS.frameSizes.length * DEFAULT_LIMITS.bursts;
  assert.equal(counters['vusers.created'], USERS);
  assert.equal(counters['deflate_lab.deflate_negotiated'], USERS);
  assert.equal(counters['deflate_lab.checked_by_in_order_reply'], USERS);
  assert.equal(counters['deflate_lab.bursts_sent'], bursts, 'every burst went out');
  assert.equal(
    counters['deflate_lab.replies_in_order'],
    USERS + bursts,
    'the lone message and every burst answered in order',
  );
  assert.ok(
    counters['deflate_lab.continuation_frames'] >= counters['deflate_lab.messages_sent'],
    'every message fragmented',
  );
  assert.deepEqual(
    Object.keys(counters).filter((k) => /^deflate_lab\.(close_|disconnect_|replies_missing|acks_)/.test(k)),
    [],
    'no close, disconnect, missing reply or acked message',
  );
  assert.equal(counters['deflate_lab.closed_by_client'], USERS);
  assert.match(imported.stdout, /Artillery \(report\.json\) .* pass \(holds\) /);
  assert.match(
    imported.stdout,
    /^fragmented \(pass, holds\): Compressed fragments were delivered: .*in-order replies came back \(the server does not answer the ack event, so contents were not checked\)/m,
  );
});

test('the processor writes the same frames and compressed bytes as src/clients/', () => {
  const processor = require(PROCESSOR) as {
    fragmentMessage: typeof fragmentMessage;
    compressAlone: (body: Buffer, windowBits: number) => Buffer;
    deflateWindowBits: (answer: string | undefined) => number | undefined;
  };
  const body = Buffer.from(`42${JSON.stringify(['deflate-lab:digest', 'x'.repeat(40_000) + 'y'.repeat(9_000)])}`);
  for (const bits of [9, 15]) {
    const compressed = processor.compressAlone(body, bits);
    assert.deepEqual(compressed, compressAlone([body], bits), `the same compressed bytes at window ${bits}`);
    assert.deepEqual(zlib.inflateRawSync(compressed, { finishFlush: zlib.constants.Z_SYNC_FLUSH }), body);
  }
  const unmask = (header: Buffer, payload: Buffer) => {
    const mask = header.subarray(header.length - 4);
    return Buffer.from(payload.map((byte, i) => byte ^ mask[i & 3]));
  };
  const payload = Buffer.alloc(70_000, 7);
  for (const [size, compressed] of [
    [16_384, true],
    [100, false],
    [1 << 20, true],
  ] as const) {
    const ours = processor.fragmentMessage(OPCODE.text, payload, size, compressed);
    const theirs = fragmentMessage(OPCODE.text, payload, size, compressed);
    assert.equal(ours.length, theirs.length, `frames at fragment size ${size}`);
    for (let i = 0; i < ours.length; i += 2) {
      assert.deepEqual(ours[i].subarray(0, -4), theirs[i].subarray(0, -4), 'the same header but for the mask');
      assert.deepEqual(unmask(ours[i], ours[i + 1]), unmask(theirs[i], theirs[i + 1]), 'the same payload');
    }
  }
  assert.equal(processor.deflateWindowBits('permessage-deflate; client_max_window_bits=10'), 10);
  assert.equal(processor.deflateWindowBits('permessage-deflate'), 15);
  assert.equal(processor.deflateWindowBits(''), undefined);
});

test("a report's counters worded as a row: fail on a server close, pass on intact delivery, not tested without deflate", () => {
  const report = (counters: Record<string, number>): ArtilleryReport => ({
    aggregate: { counters: counters, firstCounterAt: 1_000, lastCounterAt: 4_000 },
  });
  const base = {
    'vusers.created': 4,
    'deflate_lab.engine_io_4': 4,
    'deflate_lab.deflate_negotiated': 4,
    'deflate_lab.namespace_joined': 4,
    'deflate_lab.messages_sent': 20,
    'deflate_lab.rsv1_first_frames': 20,
    'deflate_lab.continuation_frames': 200,
    'deflate_lab.bursts_sent': 4,
  };
  const failed = rowFromArtilleryReport(
    report({ ...base, 'deflate_lab.close_1007': 3, 'deflate_lab.close_1006': 1, 'deflate_lab.acks_verified': 4 }),
    'a',
  );
  const fragmented = failed.results[1];
  assert.equal(fragmented.verdict, 'fail');
  assert.equal(
    fragmented.finding,
    'The server could not inflate fragmented compressed messages: close 1007: the server could not inflate a message (invalid frame payload data) × 3; close 1006: cut without a close frame × 1, over 4 virtual users; 20 messages in 4 bursts went out as 20 RSV1 first frames and 200 continuation frames, and 4 of 4 acked messages came back intact (length and SHA-256 match).',
  );
  const passed = rowFromArtilleryReport(
    report({ ...base, 'deflate_lab.acks_verified': 8, 'deflate_lab.closed_by_client': 4 }),
    'b',
  );
  assert.equal(passed.results[1].verdict, 'pass');
  assert.equal(passed.results[1].controls.disconnect, "none by the server (4 closed by Artillery's users)");
  assert.equal(
    passed.results[0].finding,
    '4 of 4 virtual users joined the namespace over engine.io 4; permessage-deflate was negotiated on 4 of their connections.',
  );
  const lost = rowFromArtilleryReport(
    report({ ...base, 'deflate_lab.acks_verified': 7, 'deflate_lab.acks_missing': 1 }),
    'c',
  );
  assert.equal(lost.results[1].verdict, 'fail');
  assert.match(
    lost.results[1].finding,
    /^The server stayed connected but stopped answering: 7 of 8 acked messages came back intact/,
  );
  const altered = rowFromArtilleryReport(
    report({ ...base, 'deflate_lab.acks_verified': 7, 'deflate_lab.acks_wrong': 1 }),
    'f',
  );
  assert.equal(altered.results[1].verdict, 'fail');
  assert.match(altered.results[1].finding, /^1 of 8 checked messages arrived altered/);
  const inOrder = rowFromArtilleryReport(
    report({
      ...base,
      'deflate_lab.checked_by_in_order_reply': 4,
      'deflate_lab.replies_in_order': 8,
      'deflate_lab.closed_by_client': 4,
    }),
    'g',
  );
  assert.equal(inOrder.results[1].verdict, 'pass');
  assert.match(
    inOrder.results[1].finding,
    /and 8 of 8 in-order replies came back \(the server does not answer the ack event, so contents were not checked\)\.$/,
  );
  assert.equal(inOrder.results[1].controls['checksums verified'], 'no ack event');
  assert.match(inOrder.results[0].finding, /the server does not answer the ack event, so in-order replies stood in/);
  const stalled = rowFromArtilleryReport(
    report({
      ...base,
      'deflate_lab.checked_by_in_order_reply': 4,
      'deflate_lab.replies_in_order': 6,
      'deflate_lab.replies_missing': 2,
    }),
    'h',
  );
  assert.equal(stalled.results[1].verdict, 'fail');
  assert.match(
    stalled.results[1].finding,
    /^The server stayed connected but stopped answering: 6 of 8 in-order replies/,
  );
  const refused = rowFromArtilleryReport(report({ 'vusers.created': 2, 'deflate_lab.connect_failed': 2 }), 'e');
  assert.deepEqual(
    refused.results.map((r) => r.verdict),
    ['fail', 'fail'],
  );
  assert.equal(
    refused.results[1].finding,
    'No virtual user joined the namespace (2 of 2 could not connect, 0 were refused the namespace), so nothing was sent.',
  );
  const plain = rowFromArtilleryReport(report({ ...base, 'deflate_lab.deflate_negotiated': 0 }), 'd');
  assert.equal(plain.results[1].verdict, 'not tested');
  assert.match(
    comparisonFinding([failed, passed, plain]),
    /^Fragmented compressed messages broke a \(close 1007.* × 3; close 1006.* × 1\)\. b took/,
  );
});

test('the exported script carries the bounds and no auth value; the load flags are checked', () => {
  const options = resolveCheckOptions({
    url: 'http://127.0.0.1:3000',
    auth: ['token=s3cret'],
    frameSizes: '64KiB,256KiB',
  });
  const load = resolveExportLoad({ arrivalRate: '3', duration: '2min' });
  const script = artilleryScript(options, load);
  assert.match(script, /^ {6}duration: 120$/m);
  assert.match(script, /^ {6}arrivalRate: 3$/m);
  assert.match(script, /^ {6}maxVusers: 360$/m);
  assert.match(script, /^ {6}frameSizes: \[65536,262144\]$/m);
  assert.match(script, /^ {6}authKeys: \["token"\]$/m);
  assert.ok(!script.includes('s3cret'), 'no auth value in the script');
  assert.equal(userBudget(options.limits).messages, 1 + 2 * 3 * 4);
  assert.match(
    exportBudgetLine(load, options.limits),
    /^3 new users per second for 2 min: 360 users, each at most 25 messages/,
  );
  for (const [raw, param] of [
    [{ arrivalRate: '0' }, '--arrival-rate'],
    [{ arrivalRate: '2.5' }, '--arrival-rate'],
    [{ duration: '500ms' }, '--export-duration'],
    [{ duration: 'soon' }, '--export-duration'],
    [{ duration: '11min' }, '--export-duration'],
  ] as const) {
    assert.throws(
      () => resolveExportLoad(raw),
      (e: unknown) => e instanceof CheckInputError && e.param === param,
    );
  }
});

test('export and import input: one line naming the flag, exit 2, nothing written', async () => {
  const taken = path.join(scratch, 'taken');
  fs.mkdirSync(taken);
  fs.writeFileSync(path.join(taken, 'keep'), 'x');
  const fresh = path.join(scratch, 'never-written');
  const cases: Array<[string[], RegExp]> = [
    [['--url', 'http://127.0.0.1:1', '--export', 'artillery', taken], /--export: .* is not empty/],
    [['--url', 'http://127.0.0.1:1', '--export', 'k6', fresh], /--export: 'k6' is not supported/],
    [['--url', 'http://127.0.0.1:1', '--export', 'artillery'], /--export: name one folder/],
    [['--url', 'http://192.0.2.1:1', '--export', 'artillery', fresh], /--url: 192\.0\.2\.1 is not on loopback/],
    [['--url', 'http://127.0.0.1:1', '--export', 'artillery', fresh, '--arrival-rate', 'lots'], /--arrival-rate: /],
    [
      ['--url', 'http://u:p@127.0.0.1:1', '--export', 'artillery', fresh],
      /--url: an exported script carries no credentials/,
    ],
    [
      ['--url', 'http://127.0.0.1:1', '--export', 'artillery', fresh, '--cases', 'cliff'],
      /--cases: the export replays/,
    ],
    [['--url', 'http://127.0.0.1:1', '--run'], /--run: only with --export/],
    [['--import', 'artillery', path.join(taken, 'keep')], /--import: cannot read .* as JSON/],
    [
      ['--import', 'artillery', path.join(PROJECT_ROOT, 'package.json')],
      /--import: .* is not an Artillery JSON report/,
    ],
  ];
  for (const [args, expected] of cases) {
    const run = await checkServer(args);
    assert.equal(run.status, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, expected);
    assert.equal(run.stderr.trim().split('\n').length, 1, 'one line');
  }
  assert.ok(!fs.existsSync(fresh), 'nothing written');
  assert.deepEqual(fs.readdirSync(taken), ['keep'], 'the taken folder untouched');
  assert.deepEqual(
    fs.readdirSync(scratch).filter((f) => f.startsWith('.')),
    [],
    'no staging folder left behind',
  );
});
