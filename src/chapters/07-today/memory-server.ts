/**
 * A child process that runs one socket.io server on 127.0.0.1 and reports its own memory when
 * asked, after a full garbage collection. A fresh process per measurement keeps the figures free
 * of whatever the parent (a notebook kernel) allocated and freed before. Driven over IPC by
 * src/chapters/07-today/connection-memory.ts; started with --expose-gc.
 */
import { createHook } from 'node:async_hooks';
import { serveParent } from '../../core/child-host';
import { acceptsDeflate, WireObserver } from '../../observe/wire';
import type { DeflateMode, StackName } from '../../core/params';
import { loadStack } from '../../stacks';
import type { StackServer } from '../../stacks/types';
import { exposedGc, sampleAfterGc, type MemorySample } from '../../core/memory-sample';

export type { MemorySample } from '../../core/memory-sample';

/** The event each held client emits once per exchange; the server acks it with the same payload. */
export const EXCHANGE_EVENT = 'exchange';

/** Parent → child. */
export type ServerRequest =
  { type: 'start'; stack: StackName; deflate: DeflateMode } | { type: 'sample' } | { type: 'stop' };

/** Child → parent: one reply per request, in order. */
export type ServerReply =
  | { type: 'started'; url: string; versions: Record<string, string> }
  | { type: 'sampled'; sample: MemorySample; zlibStreams: number }
  | { type: 'stopped'; handshakes: number; deflateHandshakes: number; answers: string[]; compressedMessages: number }
  | { type: 'failed'; error: string };

if (require.main === module) {
  let server: StackServer | undefined;
  let wire: WireObserver | undefined;
  // Every zlib stream this process creates (ws makes one inflate and one deflate per connection,
  // on first use): counted as Node announces its async resources, which no ws code path can miss.
  let zlibStreams = 0;
  createHook({
    init: (_id, type) => {
      if (type === 'ZLIB') zlibStreams++;
    },
  }).enable();
  serveParent<ServerRequest, ServerReply>(
    async (request, parent) => {
      const gc = exposedGc();
      if (request.type === 'start') {
        const stack = loadStack(request.stack);
        server = await stack.createServer({ deflate: request.deflate });
        wire = new WireObserver(server.http);
        server.onConnection((socket) => {
          // Echo: the server sends back as much as it got, so its compressor runs too.
          socket.on(EXCHANGE_EVENT, (data: unknown, ack: unknown) => {
            if (typeof ack === 'function') ack(data);
          });
        });
        return { type: 'started', url: server.url, versions: stack.versions };
      }
      if (request.type === 'sample')
        return { type: 'sampled', sample: await sampleAfterGc(gc), zlibStreams: zlibStreams };
      const handshakes = wire?.handshakes() ?? [];
      const compressedMessages = wire?.totals().compressedMessages ?? 0;
      wire?.detach();
      await server?.close();
      await parent.send({
        type: 'stopped',
        handshakes: handshakes.length,
        deflateHandshakes: handshakes.filter((h) => acceptsDeflate(h.answer)).length,
        answers: [...new Set(handshakes.map((h) => h.answer))],
        compressedMessages,
      });
      parent.leave();
    },
    { inOrder: true },
  );
}
