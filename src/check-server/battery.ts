/**
 * The battery: the cases run against one server, in order, each bounded in messages, bytes and
 * time (see budget.ts for the totals printed before anything is sent). Each case returns a verdict
 * with its controls and a sentence worded from what it measured.
 */
import { payload } from '../traffic/payloads';
import { formatBytes, formatDuration } from '../core/units';
import { withinLimit } from '../core/limit';
import { readDisconnect } from './disconnects';
import { pollingHandshake, protocolFromOpen } from './handshake';
import { CLIFF_FLOOR, redact, type CheckCase, type CheckOptions } from './options';
import { CheckSession, sha256, UNHANDLED_EVENT, type OpenInfo } from './session';
import { encodeTextEvent, type EioRevision } from '../clients/sio-protocol';
import { OPCODE } from '../clients/frames';
import { craftedFrame, MISUSE_SPECS, misuseFrames, RSV1_MISUSES, type Rsv1Misuse } from '../clients/crafted-frames';
import { assertMeasuring } from '../core/replay';
import type { FinerVerdict } from '../core/verdict';

/** A case's verdict, in the finer words of core/verdict.ts. `not tested` says a precondition was missing, and the finding says which. */
export type CaseVerdict = Extract<FinerVerdict, 'pass' | 'fail' | 'not tested'>;

/** One case against one server. */
export interface CaseResult {
  case: CheckCase;
  verdict: CaseVerdict;
  /** Worded from the measurements. */
  finding: string;
  /** The positive controls and the measured facts behind the verdict. */
  controls: Record<string, string | number | boolean | null>;
  ms: number;
}

/** What the handshake case learned, which every later case needs. */
export interface HandshakeFacts {
  eio: EioRevision;
  open: OpenInfo;
  /** The server's answer to the permessage-deflate offer ('' for none). */
  deflateAnswer: string;
  /** Whether the server answers the documented ack event. */
  digestEvent: boolean;
}

/** The characters the unhandled event's envelope adds to a message, at most (`42/ns,["…",{"seq":99}," … "]`). */
export const ENVELOPE_CHARS = 64;
/** The bytes the battery sends in its handshake case, at most: the polling requests and a small ack check. */
export const HANDSHAKE_BYTES = 4 * 1024;

const DIGEST_CHECK = 'deflate-lab digest check';
/** Beyond twice pingInterval + pingTimeout, the least the silent client waits for a server that drops late. */
const SILENT_GRACE_MS = 2_000;
/** How long the handshake waits for the ack event's answer before taking it as unhandled (the Artillery export's check too). */
export const DIGEST_CHECK_MS = 2_000;

async function openSession(options: CheckOptions, eio: EioRevision): Promise<CheckSession> {
  const session = new CheckSession(options.target, eio, options.limits.fragmentSize, options.limits.replyTimeoutMs);
  await session.ready(options.limits.replyTimeoutMs);
  return session;
}

function notReady(session: CheckSession, options: CheckOptions): string {
  if (session.joined && !session.joined.ok)
    return `the server refused namespace ${options.target.namespace}: ${redact(session.joined.refused, options.target)}`;
  if (session.end)
    return `the connection ended before it was ready: ${redact(readDisconnect(session.end).label, options.target)}`;
  return `no open packet and namespace join within ${formatDuration(options.limits.replyTimeoutMs)}`;
}

