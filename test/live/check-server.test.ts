/**
 * check-server: the battery against socket.io servers started as separate processes from the
 * fixture scripts (which only require the installed socket.io packages), through the real command;
 * the reference rows on the project's stacks; input checks; and credentials kept out of every
 * output. Every target is on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { budget, budgetLine } from '../../src/check-server/budget';
import { readDisconnect } from '../../src/check-server/disconnects';
import { parseHandshakeBody } from '../../src/check-server/handshake';
import {
  CheckInputError,
  DEFAULT_CASES,
  DEFAULT_LIMITS,
  isLoopbackHost,
  recordableUrl,
  redact,
  resolveCheckOptions,
} from '../../src/check-server/options';
import type { CheckRecord, CheckRow } from '../../src/check-server/record';
import { REFERENCE_SERVERS, runReference } from '../../src/check-server/reference';
import { DIGEST_SERVER_LINES } from '../../src/check-server/session';
import { checkTableRows, comparisonFinding, rowFindings } from '../../src/check-server/show';
import { resolveBattery } from '../../src/check-server/options';
import { runYourServer, showYourServer, yourServerPlan } from '../../src/chapters/08-your-server';
import { PROJECT_ROOT } from '../../src/core/paths';
import { readRecords } from '../../src/core/records';
import { startFixture as startServerFixture } from '../support/fixture-server';

const CLI = path.join(PROJECT_ROOT, 'dist', 'src', 'cli', 'check-server.js');
const SECRET = 'S3cret-auth-7f1d';
const URL_PASSWORD = 'pw-9c2e';
const QUERY_SECRET = 'qv-41aa';

const fixtures: ChildProcess[] = [];
let scratch: string;
before(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-check-server-'));
});
after(() => {
  for (const child of fixtures) child.kill('SIGTERM');
  fs.rmSync(scratch, { recursive: true, force: true });
});

// Starts a fixture server in its own process, stopped when the file's tests end.
async function startFixture(script: string, env: Record<string, string> = {}): Promise<string> {
  const fixture = await startServerFixture(script, env);
  fixtures.push(fixture.child);
  return fixture.url;
}

interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
  dataDir: string;
}

// The real command, with its own data dir; async so the fixture servers keep answering meanwhile.
async function checkServer(args: string[]): Promise<CliRun> {
  const dataDir = fs.mkdtempSync(path.join(scratch, 'data-'));
  const child = spawn(process.execPath, [CLI, ...args, '--data-dir', dataDir], { cwd: PROJECT_ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const status = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { status: status, stdout: stdout, stderr: stderr, dataDir: dataDir };
}

function recordOf(run: CliRun): { record: CheckRecord; text: string } {
  const { records } = readRecords<CheckRecord>('check-server', run.dataDir);
  assert.equal(records.length, 1, 'one record');
  const file = fs.readdirSync(path.join(run.dataDir, 'check-server'))[0];
  return { record: records[0], text: fs.readFileSync(path.join(run.dataDir, 'check-server', file), 'utf8') };
}

const caseOf = (row: CheckRow, name: string) => {
  const result = row.results.find((r) => r.case === name);
  assert.ok(result, `case ${name} ran`);
  return result;
};

test('socket.io 1.3.7 (a separate process): the 1007 verdict, with RSV1 first frames and continuation frames on the wire', async () => {
  const url = await startFixture('socketio-1.3.7.js');
  const run = await checkServer(['--url', url]);
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /handshake: PASS .*engine\.io protocol 3.*permessage-deflate was negotiated/);
  assert.match(run.stderr, /fragmented: FAIL .*could not inflate.*close 1007/);
  const fragmented = caseOf(recordOf(run).record.rows[0], 'fragmented');
  assert.equal(fragmented.controls['deflate negotiated'], true);
  assert.ok(Number(fragmented.controls['RSV1 first frames']) > 0, 'compressed first frames were sent');
  assert.ok(Number(fragmented.controls['continuation frames']) > 0, 'continuation frames were sent');
  assert.match(String(fragmented.controls.disconnect), /^close 1007/);
});

test('socket.io 4 with perMessageDeflate: true: compressed fragments delivered intact, checked by the ack event', async () => {
  const url = await startFixture('socketio-4-deflate.js');
  const run = await checkServer(['--url', url, '--frame-sizes', '64KiB,256KiB']);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /fragmented: PASS .*Compressed fragments were delivered.*arrived intact/);
  const fragmented = caseOf(recordOf(run).record.rows[0], 'fragmented');
  const sent = Number(fragmented.controls['messages sent']);
  assert.equal(
    sent,
    2 * DEFAULT_LIMITS.bursts * (DEFAULT_LIMITS.burst + 1),
    'every burst and its checked reply went out',
  );
  assert.equal(Number(fragmented.controls['RSV1 first frames']), sent, 'every message compressed');
  assert.ok(Number(fragmented.controls['continuation frames']) >= sent, 'every message fragmented');
  assert.equal(fragmented.controls['checksums verified'], 2 * DEFAULT_LIMITS.bursts);
  assert.equal(fragmented.controls['checksums wrong'], 0);
  assert.equal(fragmented.controls['in-order replies'], `${2 * DEFAULT_LIMITS.bursts} of ${2 * DEFAULT_LIMITS.bursts}`);
});

test('socket.io 4 at its defaults: "deflate not negotiated" is the verdict', async () => {
  const url = await startFixture('socketio-4-defaults.js');
  const run = await checkServer(['--url', url]);
  assert.equal(run.status, 0, run.stderr);
  assert.match(
    run.stderr,
    /fragmented: NOT TESTED .*Deflate was not negotiated, so fragmented compressed frames could not be tested/,
  );
  assert.equal(caseOf(recordOf(run).record.rows[0], 'handshake').controls['permessage-deflate answer'], 'none');
});

test('socket.io 4 with deflate: a compressed message after an uncompressed one is accepted (a default case)', async () => {
  const url = await startFixture('socketio-4-deflate.js');
  const run = await checkServer(['--url', url, '--frame-sizes', '64KiB']);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /mixed: PASS .*as RSV1 1 0 1 .*SHA-256 came back equal/);
  const mixed = caseOf(recordOf(run).record.rows[0], 'mixed');
  assert.equal(mixed.controls['RSV1 pattern'], '1 0 1', 'compressed, uncompressed, compressed on the wire');
  assert.equal(mixed.controls.disconnect, 'still open');
});

test('rsv1 (opt-in): a server whose sockets have no error listener fails it, and its process is gone', async () => {
  const fixture = await startServerFixture('socketio-4-careless.js');
  fixtures.push(fixture.child);
  const exited = new Promise<number | null>((resolve) => fixture.child.once('exit', (code) => resolve(code)));
  const run = await checkServer(['--url', fixture.url, '--cases', 'handshake,rsv1']);
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /rsv1: FAIL .*RSV1 on a ping .*a second connection open beside it stopped answering/);
  const rsv1 = caseOf(recordOf(run).record.rows[0], 'rsv1');
  assert.equal(rsv1.controls['control-frame: second connection answered after'], false);
  assert.equal(await exited, 1, 'the fixture died of the uncaught error');
});

test('rsv1 on socket.io 4 at its defaults: RSV1 with no extension negotiated gets close 1002, the server keeps serving', async () => {
  const url = await startFixture('socketio-4-defaults.js');
  const run = await checkServer(['--url', url, '--cases', 'handshake,mixed,rsv1']);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /mixed: NOT TESTED .*Deflate was not negotiated/);
  assert.match(run.stderr, /rsv1: PASS .*RSV1 on a text frame with no extension negotiated: close 1002/);
  const rsv1 = caseOf(recordOf(run).record.rows[0], 'rsv1');
  assert.deepEqual(rsv1.controls, {
    'deflate negotiated': false,
    'no-extension: client heard': 'close 1002: protocol error',
    'no-extension: second connection answered after': true,
  });
});

test('credentials from --auth, the URL and its query reach the server but no log, record or shown table', async () => {
  const url = await startFixture('socketio-4-deflate.js', { FIXTURE_TOKEN: SECRET });
  const withSecrets = url.replace('http://', `http://user:${URL_PASSWORD}@`) + `/?key=${QUERY_SECRET}`;
  const refused = await checkServer(['--url', withSecrets, '--auth', 'token=wrong-token']);
  assert.match(refused.stderr, /handshake: FAIL .*refused namespace \/.*bad token/, 'the fixture does check the token');
  const run = await checkServer(['--url', withSecrets, '--auth', `token=${SECRET}`]);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /fragmented: PASS/, 'the right token got in');
  const { record, text } = recordOf(run);
  assert.deepEqual(record.rows[0].authKeys, ['token']);
  assert.equal(record.rows[0].url, `${url}/?key=`);
  // The notebook's table and findings, as the report shows them.
  const plan = yourServerPlan({
    url: withSecrets,
    path: '/socket.io',
    namespace: '/',
    auth: [`token=${SECRET}`],
    cases: 'handshake',
    frameSizes: '64KiB',
    allowRemote: false,
    quick: true,
  });
  const shown: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.env.DEFLATE_LAB_DATA_DIR = path.join(scratch, 'shown');
  const { rows } = await runYourServer({ ...plan, battery: { ...plan.battery, cases: ['handshake'] } });
  process.stdout.write = ((chunk: string) => shown.push(String(chunk)) > 0) as unknown as typeof process.stdout.write;
  try {
    showYourServer({ rows: rows });
  } finally {
    process.stdout.write = write;
  }
  assert.match(shown.join(''), /your server/);
  for (const output of [run.stdout, run.stderr, refused.stderr, text, shown.join(''), JSON.stringify(rows)]) {
    for (const secret of [SECRET, URL_PASSWORD, QUERY_SECRET, 'wrong-token'])
      assert.ok(!output.includes(secret), `no ${secret} in ${output.slice(0, 200)}`);
  }
});

test('bad or unsafe input: one line naming the parameter, exit 2, nothing written', () => {
  const cases: Array<[string[], RegExp]> = [
    [[], /^npm run check-server: --url: missing/],
    [['--url', 'not a url'], /^npm run check-server: --url: .* is not a URL/],
    [['--url', 'ftp://127.0.0.1:21'], /^npm run check-server: --url: ftp: is not supported/],
    [['--url', 'http://127.0.0.1:1/socket.io'], /--url: give the server's origin only/],
    [['--url', 'http://192.0.2.10:3000'], /--url: 192\.0\.2\.10 is not on loopback .*--allow-remote/],
    [['--url', 'http://[2001:db8::1]:3000'], /--url: .*is not on loopback/],
    [['--url', 'http://127.0.0.1:1', '--frame-sizes', '2GiB'], /--frame-sizes: 2 GiB is out of range/],
    [['--url', 'http://127.0.0.1:1', '--cases', 'fragmented,flood'], /--cases: use a comma list of/],
    [['--url', 'http://127.0.0.1:1', '--auth', 'novalue'], /--auth: takes key=value/],
    [['--url', 'http://127.0.0.1:1', '--burst', '1000'], /--burst: 1000 is out of range/],
    [['--url', 'http://127.0.0.1:1', '--silent-max', 'soon'], /--silent-max: 'soon' is not a duration/],
    [['--url', 'http://127.0.0.1:1', '--bogus'], /unknown option --bogus/],
  ];
  for (const [args, expected] of cases) {
    const dataDir = fs.mkdtempSync(path.join(scratch, 'bad-'));
    const run = spawnSync(process.execPath, [CLI, ...args, '--data-dir', dataDir], { encoding: 'utf8' });
    assert.equal(run.status, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, expected);
    assert.equal(run.stderr.trim().split('\n').length, 1, 'one line');
    assert.deepEqual(fs.readdirSync(dataDir), [], 'nothing written');
  }
});

test('--allow-remote lets a non-loopback target through validation (no traffic is sent here)', () => {
  assert.throws(
    () => resolveCheckOptions({ url: 'http://203.0.113.5:3000' }),
    (e: Error) => e instanceof CheckInputError && e.param === '--url',
  );
  const options = resolveCheckOptions({ url: 'http://203.0.113.5:3000', allowRemote: true });
  assert.equal(options.target.origin, 'http://203.0.113.5:3000');
  assert.deepEqual(options.cases, DEFAULT_CASES);
  for (const host of ['127.0.0.1', '127.8.9.10', '[::1]', 'localhost', '[::ffff:127.0.0.1]'])
    assert.ok(isLoopbackHost(host), host);
  for (const host of ['128.0.0.1', '10.0.0.1', '[::2]', 'example.com', '[::ffff:10.0.0.1]'])
    assert.ok(!isLoopbackHost(host), host);
});

test('records keep no credentials or query values; redact hides every secret form', () => {
  assert.equal(recordableUrl('http://u:p@127.0.0.1:3000/?token=abc&x=1#f'), 'http://127.0.0.1:3000/?token=&x=');
  const target = resolveCheckOptions({ url: 'http://u:p%40ss@127.0.0.1:3/?k=v%20w', auth: ['token=a/b c'] }).target;
  assert.equal(target.origin, 'http://127.0.0.1:3');
  assert.equal(redact('x a/b c y a%2Fb%20c z v w', target), 'x *** y *** z ***');
});

test('the handshake body tells revision 3 from 4; close 1007 reads as an inflate failure', () => {
  const open3 = '0{"sid":"a","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":60000}';
  const v3 = parseHandshakeBody(`${open3.length}:${open3}2:40`);
  assert.equal(v3?.eio, 3);
  assert.equal(v3?.open.pingTimeout, 60000);
  const v4 = parseHandshakeBody(
    '0{"sid":"b","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}',
  );
  assert.equal(v4?.eio, 4);
  assert.equal(v4?.open.maxPayload, 1000000);
  assert.equal(parseHandshakeBody('{"code":0,"message":"Transport unknown"}'), undefined);
  const inflate = readDisconnect({ atMs: 1, code: 1007, detail: 'invalid compressed data', by: 'server' });
  assert.ok(inflate.inflateFailure && inflate.byServer);
  assert.match(inflate.label, /^close 1007: the server could not inflate/);
  assert.ok(!readDisconnect({ atMs: 1, code: 1009, detail: '', by: 'server' }).inflateFailure);
  assert.equal(readDisconnect(undefined).label, 'still open');
});

test('the default totals are bounded and small', () => {
  const b = budget({ cases: [...DEFAULT_CASES], limits: DEFAULT_LIMITS });
  assert.deepEqual(DEFAULT_CASES, ['handshake', 'fragmented', 'mixed'], 'rsv1, cliff and silent stay opt-in');
  assert.equal(b.total.messages, 4 + DEFAULT_LIMITS.bursts * (DEFAULT_LIMITS.burst + 1) + 3);
  assert.ok(b.total.bytes < 4 * 1024 * 1024, `${b.total.bytes} bytes`);
  assert.ok(b.total.ms <= 75_000, `${b.total.ms} ms`);
  const all = budget({
    cases: ['handshake', 'fragmented', 'mixed', 'cliff', 'silent', 'rsv1'],
    limits: DEFAULT_LIMITS,
  });
  assert.ok(all.total.bytes > b.total.bytes && all.total.ms > b.total.ms, 'opt-in cases add to the ceilings');
});

test('docs/check-server.md quotes the ack event server lines as the code defines them', () => {
  const page = fs.readFileSync(path.join(PROJECT_ROOT, 'docs', 'check-server.md'), 'utf8');
  assert.ok(page.includes(DIGEST_SERVER_LINES), 'docs/check-server.md has the server lines');
});

test('reference rows: 2015 fails with 1007, the others pass with controls, today with deflate delivers intact', async () => {
  const battery = resolveBattery({ cases: 'handshake,fragmented,mixed,silent,rsv1' });
  const rows = await Promise.all(REFERENCE_SERVERS.map((server) => runReference(server, battery)));
  const byLabel = new Map(rows.map((row) => [row.label, row]));
  const fragmented = (label: string) => caseOf(byLabel.get(label) as CheckRow, 'fragmented');
  assert.equal(fragmented('2015').verdict, 'fail');
  assert.match(String(fragmented('2015').controls.disconnect), /^close 1007/);
  assert.ok(
    byLabel.get('2015')?.serverSaw?.some((s) => /invalid compressed data/.test(s)),
    'the server saw the inflate error',
  );
  for (const label of ['2015+ws0.8.1', '2016-fixed', 'today, deflate forced on']) {
    const result = fragmented(label);
    assert.equal(result.verdict, 'pass', `${label}: ${result.finding}`);
    assert.ok(Number(result.controls['continuation frames']) > 0, `${label}: continuation frames`);
    assert.equal(result.controls['checksums verified'], DEFAULT_LIMITS.bursts, `${label}: checksums`);
  }
  assert.equal(fragmented('today').verdict, 'not tested');
  assert.match(fragmented('today, deflate forced on').finding, /arrived intact/);
  assert.match(comparisonFinding(rows), /broke 2015 \(close 1007/);
  // Every stack inflates a compressed message after an uncompressed one (where deflate is on), and
  // ends a connection that misuses RSV1 with close 1002 while serving the others (engine.io listens
  // for errors on its sockets): the misuses that apply, as the handshake decided.
  for (const row of rows) {
    const mixed = caseOf(row, 'mixed');
    const rsv1 = caseOf(row, 'rsv1');
    if (row.label === 'today') assert.equal(mixed.verdict, 'not tested', mixed.finding);
    else {
      assert.equal(mixed.verdict, 'pass', `${row.label}: ${mixed.finding}`);
      assert.equal(mixed.controls['RSV1 pattern'], '1 0 1', row.label);
      assert.equal(mixed.controls['checked by'], 'ack event (SHA-256)', row.label);
    }
    assert.equal(rsv1.verdict, 'pass', `${row.label}: ${rsv1.finding}`);
    const heard = Object.entries(rsv1.controls).filter(([k]) => k.endsWith(': client heard'));
    assert.equal(heard.length, row.label === 'today' ? 1 : 2, `${row.label}: the misuses that apply`);
    for (const [key, value] of heard) assert.match(String(value), /^close 1002/, `${row.label} ${key}`);
  }
  // Socket.io 4 drops a client that stops answering within pingInterval + pingTimeout.
  const silent = caseOf(byLabel.get('today') as CheckRow, 'silent');
  assert.equal(silent.verdict, 'pass', silent.finding);
  assert.match(silent.finding, /within pingInterval \+ pingTimeout/);
});

test('the table and the comparison are worded from the rows', () => {
  const row = (label: string, verdict: 'pass' | 'fail' | 'not tested', disconnect: string): CheckRow => ({
    label: label,
    url: 'http://127.0.0.1:1/',
    path: '/socket.io',
    namespace: '/',
    authKeys: [],
    results: [
      { case: 'fragmented', verdict: verdict, finding: 'f', controls: { disconnect: disconnect }, ms: 1 },
      {
        case: 'silent',
        verdict: 'fail',
        finding: 's',
        controls: { 'dropped after (ms)': null, 'waited at most': 6000 },
        ms: 1,
      },
    ],
    ms: 1,
  });
  const rows = [
    row('a', 'fail', 'close 1007: x'),
    row('b', 'pass', 'still open'),
    row('c', 'not tested', 'still open'),
  ];
  assert.equal(
    comparisonFinding(rows),
    'Fragmented compressed messages broke a (close 1007: x). b took the same messages and stayed usable, with the wire controls above (RSV1 first frames, continuation frames, in-order replies). c did not negotiate deflate, so the case could not be tested there.',
  );
  assert.equal(comparisonFinding([]), 'No server was checked.');
  const table = checkTableRows(rows);
  assert.equal(table[0]['silent client dropped after'], 'not within 6 s');
  assert.equal(table[0]['server saw'], '(not observable)');
  // Each case's verdict beside the claim verdict it maps onto (FINER_VERDICTS).
  assert.deepEqual(rowFindings(rows[1]), ['fragmented (pass, holds): f', 'silent (fail, does not hold): s']);
  assert.deepEqual(
    table.map((t) => t.fragmented),
    ['fail (does not hold)', 'pass (holds)', 'not tested (not settled)'],
  );
  assert.match(budgetLine(budget({ cases: ['handshake'], limits: DEFAULT_LIMITS })), /^at most 4 messages, 4 KiB and /);
});
