/**
 * Chapter 9, row 4: RSV1 misuse against bare ws servers of each major. For each release and
 * misuse, a server runs in its own process with no 'error' listener on its sockets; a ws 8 client
 * connects (offering permessage-deflate; the server accepts it or not, as the misuse needs), sends
 * a well-formed message (the positive control: it must be delivered), then the crafted frames. What
 * the client hears (a close frame and its code, a cut, or nothing within the bound) and whether the
 * server process died of an uncaught exception make the release's behaviour. Where neighbouring
 * majors behave differently, a bisection over the committed candidates between them finds the
 * first release with the new behaviour.
 */
import path from 'node:path';
import WebSocket from 'ws';
import { ChildHost } from '../core/child-host';
import { assertMeasuring } from '../core/replay';
import { bisectByTesting, type BisectMark, type Bisection } from '../bare-ws/bisect';
import {
  MISUSE_SPECS,
  misuseFrames,
  rawSocket,
  RSV1_MISUSES,
  WELL_FORMED_TEXT,
  MISUSE_TEXT,
  wellFormedFrame,
  type Rsv1Misuse,
} from '../clients/crafted-frames';
import { acceptsDeflate } from '../observe/wire';
import { compareVersions } from '../core/version-cache';
import { UNCAUGHT_MARK, type Rsv1ServerReply, type Rsv1ServerRequest } from './rsv1-server';
import { releaseDir, rootVersion } from './release-dir';

/** One release per ws major, oldest first; the last is the root's ws (checked when a run starts). */
export const RSV1_MAJORS = ['1.1.5', '2.3.1', '3.3.3', '4.1.0', '5.2.4', '6.2.3', '7.5.10', '8.23.0'] as const;

/**
 * The bisection's fixed candidates: every published ws release between the majors where the
 * behaviour changed when this row was written (2.3.1 → 3.3.3 and 6.2.3 → 7.5.10), all in the pinned
 * set. A change between other majors is bisected over the candidates it has here (maybe none).
 */
export const RSV1_CANDIDATES: readonly string[] = [
  ...['2.3.1', '3.0.0', '3.1.0', '3.2.0', '3.3.0', '3.3.1', '3.3.2', '3.3.3'],
  ...['6.2.3', '6.2.4', '6.2.5', '6.2.6', '6.2.7', '7.0.0', '7.0.1', '7.1.0', '7.1.1', '7.1.2'],
  ...['7.2.0', '7.2.1', '7.2.2', '7.2.3', '7.2.5', '7.3.0', '7.3.1'],
  ...['7.4.0', '7.4.1', '7.4.2', '7.4.3', '7.4.4', '7.4.5', '7.4.6'],
  ...['7.5.0', '7.5.1', '7.5.2', '7.5.3', '7.5.4', '7.5.5', '7.5.6', '7.5.7', '7.5.8', '7.5.9', '7.5.10'],
];

/** The bounds of one run: the handshake, the control's delivery, the close after the misuse, the server's last word. */
export const RSV1_LIMITS = { openMs: 3_000, deliveryMs: 2_000, closeMs: 2_000, reportMs: 1_000 } as const;

/** One misuse against one release. */
export interface MisuseRun {
  version: string;
  misuse: Rsv1Misuse;
  /** The server's answer to the client's permessage-deflate offer ('' for none). */
  deflateAnswer: string;
  /** Control: deflate was negotiated exactly when the misuse needs it. */
  negotiatedAsCaseSays: boolean;
  /** Control: the well-formed message sent first on the same connection was delivered. */
  wellFormedDelivered: boolean;
  /** The close code the client saw (1006: the connection ended without a close frame); null: still open at the bound. */
  closeCode: number | null;
  closeReason: string;
  /** The server delivered the misuse's text, or saw its ping: it took the frame. */
  misuseTaken: boolean;
  /** The server process exited on an uncaught exception. */
  crashed: boolean;
  /** The uncaught exception's message, when it crashed. */
  crashError: string;
  ms: number;
  /** Set when the run itself failed (the server did not start, the client could not connect). */
  runError?: string;
}

/** How a close reads: `close 1002`, `cut (1006, no close frame)` or `left open`. */
export function closeWords(run: Pick<MisuseRun, 'closeCode'>): string {
  if (run.closeCode === null) return 'left open';
  return run.closeCode === 1006 ? 'cut (1006, no close frame)' : `close ${run.closeCode}`;
}

/** Why a run cannot say how its release behaves (empty when it can): the run failed, or a control did not hold. */
export function runBlockers(run: MisuseRun): string[] {
  const blockers: string[] = [];
  if (run.runError) blockers.push(run.runError);
  if (!run.negotiatedAsCaseSays)
    blockers.push(
      `deflate was ${run.deflateAnswer ? 'negotiated' : 'not negotiated'} where the case needs it ${MISUSE_SPECS[run.misuse].deflateNegotiated ? 'on' : 'off'}`,
    );
  if (!run.wellFormedDelivered) blockers.push('the well-formed message was not delivered');
  return blockers;
}