/** The handshake case: protocol, heartbeat, maxPayload, upgrades, permessage-deflate and the ack event. */
export async function runHandshake(options: CheckOptions): Promise<{ result: CaseResult; facts?: HandshakeFacts }> {
  const started = Date.now();
  const polling = await pollingHandshake(options.target, options.limits.replyTimeoutMs).catch((error: Error) => ({
    status: 0,
    refused: redact(`${error.message}${error.cause ? ` (${(error.cause as Error).message})` : ''}`, options.target),
    eio: undefined,
    open: undefined,
  }));
  // A server that refuses polling may still take WebSocket: revision 4 first, told apart from 3 by its open packet.
  let eio: EioRevision = polling.eio ?? 4;
  let session = await openSession(options, eio);
  if (!polling.eio && session.open && protocolFromOpen(session.open) === 3) {
    await session.close();
    eio = 3;
    session = await openSession(options, eio);
  }
  const open = session.open ?? polling.open;
  const ready = session.joined?.ok === true && !session.end;
  const digest = ready
    ? await session.digest(DIGEST_CHECK, Math.min(DIGEST_CHECK_MS, options.limits.replyTimeoutMs))
    : undefined;
  const digestEvent = digest?.sha256 === sha256(DIGEST_CHECK);
  await session.close();
  const controls: CaseResult['controls'] = {
    'polling handshake': polling.eio ? `HTTP ${polling.status}` : `refused (${polling.refused})`,
    'engine.io protocol': open ? eio : null,
    pingInterval: open?.pingInterval ?? null,
    pingTimeout: open?.pingTimeout ?? null,
    maxPayload: open?.maxPayload ?? 'not announced',
    upgrades: (polling.open?.upgrades ?? []).join(', ') || 'none',
    'permessage-deflate offered': 'permessage-deflate; client_max_window_bits',
    'permessage-deflate answer': session.sender.answer || 'none',
    'namespace joined': ready,
    'ack event answered': digestEvent,
  };
  const ms = Date.now() - started;
  if (!open || !ready) {
    return {
      result: {
        case: 'handshake',
        verdict: 'fail',
        finding: `The battery could not connect: ${polling.eio ? notReady(session, options) : `the polling handshake was refused (${polling.refused}) and ${notReady(session, options)}`}.`,
        controls: controls,
        ms: ms,
      },
    };
  }
  const deflate = session.sender.answer
    ? `permessage-deflate was negotiated (${session.sender.answer})`
    : 'permessage-deflate was not negotiated (the server answered the offer with no extension)';
  const finding =
    `The server speaks engine.io protocol ${eio}, pings every ${formatDuration(open.pingInterval)} and waits ${formatDuration(open.pingTimeout)} for an answer` +
    `${open.maxPayload === undefined ? '' : `, accepts messages up to ${open.maxPayload.toLocaleString('en-US')} bytes`}; ${deflate}; ` +
    `namespace ${options.target.namespace} was joined` +
    `${digestEvent ? ', and it answers the ack event, so every message the battery sends can be checked' : ', and it does not answer the ack event, so in-order replies stand in for checksums'}.`;
  return {
    result: { case: 'handshake', verdict: 'pass', finding: finding, controls: controls, ms: ms },
    facts: { eio: eio, open: open, deflateAnswer: session.sender.answer, digestEvent: digestEvent },
  };
}

/** Whether a message of `size` characters fits the server's announced maxPayload (always, when it announced none). */
export function fitsPayload(size: number, open: OpenInfo): boolean {
  return open.maxPayload === undefined || size + ENVELOPE_CHARS <= open.maxPayload;
}

/**
 * The fragmented case: bursts of messages sent as Chromium sends them (an RSV1 first frame and
 * continuation frames, back to back) to an event no server handles, each burst followed by an
 * in-order reply: the documented ack event with a same-size message whose checksum the server
 * returns, or else a namespace probe.
 */
