/**
 * The sink the generator's capacity is measured against: a raw TCP server on loopback that
 * completes the WebSocket handshake (accepting permessage-deflate when offered), then reads every
 * byte and discards it. Not a ws server: ws would inflate each message before any handler could
 * ignore it, and the figure wanted is what the generator can hand over, not what an inflater can
 * take. Runs in its own process (forked by generator.ts), so it can be pinned to a core of its own.
 */
import net from 'node:net';
import { LOOPBACK } from '../core/net';
import { serveParent } from '../core/child-host';
import { websocketAccept } from '../clients/frames';

/** Parent → sink: report and close. */
export type SinkRequest = { type: 'stop' };
/** Sink → parent: where it listens, and at the end what it read. */
export type SinkReply =
  | { type: 'listening'; port: number }
  | { type: 'done'; bytesRead: number; connections: number; deflateAccepted: number };

const HEADER_END = '\r\n\r\n';
/** A request whose headers do not end within this many bytes is not a WebSocket handshake. */
const MAX_HEADER_BYTES = 16 * 1024;

/** The 101 answer to a WebSocket upgrade request's head, or undefined when it is not one. */
export function handshakeAnswer(head: string): string | undefined {
  const headers = new Map<string, string>();
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const key = headers.get('sec-websocket-key');
  if (!key) return undefined;
  const accept = websocketAccept(key);
  const offered = (headers.get('sec-websocket-extensions') ?? '').includes('permessage-deflate');
  return [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${accept}`,
    // Plain permessage-deflate: the client keeps its 15-bit window, as against today's server.
    ...(offered ? ['Sec-WebSocket-Extensions: permessage-deflate'] : []),
    '',
    '',
  ].join('\r\n');
}

function startSink(onListening: (port: number) => void) {
  const counts = { bytesRead: 0, connections: 0, deflateAccepted: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    counts.connections++;
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let head = Buffer.alloc(0);
    let open = false;
    socket.on('data', (chunk: Buffer) => {
      if (open) {
        counts.bytesRead += chunk.length;
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf(HEADER_END);
      if (end < 0) {
        if (head.length > MAX_HEADER_BYTES) socket.destroy();
        return;
      }
      const answer = handshakeAnswer(head.subarray(0, end).toString('latin1'));
      if (!answer) return socket.destroy();
      if (answer.includes('permessage-deflate')) counts.deflateAccepted++;
      socket.write(answer);
      open = true;
      counts.bytesRead += head.length - end - HEADER_END.length;
    });
  });
  server.listen(0, LOOPBACK, () => onListening((server.address() as net.AddressInfo).port));
  return {
    counts: counts,
    close(): Promise<void> {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

if (require.main === module) {
  // Nothing to do once the parent is gone: never an orphan listening on loopback.
  const parent = serveParent<SinkRequest, SinkReply>(
    async (request) => {
      if (request.type !== 'stop') return;
      await parent.send({ type: 'done', ...sink.counts });
      await sink.close().finally(() => parent.leave());
    },
    { exitWithParent: true },
  );
  const sink = startSink((port) => void parent.send({ type: 'listening', port: port }));
}
