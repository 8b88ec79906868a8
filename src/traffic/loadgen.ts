/**
 * The forked load generator: runs a scenario's clients in their own process, so that the kernel's
 * process.cpuUsage() and RSS are the server's alone. Driven over the IPC channel by scenario.ts.
 */
import { pinLoadGeneratorFromEnv } from '../core/pinning';
import { serveParent } from '../core/child-host';
import { runLoad } from './load';
import type { LoadSpec } from './load-spec';
import type { LoadResult } from './load-result';

/** Parent → child: start the load against a server, or end its send window early. */
export type LoadRequest = { type: 'start'; spec: LoadSpec; url: string } | { type: 'stop' };

/** Child → parent messages. */
export type LoadReply =
  | { type: 'tick'; sent: number; acked: number; handed: number | null }
  | { type: 'done'; result: LoadResult }
  | { type: 'failed'; error: string };

const TICK_EVERY_MS = 250;

if (require.main === module) {
  // A capacity measurement pins the server's process to one core and this one to another.
  pinLoadGeneratorFromEnv();
  const stop = new AbortController();
  // The channel closes when the parent is gone (killed, say) or when this process has reported:
  // either way nothing is left to do, and reconnecting clients must not keep an orphan alive.
  serveParent<LoadRequest, LoadReply>(
    async (request, parent) => {
      if (request.type === 'stop') return stop.abort();
      let lastTick = 0;
      const reply: LoadReply = await runLoad(
        request.spec,
        request.url,
        (sent, acked, handed) => {
          const now = Date.now();
          if (now - lastTick >= TICK_EVERY_MS) {
            lastTick = now;
            void parent.send({ type: 'tick', sent, acked, handed });
          }
        },
        stop.signal,
      ).then(
        (result) => ({ type: 'done', result }),
        (error: Error) => ({ type: 'failed', error: error.message }),
      );
      // The last reply, then leave. Disconnecting right after send() drops a reply still being
      // written (an hour's result holds a round trip per message: megabytes): send() resolves
      // once it is written.
      await parent.send(reply);
      parent.leave();
    },
    { exitWithParent: true },
  );
}