export async function runFragmented(options: CheckOptions, facts: HandshakeFacts): Promise<CaseResult> {
  const started = Date.now();
  const { limits } = options;
  const sizes = limits.frameSizes.filter((s) => fitsPayload(s, facts.open));
  const skipped = limits.frameSizes.filter((s) => !sizes.includes(s));
  const session = await openSession(options, facts.eio);
  const counts = { replies: 0, expectedReplies: 0, verified: 0, corrupted: 0 };
  let variant = 0;
  // The wire controls count the load and its replies only, not the connect and heartbeat messages before it.
  const before = { ...session.sender.written, protocol: session.protocolMessages };
  const load = () => {
    const w = session.sender.written;
    // Heartbeats written during the load are single compressed frames: not part of it.
    const heartbeats = session.sender.compressing ? session.protocolMessages - before.protocol : 0;
    return {
      messages: w.messages - before.messages - (session.protocolMessages - before.protocol),
      rsv1FirstFrames: w.rsv1FirstFrames - before.rsv1FirstFrames - heartbeats,
      continuationFrames: w.continuationFrames - before.continuationFrames,
      bytes: w.bytes - before.bytes,
    };
  };
  const done = async (verdict: CaseVerdict, finding: string): Promise<CaseResult> => {
    const end = readDisconnect(session.end);
    await session.close();
    const w = load();
    return {
      case: 'fragmented',
      verdict: verdict,
      finding: redact(finding, options.target),
      controls: {
        'deflate negotiated': session.sender.compressing,
        'messages sent': w.messages,
        'RSV1 first frames': w.rsv1FirstFrames,
        'continuation frames': w.continuationFrames,
        'bytes on the wire': w.bytes,
        'in-order replies': `${counts.replies} of ${counts.expectedReplies}`,
        'checksums verified': facts.digestEvent ? counts.verified : 'no ack event',
        'checksums wrong': facts.digestEvent ? counts.corrupted : 'no ack event',
        disconnect: redact(end.label, options.target),
        'sizes skipped (over maxPayload)': skipped.map(formatBytes).join(', ') || 'none',
      },
      ms: Date.now() - started,
    };
  };
  if (!session.joined?.ok || session.end)
    return done('fail', `The battery could not connect: ${notReady(session, options)}.`);
  if (!session.sender.compressing)
    return done('not tested', 'Deflate was not negotiated, so fragmented compressed frames could not be tested.');
  if (sizes.length === 0)
    return done(
      'not tested',
      `Every message size asked for is above the server's maxPayload (${facts.open.maxPayload}), so nothing was sent: use smaller --frame-sizes.`,
    );
  sending: for (const size of sizes) {
    for (let b = 0; b < limits.bursts; b++) {
      const burst = Array.from(
        { length: limits.burst },
        () => payload('data-url', size, options.seed, variant++).data as string,
      );
      if ((await session.sendUnhandled(burst)) === 0) break sending;
      counts.expectedReplies++;
      if (facts.digestEvent) {
        const data = payload('data-url', size, options.seed, variant++).data as string;
        const answer = await session.digest(data, limits.replyTimeoutMs);
        if (answer) {
          counts.replies++;
          if (answer.sha256 === sha256(data) && answer.bytes === Buffer.byteLength(data)) counts.verified++;
          else counts.corrupted++;
        }
      } else if ((await session.probe(limits.replyTimeoutMs)) !== undefined) counts.replies++;
      if (session.end || counts.replies < counts.expectedReplies) break sending;
    }
  }
  const w = load();
  const end = readDisconnect(session.end);
  const wire = `${w.messages} messages went out as ${w.rsv1FirstFrames} RSV1 first frames and ${w.continuationFrames} continuation frames`;
  if (end.byServer) {
    const what = end.inflateFailure
      ? `The server could not inflate fragmented compressed messages: it closed the connection with ${end.label}`
      : `The server dropped the connection (${end.label})`;
    return done('fail', `${what} after ${wire}, ${counts.replies} of ${counts.expectedReplies} in-order replies back.`);
  }
  if (w.continuationFrames === 0)
    return done(
      'not tested',
      `Every message compressed to less than one fragment (${formatBytes(limits.fragmentSize)}), so no continuation frame was sent: use larger --frame-sizes or a smaller --fragment-size.`,
    );
  if (counts.replies < counts.expectedReplies)
    return done(
      'fail',
      `The connection stopped answering: ${counts.replies} of ${counts.expectedReplies} in-order replies came back within ${formatDuration(limits.replyTimeoutMs)} after ${wire}.`,
    );
  if (counts.corrupted > 0)
    return done(
      'fail',
      `${counts.corrupted} of ${counts.verified + counts.corrupted} checked messages arrived altered after ${wire}.`,
    );
  const proof = facts.digestEvent
    ? `all ${counts.verified} messages checked by the ack event arrived intact (length and SHA-256 match)`
    : `every burst was followed by an in-order reply (${counts.replies} of ${counts.expectedReplies}; the server does not answer the ack event, so contents were not checked)`;
  return done('pass', `Compressed fragments were delivered: ${wire}; the connection stayed open and ${proof}.`);
}

