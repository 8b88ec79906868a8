/**
 * Chapter 9's size cliff on hand-made runs: how a run is judged (by behaviour, with its control),
 * the bisection over releases in semver order, the parameters' one-line errors, and the sentences,
 * which follow the runs (who delivers, who refuses, what each side said, the reconnect, where the
 * bisection lands and where it disagrees with the reports).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bisectCliff,
  cliffBehaviour,
  cliffMark,
  MAJOR_RELEASES,
  OVER_SIZE,
  QUICK_RELEASES,
  SOCKET_IO_2X,
  sizeCliffParams,
  UNDER_SIZE,
  type SizeCliffResult,
} from '../../src/history/size-cliff';
import type { SizeCliffRun } from '../../src/history/size-cliff-run';
import {
  cliffRunRows,
  describeAgainstReports,
  describeBisection,
  describeOrder,
  describeReleases,
  describeSizeCliff,
  limitMismatches,
  resolvesText,
} from '../../src/chapters/09-history/cliff';
import { ParamError } from '../../src/core/params';
import { pinnedVersions } from '../../src/core/version-cache';
import { STACKS } from '../../src/core/stack-catalog';

type Made = 'delivered' | 'refused' | 'no control' | 'failed' | 'delivered then dropped';

/** A run as runSizeCliffPair would return it, for a server that behaves as `made` says. */
function madeRun(
  server: string,
  made: Made,
  opts: { limit?: number; closeCode?: number; reconnectMs?: number | null } = {},
): SizeCliffRun {
  const refused = made === 'refused';
  const limit = opts.limit ?? (refused ? 1e6 : 1e8);
  const wire = OVER_SIZE + 14;
  const message = (chars: number, delivered: boolean, session: number) => ({
    chars: chars,
    wireBytes: chars + 14,
    delivered: delivered,
    acked: delivered,
    session: session,
  });
  const reconnectMs = opts.reconnectMs === undefined ? 900 : opts.reconnectMs;
  const dropped = refused || made === 'delivered then dropped';
  return {
    spec: { server: server, client: server, overSize: OVER_SIZE, underSize: UNDER_SIZE },
    status: made === 'failed' ? 'failed' : 'completed',
    runError: made === 'failed' ? 'the client did not connect within 15000 ms' : undefined,
    server:
      made === 'failed'
        ? null
        : {
            socketIo: server,
            engineIo: refused ? '3.6.2' : '3.5.0',
            engineIoRange: refused ? '~3.6.0' : '~3.5.0',
            wsEngine: 'ws@7.5.14',
            maxHttpBufferSize: limit,
            changelogNamesLimit: false,
          },
    client: { socketIoClient: server, engineIoClient: '3.5.6' },
    under: made === 'failed' ? null : message(UNDER_SIZE, made !== 'no control', 1),
    over: made === 'failed' ? null : { ...message(OVER_SIZE, !refused, 1), wireBytes: wire },
    after: refused && reconnectMs === null ? null : message(16, true, refused ? 2 : 1),
    serverDisconnect: dropped
      ? { reason: 'transport error', detail: 'RangeError: Max payload size exceeded', afterMs: 14 }
      : null,
    clientDisconnect: dropped
      ? { reason: 'transport close', detail: `close code ${opts.closeCode ?? 1009}`, afterMs: 16 }
      : null,
    reconnect: refused && reconnectMs !== null ? { afterMs: reconnectMs, newSessionId: true } : null,
    sessions: refused && reconnectMs !== null ? 2 : 1,
    overReceived: refused ? 0 : 1,
    elapsedMs: 100,
  };
}

function result(releases: SizeCliffRun[], bisection: SizeCliffRun[] = []): SizeCliffResult {
  return { releases: releases, bisection: { client: '2.4.0', runs: bisection } };
}

