/**
 * A child process running one bare ws server of a given release on 127.0.0.1, the way a careless
 * application runs it: a 'message' listener and no 'error' listener on its sockets, so an error ws
 * emits there is thrown and ends the process. An `uncaughtExceptionMonitor` (which observes and
 * does not catch) writes one marked line to stderr first, so the parent can tell that crash from
 * any other exit. Driven over IPC by ./rsv1.ts.
 */
import fs from 'node:fs';
import http from 'node:http';
import { serveParent } from '../core/child-host';
import { LOOPBACK } from '../core/net';

/** The line the monitor writes before Node prints the uncaught exception and exits. */
export const UNCAUGHT_MARK = 'deflate-lab uncaught exception: ';

/** Parent → child. */
export type Rsv1ServerRequest =
  | { type: 'start'; dir: string; deflate: boolean }
  | { type: 'await-message'; text: string; limitMs: number }
  | { type: 'report' };

/** Child → parent: one reply per request. */
export type Rsv1ServerReply =
  | { type: 'started'; port: number; version: string }
  | { type: 'message-seen'; seen: boolean }
  | { type: 'reported'; messages: string[]; pings: number }
  | { type: 'failed'; error: string };

/* eslint-disable @typescript-eslint/no-explicit-any -- ws 1.x–3.x have no types, and every major differs */
type Untyped = any;

if (require.main === module) {
  process.on('uncaughtExceptionMonitor', (error) => {
    const message = error instanceof Error ? error.message : String(error);
    fs.writeSync(2, `${UNCAUGHT_MARK}${message.split('\n')[0]}\n`);
  });
  const messages: string[] = [];
  let pings = 0;
  // Each waiter says whether it is done; the ones that are not stay for the next message.
  let waiters: Array<() => boolean> = [];
  serveParent<Rsv1ServerRequest, Rsv1ServerReply>(
    async (request) => {
      if (request.type === 'start') {
        const ws: Untyped = require(request.dir);
        const server = http.createServer();
        const wss = new ws.Server({ server: server, perMessageDeflate: request.deflate });
        wss.on('connection', (socket: Untyped) => {
          // ws 1.x gives a string, later majors a Buffer (8.x: text as a Buffer with isBinary false).
          socket.on('message', (data: string | Buffer) => {
            messages.push(Buffer.from(data).toString());
            waiters = waiters.filter((waiter) => !waiter());
          });
          socket.on('ping', () => pings++);
        });
        await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
        const version = (JSON.parse(fs.readFileSync(`${request.dir}/package.json`, 'utf8')) as { version: string })
          .version;
        return { type: 'started', port: (server.address() as { port: number }).port, version: version };
      }
      if (request.type === 'await-message') {
        const seen = () => messages.includes(request.text);
        if (!seen()) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, request.limitMs);
            waiters.push(() => {
              if (!seen()) return false;
              clearTimeout(timer);
              resolve();
              return true;
            });
          });
        }
        return { type: 'message-seen', seen: seen() };
      }
      return { type: 'reported', messages: [...messages], pings: pings };
    },
    { inOrder: true, exitWithParent: true },
  );
}
