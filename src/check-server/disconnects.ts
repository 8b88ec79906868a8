/**
 * How the battery reads the end of a connection. One function, so the rule can later come from
 * the project's single failure-rule module without touching the cases.
 */
import type { SessionEnd } from './session';

/** What an ended (or still open) connection means for a case. */
export interface DisconnectReading {
  /** Words for a table cell and a finding: `close 1007: the server could not inflate a message`. */
  label: string;
  /** The server ended it (anything but the battery's own close). */
  byServer: boolean;
  /** The 2015 failure's signature: the server could not inflate what it received. */
  inflateFailure: boolean;
}

// RFC 6455 7.4.1, and ws's 1006 for a connection that ended without a close frame.
const CLOSE_MEANINGS: Record<number, string> = {
  1000: 'normal closure',
  1001: 'going away',
  1002: 'protocol error',
  1003: 'unsupported data',
  1005: 'no status code',
  1006: 'cut without a close frame',
  1007: 'the server could not inflate a message (invalid frame payload data)',
  1008: 'policy violation',
  1009: 'message too big',
  1011: 'server error',
};

/** Reads a session's end; undefined means the connection is still open. */
export function readDisconnect(end: SessionEnd | undefined): DisconnectReading {
  if (end === undefined) return { label: 'still open', byServer: false, inflateFailure: false };
  if (end.by === 'client') return { label: 'closed by the battery', byServer: false, inflateFailure: false };
  const meaning = CLOSE_MEANINGS[end.code] ?? 'unknown code';
  const detail = end.detail ? ` (${end.detail})` : '';
  return {
    label: `close ${end.code}: ${meaning}${detail}`,
    byServer: true,
    inflateFailure: end.code === 1007 || /invalid (compressed data|distance|stored block|block type)/i.test(end.detail),
  };
}