interface CliffStep {
  size: number;
  accepted: boolean;
  disconnect: string;
}

// One message of `size` on a fresh connection: accepted when its in-order reply comes back and the connection stays open.
async function cliffStep(options: CheckOptions, facts: HandshakeFacts, size: number): Promise<CliffStep> {
  const session = await openSession(options, facts.eio);
  try {
    if (!session.joined?.ok || session.end)
      return { size: size, accepted: false, disconnect: notReady(session, options) };
    const data = payload('data-url', size, options.seed, 0).data as string;
    let replied: boolean;
    if (facts.digestEvent) {
      const answer = await session.digest(data, options.limits.replyTimeoutMs);
      replied = answer?.sha256 === sha256(data);
    } else {
      await session.sendUnhandled([data]);
      replied = (await session.probe(options.limits.replyTimeoutMs)) !== undefined;
    }
    const accepted = replied && !session.end;
    return { size: size, accepted: accepted, disconnect: redact(readDisconnect(session.end).label, options.target) };
  } finally {
    await session.close();
  }
}

/** The most steps the cliff's bisection takes for a cap. */
export function cliffSteps(cap: number): number {
  return 2 + Math.ceil(Math.log2(cap / CLIFF_FLOOR));
}

/** The size cliff: the largest message accepted, by bisection between 1 KiB and the cap, and what the client saw past it. */
export async function runCliff(options: CheckOptions, facts: HandshakeFacts): Promise<CaseResult> {
  const started = Date.now();
  const cap = options.limits.cliffCap;
  const steps: CliffStep[] = [await cliffStep(options, facts, cap)];
  const controls = () => ({
    'deflate negotiated': facts.deflateAnswer !== '',
    'checked by': facts.digestEvent ? 'ack event (SHA-256)' : 'in-order namespace reply',
    steps: steps.map((s) => `${formatBytes(s.size)} ${s.accepted ? 'ok' : `refused (${s.disconnect})`}`).join('; '),
  });
  const result = (verdict: CaseVerdict, finding: string): CaseResult => ({
    case: 'cliff',
    verdict: verdict,
    finding: redact(finding, options.target),
    controls: controls(),
    ms: Date.now() - started,
  });
  if (steps[0].accepted)
    return result('pass', `A ${formatBytes(cap)} message was accepted: no size cliff up to the cap.`);
  const floor = await cliffStep(options, facts, CLIFF_FLOOR);
  steps.push(floor);
  if (!floor.accepted)
    return result(
      'fail',
      `Even a ${formatBytes(CLIFF_FLOOR)} message was not accepted (${floor.disconnect}): the cliff cannot be placed.`,
    );
  let lo = CLIFF_FLOOR;
  let hi = cap;
  let refusal = steps[0].disconnect;
  while (hi - lo > Math.max(CLIFF_FLOOR, lo / 100) && steps.length < cliffSteps(cap)) {
    const mid = Math.round((lo + hi) / 2);
    const step = await cliffStep(options, facts, mid);
    steps.push(step);
    if (step.accepted) lo = mid;
    else {
      hi = mid;
      refusal = step.disconnect;
    }
  }
  const announced =
    facts.open.maxPayload === undefined
      ? ''
      : ` (the handshake announced maxPayload ${facts.open.maxPayload.toLocaleString('en-US')} bytes)`;
  return result(
    'pass',
    `The largest message accepted was ${lo.toLocaleString('en-US')} characters and ${hi.toLocaleString('en-US')} was refused${announced}; past it the client saw ${refusal}.`,
  );
}

