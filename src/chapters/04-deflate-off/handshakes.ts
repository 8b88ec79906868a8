/**
 * Who asked for compression, and what the server answered: each client connects once to a 2015
 * server, and the WebSocket handshake's `Sec-WebSocket-Extensions` offer and answer are read off
 * the server's TCP socket (the wire observer). Node clients connect directly (a handshake needs no
 * load); a Chromium page needs the pages the scenario serves, so it goes through a short scenario.
 */
import { once } from 'node:events';
import { FragmentingClient } from '../../clients/fragmenting';
import { connected } from '../../core/timing';
import { acceptsDeflate, WireObserver, type Handshake } from '../../observe/wire';
import { KiB, type StackName } from '../../core/params';
import { FAILING_SCENARIO } from '../../traffic/presets';
import { runScenario, type ScenarioSpec } from '../../traffic/scenario';
import { loadStack } from '../../stacks';
import { rootVersion } from '../../history/release-dir';
import type { Stack, StackServer } from '../../stacks/types';

/** The clients whose offers the chapter shows. */
export type ProbeClient = 'browser' | 'fragmenting' | 'socket.io';

/** How long a Node client's close handshake may take before the probe moves on. */
const CLOSE_WAIT_MS = 2000;
/** The browser probe sends a little chat text for half a second: enough to load, connect and emit. */
const BROWSER_PROBE = { frameSize: 1 * KiB, duration: 500 } as const;

/** One client's handshake with one server setting. */
export interface HandshakeRow {
  /** The client, with the versions that made its offer. */
  client: string;
  /** The server's deflate setting for this probe. */
  server: ScenarioSpec['deflate'];
  userAgent: string;
  offer: string;
  answer: string;
  negotiated: boolean;
}

function row(client: string, setting: ScenarioSpec['deflate'], h: Handshake | undefined): HandshakeRow {
  if (!h) throw new Error(`handshake probe (${client}, deflate ${setting}): no WebSocket handshake reached the server`);
  return {
    client: client,
    server: setting,
    userAgent: h.userAgent,
    offer: h.offer,
    answer: h.answer,
    negotiated: acceptsDeflate(h.answer),
  };
}

// The stack's own socket.io client. Its ws 0.8 arms a 30 s close timer once its close frame is
// written and leaks it if the server ends the socket first, so the probe waits for the client's
// own close before the server goes.
async function connectSocketIo(stack: Stack, server: StackServer): Promise<void> {
  const socket = stack.connect(server.url, { reconnection: false, reconnectionDelay: 0 });
  try {
    await connected(
      () => socket.connected,
      () => `the ${stack.name} socket.io client did not connect to ${server.url}`,
    );
  } finally {
    const ws = (socket.io?.engine as unknown as { transport?: { ws?: NodeJS.EventEmitter } } | undefined)?.transport
      ?.ws;
    const closed = ws
      ? once(ws, 'close', { signal: AbortSignal.timeout(CLOSE_WAIT_MS) }).catch(() => undefined)
      : undefined;
    socket.disconnect();
    await closed;
  }
}

async function connectFragmenting(stack: Stack, server: StackServer): Promise<void> {
  const client = new FragmentingClient({
    label: 'probe',
    url: server.url,
    eio: stack.eio,
    fragmentSize: FAILING_SCENARIO.fragmentSize,
    reconnect: false,
  });
  try {
    await connected(
      () => client.connected,
      () => `the fragmenting client did not connect to ${server.url}`,
    );
  } finally {
    await client.stop();
  }
}

async function probeNode(
  stackName: StackName,
  client: 'fragmenting' | 'socket.io',
  setting: ScenarioSpec['deflate'],
): Promise<HandshakeRow> {
  const stack = loadStack(stackName);
  const server = await stack.createServer({ deflate: setting });
  const wire = new WireObserver(server.http);
  try {
    if (client === 'fragmenting') await connectFragmenting(stack, server);
    else await connectSocketIo(stack, server);
  } finally {
    wire.detach();
    await server.close();
  }
  const name =
    client === 'fragmenting'
      ? `Node fragmenting client (ws@${rootVersion('ws')}, offering what Chromium offers)`
      : `Node socket.io-client@${stack.versions['socket.io-client']} (ws@${stack.versions['client ws']})`;
  return row(name, setting, wire.handshakes()[0]);
}

async function probeBrowser(
  stackName: StackName,
  setting: ScenarioSpec['deflate'],
  quick: boolean,
): Promise<HandshakeRow> {
  const record = await runScenario(
    {
      ...FAILING_SCENARIO,
      stack: stackName,
      client: 'browser',
      // A page sends a canvas data URL or chat text; chat text is the light one.
      payload: 'json',
      frameSize: BROWSER_PROBE.frameSize,
      rate: 2,
      clients: 1,
      burst: 1,
      duration: BROWSER_PROBE.duration,
      deflate: setting,
    },
    { quick: quick },
  );
  const { result, stack } = record;
  if (result.status !== 'completed')
    throw new Error(`handshake probe (browser, deflate ${setting}) failed: ${result.runError}`);
  return row(
    `Chromium page (${result.browser?.chromium ?? 'unknown version'}, socket.io-client@${stack.versions['socket.io-client']} bundle)`,
    setting,
    result.handshakes[0],
  );
}

/** Connects each client once to a `stack` server with deflate `setting`; returns their handshakes. */
export async function probeHandshakes(
  stack: StackName,
  setting: ScenarioSpec['deflate'],
  clients: readonly ProbeClient[],
  quick: boolean,
): Promise<HandshakeRow[]> {
  const rows: HandshakeRow[] = [];
  for (const client of clients) {
    rows.push(
      client === 'browser' ? await probeBrowser(stack, setting, quick) : await probeNode(stack, client, setting),
    );
  }
  return rows;
}