test('a run is judged by what the server did, beside its control; anything else is inconclusive with its reason', () => {
  assert.equal(cliffBehaviour(madeRun('2.4.0', 'delivered')).behaviour, 'delivered');
  assert.equal(cliffBehaviour(madeRun('2.5.0', 'refused')).behaviour, 'refused');
  const noControl = cliffBehaviour(madeRun('2.5.0', 'no control'));
  assert.equal(noControl.behaviour, 'inconclusive');
  assert.match(noControl.why, /control was not delivered/);
  const failed = cliffBehaviour(madeRun('2.5.0', 'failed'));
  assert.equal(failed.behaviour, 'inconclusive');
  assert.match(failed.why, /the run failed: the client did not connect/);
  // Delivered, then dropped: neither the old behaviour nor the new one.
  assert.equal(cliffBehaviour(madeRun('2.5.0', 'delivered then dropped')).behaviour, 'inconclusive');
  // Not delivered, yet the server kept the session: not a refusal.
  const kept = { ...madeRun('2.5.0', 'refused'), serverDisconnect: null };
  assert.equal(cliffBehaviour(kept).behaviour, 'inconclusive');
  // Delivered, but the session carried nothing after it: not proven.
  const silent = { ...madeRun('2.4.0', 'delivered'), after: null };
  assert.equal(cliffBehaviour(silent).behaviour, 'inconclusive');
  // The limit the server reports is not the judge: a refusal under a 1e8 default is still a refusal.
  assert.equal(cliffBehaviour(madeRun('2.5.0', 'refused', { limit: 1e8 })).behaviour, 'refused');
});

test('marks for the bisection: refusing is the new behaviour (good), delivering the old (bad)', () => {
  assert.equal(cliffMark(madeRun('2.5.0', 'refused')), 'good');
  assert.equal(cliffMark(madeRun('2.4.1', 'delivered')), 'bad');
  assert.equal(cliffMark(madeRun('2.4.1', 'no control')), 'inconclusive');
});

test('the bisection orders releases by semver, not as given or as text (2.10.0 after 2.9.0)', () => {
  const runs = [
    madeRun('2.10.0', 'refused'),
    madeRun('2.2.0', 'delivered'),
    madeRun('2.9.0', 'delivered'),
    madeRun('2.11.0', 'refused'),
  ];
  const bisection = bisectCliff(runs);
  assert.ok(bisection);
  assert.equal(bisection.firstGood, '2.10.0');
  assert.equal(bisection.lastBad, '2.9.0');
  assert.equal(bisection.confirmed, true);
  assert.equal(bisectCliff([]), null);
});

test('the bisection steps over an inconclusive release and says the change may be in it', () => {
  const runs = [
    madeRun('2.3.0', 'delivered'),
    madeRun('2.4.1', 'delivered'),
    madeRun('2.5.0', 'failed'),
    madeRun('2.5.1', 'refused'),
  ];
  const bisection = bisectCliff(runs);
  assert.equal(bisection?.firstGood, '2.5.1');
  assert.deepEqual(bisection?.untestedBetween, ['2.5.0']);
  assert.match(
    describeBisection(result([], runs)),
    /2\.5\.0 between them could not be judged, so the change is in one of 2\.5\.0 and 2\.5\.1/,
  );
});

test('the bisection sentence names the first release that refuses, its engine.io and range, and the one before it', () => {
  const runs = SOCKET_IO_2X.map((v) => madeRun(v, ['2.5.0', '2.5.1'].includes(v) ? 'refused' : 'delivered'));
  const text = describeBisection(result([], runs));
  assert.match(
    text,
    /over 12 socket.io releases from 2\.0\.1 to 2\.5\.1, in semver order, each against socket.io-client 2\.4\.0/,
  );
  assert.match(
    text,
    /first release that refuses the message is 2\.5\.0, on engine.io 3\.6\.2 \(its range ~3\.6\.0, default 1,000,000\)/,
  );
  assert.match(
    text,
    /2\.4\.1 before it, on engine.io 3\.5\.0 \(its range ~3\.5\.0, default 100,000,000\), delivers it; every other release agrees/,
  );
});

test('a bisection table that changes twice, or never, says so instead of naming a release', () => {
  const twice = [
    madeRun('2.3.0', 'delivered'),
    madeRun('2.4.0', 'refused'),
    madeRun('2.4.1', 'delivered'),
    madeRun('2.5.0', 'refused'),
  ];
  assert.match(
    describeBisection(result([], twice)),
    /do not change once \(refusing from 2\.4\.0, then delivering again from 2\.4\.1, then refusing from 2\.5\.0\)/,
  );
  const never = [madeRun('2.3.0', 'delivered'), madeRun('2.4.0', 'delivered')];
  assert.match(describeBisection(result([], never)), /every conclusive release delivered the message/);
  const always = [madeRun('2.5.0', 'refused'), madeRun('2.5.1', 'refused')];
  assert.match(describeBisection(result([], always)), /every conclusive release refused the message/);
  assert.match(describeBisection(result([], [madeRun('2.5.0', 'failed')])), /no release gave a conclusive result/);
  assert.equal(describeBisection(result([])), 'No bisection was run.');
});