/** The silent client: connects, then answers no heartbeat and sends nothing; how long until the server drops it. */
export async function runSilent(options: CheckOptions, facts: HandshakeFacts): Promise<CaseResult> {
  const started = Date.now();
  const expected = facts.open.pingInterval + facts.open.pingTimeout;
  // Dropped within pingInterval + pingTimeout of the last heartbeat, plus scheduling slack.
  const allowed = expected + Math.max(1_000, expected / 10);
  // Long enough to see a server that drops late, bounded by --silent-max.
  const wait = Math.min(options.limits.silentMaxMs, 2 * expected + Math.max(SILENT_GRACE_MS, expected));
  const controls: CaseResult['controls'] = { 'pingInterval + pingTimeout': expected, 'waited at most': wait };
  const result = (verdict: CaseVerdict, finding: string): CaseResult => ({
    case: 'silent',
    verdict: verdict,
    finding: redact(finding, options.target),
    controls: controls,
    ms: Date.now() - started,
  });
  if (allowed > options.limits.silentMaxMs)
    return result(
      'not tested',
      `pingInterval + pingTimeout is ${formatDuration(expected)}, longer than --silent-max (${formatDuration(options.limits.silentMaxMs)}): raise --silent-max to test it.`,
    );
  const session = await openSession(options, facts.eio);
  if (!session.joined?.ok || session.end) {
    await session.close();
    return result('fail', `The battery could not connect: ${notReady(session, options)}.`);
  }
  session.goSilent();
  const silentAt = Date.now();
  const end = await withinLimit(session.closed(), wait);
  const droppedMs = end ? Date.now() - silentAt : null;
  await session.close();
  controls['dropped after (ms)'] = droppedMs;
  controls.disconnect = readDisconnect(session.end).label;
  if (droppedMs === null)
    return result(
      'fail',
      `The server kept a client that answered no heartbeat for ${formatDuration(wait)}, past pingInterval + pingTimeout (${formatDuration(expected)}): dead clients linger.`,
    );
  const when =
    droppedMs <= allowed
      ? `within pingInterval + pingTimeout (${formatDuration(expected)})`
      : `${formatDuration(droppedMs - expected)} later than pingInterval + pingTimeout (${formatDuration(expected)}) would have it`;
  return result(
    'pass',
    `A client that stopped answering heartbeats was dropped after ${formatDuration(droppedMs)} (${readDisconnect(end ?? undefined).label}), ${when}.`,
  );
}

/** Characters of the mixed case's messages: over any threshold a server sets (ws's is 1024 bytes), small on the wire. */
export const MIXED_SIZE = 4 * 1024;

/**
 * A compressed message after an uncompressed one: on one connection with deflate negotiated, a
 * compressed message, then one sent uncompressed (RSV1 clear, as ws 8.2.2 sent messages under its
 * threshold), then a compressed one with the first one's text, so that under context takeover it
 * refers back past the uncompressed one into the first. Accepted when its in-order reply comes back
 * (checked by the ack event's SHA-256 where the server answers it) and the connection stays open.
 */
