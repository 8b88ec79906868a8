/**
 * The battery's bounds added up before anything is sent: for each case, the most messages, bytes
 * and seconds it can take, from the limits alone (compression only makes the bytes fewer).
 */
import { formatBytes, formatDuration } from '../core/units';
import { applicableMisuses, cliffSteps, ENVELOPE_CHARS, HANDSHAKE_BYTES, MIXED_SIZE } from './battery';
import type { CheckCase, CheckOptions } from './options';

/** One case's ceiling. */
export interface CaseBudget {
  case: CheckCase;
  messages: number;
  bytes: number;
  ms: number;
}

/** Each case's ceiling and their totals. */
export interface Budget {
  cases: CaseBudget[];
  total: { messages: number; bytes: number; ms: number };
}

/** The ceilings of a battery request, computed from its limits. */
export function budget(options: Pick<CheckOptions, 'cases' | 'limits'>): Budget {
  const l = options.limits;
  // Every case opens its connection within one reply timeout and closes within another.
  const connect = 2 * l.replyTimeoutMs;
  const cases = options.cases.map((name): CaseBudget => {
    switch (name) {
      case 'handshake':
        // The polling handshake and its close, then a connection with one small ack check.
        return {
          case: name,
          messages: 4,
          bytes: HANDSHAKE_BYTES,
          ms: 2 * l.replyTimeoutMs + 2 * connect + l.replyTimeoutMs,
        };
      case 'fragmented': {
        // Each burst is followed by its reply: the ack event with one more message of the same size, at most.
        const perSize = l.bursts * (l.burst + 1);
        return {
          case: name,
          messages: l.frameSizes.length * perSize,
          bytes: l.frameSizes.reduce((sum, size) => sum + perSize * (size + ENVELOPE_CHARS), 0),
          ms: connect + l.frameSizes.length * l.bursts * l.replyTimeoutMs,
        };
      }
      case 'cliff': {
        const steps = cliffSteps(l.cliffCap);
        return {
          case: name,
          messages: 2 * steps,
          bytes: steps * (l.cliffCap + ENVELOPE_CHARS),
          ms: steps * (connect + l.replyTimeoutMs),
        };
      }
      case 'silent':
        return { case: name, messages: 1, bytes: 64, ms: connect + l.silentMaxMs };
      case 'mixed':
        // Three messages of MIXED_SIZE and the reply's wait.
        return { case: name, messages: 3, bytes: 3 * (MIXED_SIZE + ENVELOPE_CHARS), ms: connect + l.replyTimeoutMs };
      case 'rsv1': {
        // At most two misuses apply (which, the handshake decides): each a misusing and a second
        // connection, the crafted frames (under 200 bytes), the wait for the close and a probe.
        const misuses = Math.max(applicableMisuses(true).length, applicableMisuses(false).length);
        return {
          case: name,
          messages: 2 * misuses,
          bytes: 256 * misuses,
          ms: misuses * (2 * connect + 2 * l.replyTimeoutMs),
        };
      }
    }
  });
  return {
    cases: cases,
    total: {
      messages: cases.reduce((s, c) => s + c.messages, 0),
      bytes: cases.reduce((s, c) => s + c.bytes, 0),
      ms: cases.reduce((s, c) => s + c.ms, 0),
    },
  };
}

/** The budget as the line printed before anything is sent. */
export function budgetLine(b: Budget): string {
  const per = b.cases
    .map((c) => `${c.case} ≤ ${c.messages} messages, ${formatBytes(c.bytes)}, ${formatDuration(c.ms)}`)
    .join('; ');
  return `at most ${b.total.messages} messages, ${formatBytes(b.total.bytes)} and ${formatDuration(b.total.ms)} in all (${per})`;
}