test("the releases sentence: who delivers and who refuses, each side's words grouped, the reconnect range", () => {
  const runs = [
    madeRun('1.7.4', 'delivered'),
    madeRun('2.4.0', 'delivered'),
    madeRun('2.5.0', 'refused', { reconnectMs: 600 }),
    madeRun('3.0.0', 'refused', { closeCode: 1006, reconnectMs: 1400 }),
    madeRun('4.8.4', 'refused', { reconnectMs: 900 }),
  ];
  const text = describeReleases(runs);
  assert.match(text, /socket.io 1\.7\.4 and 2\.4\.0 delivered a 1\.5 MiB message \(default limit 100,000,000 bytes\)/);
  assert.match(
    text,
    /socket.io 2\.5\.0, 3\.0\.0 and 4\.8\.4 dropped the connection that sent it \(default limit 1,000,000 bytes\)/,
  );
  assert.match(text, /the server saying 'transport error' \(RangeError: Max payload size exceeded\) every time/);
  assert.match(
    text,
    /'transport close' \(close code 1009\) on 2\.5\.0 and 4\.8\.4 and 'transport close' \(close code 1006\) on 3\.0\.0/,
  );
  assert.match(
    text,
    /reconnected on its own after 600 ms to 1\.4 s, with a new session id, and the large message was lost, not sent again/,
  );
  assert.match(text, /A 512 KiB control message reached the server first/);
  assert.match(text, /predicts every outcome/);
});