export async function runMixed(options: CheckOptions, facts: HandshakeFacts): Promise<CaseResult> {
  const started = Date.now();
  const wire: string[] = [];
  const controls: CaseResult['controls'] = { 'deflate answer': facts.deflateAnswer || 'none' };
  const result = (verdict: CaseVerdict, finding: string): CaseResult => ({
    case: 'mixed',
    verdict: verdict,
    finding: redact(finding, options.target),
    controls: { ...controls, 'RSV1 pattern': wire.join(' ') || 'nothing sent' },
    ms: Date.now() - started,
  });
  if (!facts.deflateAnswer)
    return result(
      'not tested',
      'Deflate was not negotiated, so no message could go out compressed after an uncompressed one.',
    );
  const session = await openSession(options, facts.eio);
  try {
    if (!session.joined?.ok || session.end)
      return result('fail', `The battery could not connect: ${notReady(session, options)}.`);
    const data = payload('data-url', MIXED_SIZE, options.seed, 0).data as string;
    const event = (seq: number) =>
      Buffer.from(encodeTextEvent(options.target.namespace, UNHANDLED_EVENT, [{ seq: seq }, data]));
    const before = session.sender.written.rsv1FirstFrames;
    await session.sender.send(event(0), OPCODE.text).catch(() => false);
    wire.push(session.sender.written.rsv1FirstFrames > before ? '1' : '0');
    if (await session.writeRaw([craftedFrame(OPCODE.text, event(1), true, false)])) wire.push('0');
    controls['client context'] = deflateContext(facts.deflateAnswer);
    const beforeLast = session.sender.written.rsv1FirstFrames;
    const reply = facts.digestEvent
      ? await session.digest(data, options.limits.replyTimeoutMs)
      : await session.probe(options.limits.replyTimeoutMs);
    wire.push(session.sender.written.rsv1FirstFrames > beforeLast ? '1' : '0');
    const end = readDisconnect(session.end);
    controls['checked by'] = facts.digestEvent ? 'ack event (SHA-256)' : 'in-order namespace reply';
    controls.disconnect = redact(end.label, options.target);
    const sent = `after ${wire.length} messages went out as RSV1 ${wire.join(' ')} (${controls['client context']})`;
    if (end.byServer) return result('fail', `The server closed the connection (${end.label}) ${sent}.`);
    if (reply === undefined)
      return result('fail', `No in-order reply came within ${formatDuration(options.limits.replyTimeoutMs)} ${sent}.`);
    if (typeof reply === 'object' && reply.sha256 !== sha256(data))
      return result(
        'fail',
        `The compressed message after the uncompressed one arrived altered (SHA-256 differs) ${sent}.`,
      );
    return result(
      'pass',
      `A compressed message after an uncompressed one was accepted: ${wire.length} messages went out as RSV1 ${wire.join(' ')} (${controls['client context']}), ${facts.digestEvent ? "the last one's SHA-256 came back equal" : 'the in-order reply came back (contents not checked: no ack event)'}, and the connection stayed open.`,
    );
  } finally {
    await session.close();
  }
}

/** Whether the client's compressor keeps its window between messages under this answer. */
function deflateContext(answer: string): string {
  return /client_no_context_takeover/.test(answer)
    ? 'client_no_context_takeover: each message compressed alone'
    : 'context takeover: the last message refers back into the first';
}

/** The misuses that apply to a server: RSV1 without an extension where it refused deflate, the other two where it took it. */
export function applicableMisuses(deflateNegotiated: boolean): Rsv1Misuse[] {
  return RSV1_MISUSES.filter((m) => MISUSE_SPECS[m].deflateNegotiated === deflateNegotiated);
}

interface MisuseOutcome {
  misuse: Rsv1Misuse;
  heard: string;
  /** The server ended the misusing connection (a close frame or a cut). */
  ended: boolean;
  /** A second connection, open beside it, still answered afterwards. */
  witnessAnswered: boolean;
}

async function misuseOutcome(
  options: CheckOptions,
  facts: HandshakeFacts,
  misuse: Rsv1Misuse,
): Promise<MisuseOutcome | string> {
  const witness = await openSession(options, facts.eio);
  const session = await openSession(options, facts.eio);
  try {
    for (const s of [witness, session])
      if (!s.joined?.ok || s.end) return `the battery could not connect: ${notReady(s, options)}`;
    await session.writeRaw(misuseFrames(misuse));
    const end = await withinLimit(session.closed(), options.limits.replyTimeoutMs);
    const answered = !witness.end && (await witness.probe(options.limits.replyTimeoutMs)) !== undefined;
    const heard = end ? readDisconnect(end).label : 'the connection stayed open';
    return {
      misuse: misuse,
      heard: redact(heard, options.target),
      ended: end !== undefined,
      witnessAnswered: answered,
    };
  } finally {
    await Promise.all([witness.close(), session.close()]);
  }
}