/** One run's behaviour in words (what the client heard; crash or not), or undefined when the run cannot say. */
export function behaviourOf(run: MisuseRun): string | undefined {
  if (runBlockers(run).length > 0) return undefined;
  const taken = run.misuseTaken ? ', frame taken' : '';
  return `${closeWords(run)}${taken}; ${run.crashed ? 'server crashed' : 'server kept running'}`;
}

/** A release's behaviour over its repeats: the one they all showed, or undefined when one cannot say or they differ. */
export function releaseBehaviour(runs: readonly MisuseRun[]): string | undefined {
  const seen = new Set(runs.map(behaviourOf));
  const [only] = [...seen];
  return runs.length > 0 && seen.size === 1 ? only : undefined;
}

function serverModule(): string {
  return path.join(__dirname, 'rsv1-server.js');
}

interface ClientSide {
  ws: WebSocket;
  answer: string;
  closed: Promise<{ code: number; reason: string }>;
}

async function connect(port: number): Promise<ClientSide> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, {
    perMessageDeflate: true,
    handshakeTimeout: RSV1_LIMITS.openMs,
  });
  let answer = '';
  ws.on('upgrade', (res) => (answer = String(res.headers['sec-websocket-extensions'] ?? '')));
  // A cut connection reports an error before its close: the close says what happened.
  ws.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code: code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    void closed.then(() => reject(new Error('the connection closed before it opened')));
  });
  return { ws: ws, answer: answer, closed: closed };
}

const within = <T>(promise: Promise<T>, ms: number): Promise<T | undefined> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    void promise.then((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });

/** Sends one misuse to a fresh server of `version` in its own process; every step bounded. */
export async function runMisuse(version: string, misuse: Rsv1Misuse): Promise<MisuseRun> {
  assertMeasuring('an RSV1 misuse run');
  const started = Date.now();
  const spec = MISUSE_SPECS[misuse];
  const run: MisuseRun = {
    version: version,
    misuse: misuse,
    deflateAnswer: '',
    negotiatedAsCaseSays: false,
    wellFormedDelivered: false,
    closeCode: null,
    closeReason: '',
    misuseTaken: false,
    crashed: false,
    crashError: '',
    ms: 0,
  };
  const host = new ChildHost<Rsv1ServerRequest, Rsv1ServerReply>(serverModule(), {
    name: `the ws ${version} server`,
    stderr: 'pipe',
  });
  let stderr = '';
  host.child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => host.child.once('exit', (code) => resolve(code)));
  let client: ClientSide | undefined;
  try {
    const { port } = await host.ask(
      { type: 'start', dir: releaseDir('ws', version), deflate: spec.deflateNegotiated },
      'started',
      { limitMs: RSV1_LIMITS.openMs },
    );
    client = await connect(port);
    run.deflateAnswer = client.answer;
    run.negotiatedAsCaseSays = acceptsDeflate(client.answer) === spec.deflateNegotiated;
    const socket = rawSocket(client.ws);
    socket.write(wellFormedFrame(WELL_FORMED_TEXT, acceptsDeflate(client.answer)));
    const delivery = await host.ask(
      { type: 'await-message', text: WELL_FORMED_TEXT, limitMs: RSV1_LIMITS.deliveryMs },
      'message-seen',
      { limitMs: RSV1_LIMITS.deliveryMs + 1_000 },
    );
    run.wellFormedDelivered = delivery.seen;
    for (const frame of misuseFrames(misuse)) socket.write(frame);
    const closed = await within(client.closed, RSV1_LIMITS.closeMs);
    run.closeCode = closed?.code ?? null;
    run.closeReason = closed?.reason ?? '';
    // A crash comes in the tick that handles the frame, before or with the close: a report the
    // server still answers afterwards means it survived.
    const report = await host
      .ask({ type: 'report' }, 'reported', { limitMs: RSV1_LIMITS.reportMs })
      .catch(() => undefined);
    if (report) run.misuseTaken = report.messages.includes(MISUSE_TEXT) || report.pings > 0;
    else {
      const code = await within(exited, RSV1_LIMITS.reportMs);
      const mark = stderr.split('\n').find((line) => line.startsWith(UNCAUGHT_MARK));
      run.crashed = code !== undefined && code !== 0 && mark !== undefined;
      run.crashError = mark?.slice(UNCAUGHT_MARK.length) ?? '';
      if (!run.crashed) run.runError = `the server neither answered nor crashed (exit ${code ?? 'not yet'})`;
    }
  } catch (error) {
    run.runError = (error as Error).message;
  } finally {
    client?.ws.terminate();
    await host.close(1_000);
  }
  run.ms = Date.now() - started;
  return run;
}

/** A change of behaviour between two neighbouring majors, bisected over the candidates between them. */
export interface Rsv1Bisection {
  misuse: Rsv1Misuse;
  /** The majors on either side. */
  from: string;
  to: string;
  oldBehaviour: string;
  newBehaviour: string;
  /** The committed candidates from `from` to `to`, oldest first. */
  candidates: string[];
  bisection: Bisection<string>;
  /** Every run the bisection made (the majors' runs included where it used them). */
  runs: MisuseRun[];
}