test('the releases sentence names a client that did not come back, an inconclusive run, and a limit that does not predict', () => {
  const stuck = madeRun('2.5.0', 'refused', { reconnectMs: null });
  assert.match(describeReleases([stuck]), /on 2\.5\.0 the client did not come back within the window/);
  const odd = madeRun('2.5.0', 'refused', { limit: 1e8 });
  assert.deepEqual(limitMismatches([odd, madeRun('2.4.0', 'delivered')]), ['2.5.0']);
  assert.match(describeReleases([odd]), /does not predict 2\.5\.0: look at those runs/);
  assert.match(describeReleases([madeRun('2.5.0', 'failed')]), /Not conclusive: socket.io 2\.5\.0 \(the run failed/);
  assert.equal(describeReleases([]), 'No release was run.');
});

test('against the reports: agreement when every 2.x release delivers, the disagreement and the changelog when one refuses', () => {
  const agree = describeAgainstReports(result([madeRun('2.4.0', 'delivered'), madeRun('3.0.0', 'refused')]));
  assert.match(
    agree,
    /The reports of 2021 \(socketio\/socket.io #3817 and socketio\/socket.io #3946\) call 2\.x fine; measured, every 2\.x release run here \(2\.4\.0\) agrees/,
  );
  const disagree = describeAgainstReports(
    result(
      [madeRun('2.4.0', 'delivered'), madeRun('2.5.0', 'refused'), madeRun('3.0.0', 'refused')],
      SOCKET_IO_2X.map((v) => madeRun(v, v.startsWith('2.5') ? 'refused' : 'delivered')),
    ),
  );
  assert.match(
    disagree,
    /socket.io 2\.0\.1 to 2\.4\.1 \(10 releases\) deliver it, but socket.io 2\.5\.0 and 2\.5\.1 refuse it, as 3\.0\.0 does; 2\.5\.0 \(2022-06-26\) came out after both reports/,
  );
  assert.match(
    disagree,
    /CHANGELOG.md shipped in socket.io 2\.5\.0 does not name maxHttpBufferSize: the change came in through its engine.io range ~3\.6\.0, which resolves engine.io 3\.6\.2 today, not the 3\.6\.0 it first took/,
  );
  assert.match(describeAgainstReports(result([madeRun('3.0.0', 'refused')])), /no 2\.x release was run here/);
  assert.equal(resolvesText('~3.6.0', '3.6.0'), 'which resolves engine.io 3.6.0');
  assert.equal(resolvesText('~3.6.0', '3.6.2'), 'which resolves engine.io 3.6.2 today, not the 3.6.0 it first took');
  assert.equal(resolvesText('>=3', '3.6.2'), 'which resolves engine.io 3.6.2');
});

test('the order sentence: semver puts 2.5.0 before 3.0.0, the calendar after, 21 months apart at the engine.io releases', () => {
  assert.match(
    describeOrder(),
    /engine.io 4\.0\.0 \(2020-09-10, under socket.io 3\.0\.0 of 2020-11-05\) had the 1 MB default 21 months before engine.io 3\.6\.0 \(2022-06-06\)/,
  );
  assert.match(describeOrder(), /by semver 2\.5\.0 comes before 3\.0\.0, by date after/);
});

test('the finding joins the parts; quick mode (no bisection) leaves the bisection and order out', () => {
  const quick = describeSizeCliff(result([madeRun('2.4.0', 'delivered'), madeRun('2.5.0', 'refused')]));
  assert.doesNotMatch(quick, /Bisected|semver order/);
  assert.match(quick, /socket.io 2\.4\.0 delivers it, but socket.io 2\.5\.0 refuses it/);
  const full = describeSizeCliff(
    result([madeRun('2.4.0', 'delivered')], [madeRun('2.4.1', 'delivered'), madeRun('2.5.0', 'refused')]),
  );
  assert.match(full, /Bisected over 2 socket.io releases/);
  assert.match(full, /semver order and release order part/);
});

test("table rows carry each side's words and the reconnect", () => {
  const [row] = cliffRunRows([madeRun('2.5.0', 'refused', { reconnectMs: 750 })]);
  assert.equal(row['large message'], 'refused');
  assert.equal(row['server said'], 'transport error (RangeError: Max payload size exceeded)');
  assert.equal(row['client said'], 'transport close (close code 1009)');
  assert.equal(row['client came back'], 'after 750 ms');
  assert.equal(row['next message'], 'delivered (session 2)');
  assert.equal(row['default limit (bytes)'], 1e6);
});

test('parameters: quick runs one pair and no bisection, full every major and the 2.x list; bad input is one line naming it', () => {
  const quick = sizeCliffParams({ quick: true });
  assert.deepEqual(quick.releases, [...QUICK_RELEASES]);
  assert.deepEqual(quick.bisect, []);
  const full = sizeCliffParams({ quick: false });
  assert.deepEqual(full.releases, [...MAJOR_RELEASES]);
  assert.deepEqual(full.bisect, [...SOCKET_IO_2X]);
  assert.equal(full.overSize, 1.5 * 1024 * 1024);
  // Semver order whatever order they are given in.
  assert.deepEqual(sizeCliffParams({ quick: true, bisect: ['2.10.0', '2.9.0'] }).bisect, ['2.9.0', '2.10.0']);
  assert.equal(sizeCliffParams({ quick: true, overSize: '2MiB' }).overSize, 2 * 1024 * 1024);
  const bad = (raw: Parameters<typeof sizeCliffParams>[0], re: RegExp) =>
    assert.throws(
      () => sizeCliffParams(raw),
      (e: Error) => e instanceof ParamError && re.test(e.message) && !e.message.includes('\n'),
    );
  bad({ quick: true, releases: ['2.x'] }, /^releases: '2\.x' is not an exact release/);
  bad({ quick: true, bisectClient: 'latest' }, /^bisectClient: 'latest'/);
  bad({ quick: true, overSize: 'big' }, /^overSize: /);
  bad({ quick: true, underSize: '2MiB' }, /^underSize: .* is not under overSize/);
  bad({ quick: true, releases: [] }, /^releases: empty/);
});

test('every release the row runs by default is in the committed pinned set (set-up installs it)', () => {
  const pinned = new Set(pinnedVersions().map((p) => `${p.name}@${p.version}`));
  const root = STACKS.today.expected['socket.io']; // the root's own install, not the cache
  for (const v of [...MAJOR_RELEASES, ...SOCKET_IO_2X].filter((v) => v !== root))
    assert.ok(pinned.has(`socket.io@${v}`), `socket.io@${v} is not pinned`);
  for (const v of [...MAJOR_RELEASES, '2.4.0'].filter((v) => v !== root))
    assert.ok(pinned.has(`socket.io-client@${v}`), `socket.io-client@${v} is not pinned`);
});
