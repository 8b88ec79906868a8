/**
 * The engine.io handshake over HTTP long-polling, which tells the protocol revision apart: asked
 * for revision 4, a revision-4 server answers a bare open packet (`0{…}`), while a revision-3
 * server (engine.io < 4, whatever it was asked) frames it as `<length>:0{…}`. The session it opens
 * is closed at once. A server that refuses polling (websocket-only) is told apart on the
 * WebSocket instead (see protocolFromOpen).
 */
import type { EioRevision } from '../clients/sio-protocol';
import type { Target } from './options';
import type { OpenInfo } from './session';

/** What the polling handshake found. */
export interface PollingHandshake {
  /** HTTP status of the handshake request. */
  status: number;
  eio?: EioRevision;
  open?: OpenInfo;
  /** The server's refusal (engine.io error message or HTTP status), when it refused. */
  refused?: string;
}

/** The handshake URL of a target, for a revision and optionally a session. */
export function pollingUrl(target: Target, eio: EioRevision, sid?: string): string {
  const url = new URL(`${target.path}/`, target.origin);
  for (const [key, value] of target.query) url.searchParams.append(key, value);
  url.searchParams.set('EIO', String(eio));
  url.searchParams.set('transport', 'polling');
  // Text framing from a revision-3 server (it would otherwise answer in its binary payload format).
  url.searchParams.set('b64', '1');
  if (sid) url.searchParams.set('sid', sid);
  return url.toString();
}

/** Reads the revision and open packet from a polling handshake body; undefined when it is neither form. */
export function parseHandshakeBody(body: string): { eio: EioRevision; open: OpenInfo } | undefined {
  const v3 = /^(\d+):0(\{.*)$/s.exec(body);
  if (v3) {
    const packet = v3[2].slice(0, Number(v3[1]) - 1);
    return { eio: 3, open: JSON.parse(packet) as OpenInfo };
  }
  if (body.startsWith('0{')) {
    // Revision 4 separates packets with the record separator.
    return { eio: 4, open: JSON.parse(body.slice(1).split('\x1e')[0]) as OpenInfo };
  }
  return undefined;
}

/**
 * For a server that refused polling: revision 4 servers from engine.io 6 announce maxPayload in
 * the WebSocket open packet; revision 3 servers never do.
 */
export function protocolFromOpen(open: OpenInfo): EioRevision {
  return open.maxPayload === undefined ? 3 : 4;
}

/** Performs the polling handshake and closes the session it opened. */
export async function pollingHandshake(target: Target, timeoutMs: number): Promise<PollingHandshake> {
  const response = await fetch(pollingUrl(target, 4), {
    headers: target.headers,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = await response.text();
  const parsed = response.ok ? parseHandshakeBody(body) : undefined;
  if (!parsed) {
    let refused = `HTTP ${response.status}`;
    try {
      const error = JSON.parse(body) as { message?: string };
      if (error.message) refused += `: ${error.message}`;
    } catch {
      // not engine.io's JSON error: the status says enough
    }
    return { status: response.status, refused: refused };
  }
  // Close the polling session rather than leave it to time out on the server.
  await fetch(pollingUrl(target, parsed.eio, parsed.open.sid), {
    method: 'POST',
    headers: { ...target.headers, 'content-type': 'text/plain;charset=UTF-8' },
    body: parsed.eio === 3 ? '1:1' : '1',
    signal: AbortSignal.timeout(timeoutMs),
  })
    .then((r) => r.arrayBuffer())
    .catch(() => undefined);
  return { status: response.status, eio: parsed.eio, open: parsed.open };
}
