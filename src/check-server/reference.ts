/**
 * Reference rows: the same battery against every installed stack, started in this process with
 * short heartbeat settings and the documented ack event handled, so a reader's own row stands
 * beside rows whose outcome the investigation has explained (2015 fails with 1007; the others
 * pass; today with deflate forced on delivers compressed fragments intact).
 */
import type { ServerOptions, StackServer } from '../stacks/types';
import { loadStack } from '../stacks';
import type { StackName } from '../core/params';
import { runBattery, type CaseResult } from './battery';
import type { CheckOptions } from './options';
import { checkRow, type CheckRow } from './record';
import { DIGEST_EVENT, sha256 } from './session';

/** One reference server: a stack and its deflate setting. */
export interface ReferenceServer {
  label: string;
  stack: StackName;
  deflate: ServerOptions['deflate'];
}

/** The reference rows, in the investigation's order. */
export const REFERENCE_SERVERS: readonly ReferenceServer[] = [
  { label: '2015', stack: '2015', deflate: 'default' },
  { label: '2015+ws0.8.1', stack: '2015+ws0.8.1', deflate: 'default' },
  { label: '2016-fixed', stack: '2016-fixed', deflate: 'default' },
  { label: 'today', stack: 'today', deflate: 'default' },
  { label: 'today, deflate forced on', stack: 'today', deflate: 'on' },
];

/** Heartbeat settings short enough for the silent client to be dropped within seconds. */
export const REFERENCE_PING = { pingInterval: 1_000, pingTimeout: 1_000 } as const;

/** A reference server listening on 127.0.0.1, and the reasons its socket.io gave for each disconnect, as they come. */
export interface RunningReference {
  running: StackServer;
  serverSaw: string[];
}

/** Starts one reference server with short heartbeats, answering the documented ack event. */
export async function startReference(server: ReferenceServer): Promise<RunningReference> {
  const stack = loadStack(server.stack);
  const running = await stack.createServer({ deflate: server.deflate, ...REFERENCE_PING });
  const serverSaw: string[] = [];
  running.onConnection((socket) => {
    // The lines in docs/check-server.md: answer the ack event with the message's length and SHA-256.
    socket.on(DIGEST_EVENT, (data: string, ack: (digest: unknown) => void) => {
      if (typeof ack === 'function') ack({ bytes: Buffer.byteLength(data), sha256: sha256(data) });
    });
    socket.conn.on('close', (reason: string, description?: { message?: string } | string) => {
      const detail = typeof description === 'string' ? description : description?.message;
      serverSaw.push(detail ? `${reason} (${detail})` : reason);
    });
  });
  return { running: running, serverSaw: serverSaw };
}

/** Runs the battery (the cases and limits of `options`) against one reference server, then closes it. */
export async function runReference(
  server: ReferenceServer,
  options: Omit<CheckOptions, 'target' | 'allowRemote'>,
  onCase?: (result: CaseResult) => void,
): Promise<CheckRow> {
  const started = Date.now();
  const { running, serverSaw } = await startReference(server);
  const full: CheckOptions = {
    ...options,
    allowRemote: false,
    target: { origin: running.url, path: '/socket.io', namespace: '/', auth: {}, query: [], headers: {} },
  };
  try {
    const results = await runBattery(full, onCase);
    return checkRow(server.label, full, results, Date.now() - started, serverSaw);
  } finally {
    await running.close();
  }
}