/**
 * RSV1 misuse (opt-in: a server with no 'error' listener on its sockets may crash): for each
 * misuse that applies, a connection sends the crafted frames while a second one waits beside it.
 * Passes when the server ends the misusing connection (a close frame, or a cut) and the second
 * connection still answers; fails when it keeps the misusing connection open or stops answering.
 */
export async function runRsv1Misuse(options: CheckOptions, facts: HandshakeFacts): Promise<CaseResult> {
  const started = Date.now();
  const outcomes: MisuseOutcome[] = [];
  const controls: CaseResult['controls'] = { 'deflate negotiated': facts.deflateAnswer !== '' };
  const result = (verdict: CaseVerdict, finding: string): CaseResult => ({
    case: 'rsv1',
    verdict: verdict,
    finding: redact(finding, options.target),
    controls: controls,
    ms: Date.now() - started,
  });
  for (const misuse of applicableMisuses(facts.deflateAnswer !== '')) {
    const outcome = await misuseOutcome(options, facts, misuse);
    if (typeof outcome === 'string') return result('fail', `Before ${MISUSE_SPECS[misuse].words}: ${outcome}.`);
    outcomes.push(outcome);
    controls[`${misuse}: client heard`] = outcome.heard;
    controls[`${misuse}: second connection answered after`] = outcome.witnessAnswered;
    // A server that stopped answering is not sent the next misuse.
    if (!outcome.witnessAnswered) break;
  }
  const words = outcomes.map((o) => `${MISUSE_SPECS[o.misuse].words}: ${o.heard}`).join('; ');
  const down = outcomes.filter((o) => !o.witnessAnswered);
  const open = outcomes.filter((o) => !o.ended);
  if (down.length > 0)
    return result(
      'fail',
      `After ${down.map((o) => MISUSE_SPECS[o.misuse].words).join(' and ')}, a second connection open beside it stopped answering: the server went down or stopped serving (${words}).`,
    );
  if (open.length > 0)
    return result(
      'fail',
      `The server kept the connection open after ${open.map((o) => MISUSE_SPECS[o.misuse].words).join(' and ')}, which RFC 6455 and RFC 7692 say must fail it (${words}).`,
    );
  const cut = outcomes.some((o) => /^close 1006/.test(o.heard));
  return result(
    'pass',
    `The server ended each misusing connection and kept serving: ${words}; a second connection answered after each.${cut ? ' A cut (1006) carries no close frame, which RFC 6455 7.1.7 says a server should send.' : ''}`,
  );
}

/** Runs the battery's cases in order against one server; the handshake first, since every other case needs it. */
export async function runBattery(options: CheckOptions, onCase?: (result: CaseResult) => void): Promise<CaseResult[]> {
  assertMeasuring('a server check');
  const results: CaseResult[] = [];
  const report = (result: CaseResult) => {
    results.push(result);
    onCase?.(result);
  };
  const { result, facts } = await runHandshake(options);
  report(result);
  for (const name of options.cases.filter((c) => c !== 'handshake')) {
    if (!facts) {
      report({
        case: name,
        verdict: 'not tested',
        finding: 'The handshake failed, so this case could not run.',
        controls: {},
        ms: 0,
      });
      continue;
    }
    if (name === 'fragmented') report(await runFragmented(options, facts));
    else if (name === 'mixed') report(await runMixed(options, facts));
    else if (name === 'cliff') report(await runCliff(options, facts));
    else if (name === 'rsv1') report(await runRsv1Misuse(options, facts));
    else report(await runSilent(options, facts));
  }
  return results;
}