/** What row 4 measured. */
export interface Rsv1Result {
  rootWs: string;
  majors: string[];
  misuses: Rsv1Misuse[];
  repeats: number;
  /** The majors' runs (every repeat). */
  runs: MisuseRun[];
  bisections: Rsv1Bisection[];
}

/** Which releases and misuses a run covers, and whether it bisects. */
export interface Rsv1Plan {
  majors: readonly string[];
  misuses: readonly Rsv1Misuse[];
  /** Runs per release and misuse, each on a fresh server; a release's behaviour counts only when they agree. */
  repeats: number;
  bisect: boolean;
}

/** Checks the plan before anything starts: known misuses, releases the cache (or the root) holds, oldest first. */
export function checkRsv1Plan(plan: Rsv1Plan): void {
  for (const misuse of plan.misuses)
    if (!(RSV1_MISUSES as readonly string[]).includes(misuse))
      throw new Error(`misuses: '${misuse}' is not one of ${RSV1_MISUSES.join(', ')}`);
  if (!Number.isInteger(plan.repeats) || plan.repeats < 1 || plan.repeats > 5)
    throw new Error(`repeats: ${plan.repeats} is out of range: use 1 to 5`);
  for (const version of plan.majors) releaseDir('ws', version);
  const sorted = [...plan.majors].sort(compareVersions);
  if (sorted.join() !== plan.majors.join()) throw new Error('majors: list the ws releases oldest first');
}

/** The candidates from `from` to `to` (both included, whatever the list holds), oldest first. */
export function candidatesBetween(from: string, to: string, candidates: readonly string[] = RSV1_CANDIDATES): string[] {
  const inside = candidates.filter((v) => compareVersions(v, from) > 0 && compareVersions(v, to) < 0);
  return [from, ...inside, to];
}

async function repeatedRuns(
  version: string,
  misuse: Rsv1Misuse,
  repeats: number,
  onRun: (run: MisuseRun) => void,
): Promise<MisuseRun[]> {
  const runs: MisuseRun[] = [];
  for (let i = 0; i < repeats; i++) {
    const run = await runMisuse(version, misuse);
    runs.push(run);
    onRun(run);
  }
  return runs;
}

async function bisectChange(
  misuse: Rsv1Misuse,
  older: MisuseRun[],
  newer: MisuseRun[],
  repeats: number,
  onRun: (run: MisuseRun) => void,
): Promise<Rsv1Bisection> {
  const oldBehaviour = releaseBehaviour(older) as string;
  const newBehaviour = releaseBehaviour(newer) as string;
  const [from, to] = [older[0].version, newer[0].version];
  const candidates = candidatesBetween(from, to);
  const known = new Map([
    [from, older],
    [to, newer],
  ]);
  const bisection = await bisectByTesting(candidates, from, async (version): Promise<BisectMark> => {
    let runs = known.get(version);
    if (!runs) known.set(version, (runs = await repeatedRuns(version, misuse, repeats, onRun)));
    const behaviour = releaseBehaviour(runs);
    return behaviour === oldBehaviour ? 'bad' : behaviour === newBehaviour ? 'good' : 'inconclusive';
  });
  return {
    misuse: misuse,
    from: from,
    to: to,
    oldBehaviour: oldBehaviour,
    newBehaviour: newBehaviour,
    candidates: candidates,
    bisection: bisection,
    runs: [...known.values()].flat().sort((a, b) => compareVersions(a.version, b.version)),
  };
}

/** Runs every misuse on every major, then bisects each change between neighbouring majors (when asked). */
export async function measureRsv1(
  plan: Rsv1Plan,
  onRun: (run: MisuseRun) => void = () => undefined,
): Promise<Rsv1Result> {
  assertMeasuring('the RSV1 misuse row');
  checkRsv1Plan(plan);
  const byRelease = new Map<string, MisuseRun[]>();
  for (const version of plan.majors)
    for (const misuse of plan.misuses)
      byRelease.set(`${version} ${misuse}`, await repeatedRuns(version, misuse, plan.repeats, onRun));
  const bisections: Rsv1Bisection[] = [];
  if (plan.bisect) {
    for (const misuse of plan.misuses) {
      const mine = plan.majors.map((version) => byRelease.get(`${version} ${misuse}`) as MisuseRun[]);
      for (let i = 1; i < mine.length; i++) {
        const before = releaseBehaviour(mine[i - 1]);
        const after = releaseBehaviour(mine[i]);
        if (before !== undefined && after !== undefined && before !== after)
          bisections.push(await bisectChange(misuse, mine[i - 1], mine[i], plan.repeats, onRun));
      }
    }
  }
  return {
    rootWs: rootVersion('ws'),
    majors: [...plan.majors],
    misuses: [...plan.misuses],
    repeats: plan.repeats,
    runs: [...byRelease.values()].flat(),
    bisections: bisections,
  };
}
