/**
 * What a scenario's clients observed, whichever kind they were (Node clients in load.ts, Chromium
 * pages in browser-load.ts): one shape, built empty in one place.
 */
import type { PageKind } from '../clients/page';
import type { ClientDisconnect } from '../clients/types';

/** A session starting, as the client saw it. */
export interface ClientConnect {
  t: number;
  client: string;
  sid?: string;
}

/** What one page did, as Node counted its reports. */
export interface PageStats {
  client: string;
  kind: PageKind;
  sent: number;
  notSent: number;
  acked: number;
  ackedCorrupt: number;
  /** Characters per message sent, on average. */
  meanLength: number | null;
  /** Median time to draw, encode and checksum one message in the page, ms. */
  encodeMsP50: number | null;
  /** Largest WebSocket bufferedAmount the page saw at a tick: its send backlog, bytes. */
  maxBacklog: number;
  canvas: { width: number; height: number } | null;
}

/** The client bundle a page loaded, compared with the file the stack's server is meant to serve. */
export interface BundleCheck {
  url: string;
  sha256: string;
  bytes: number;
  stackFile: string;
  stackSha256: string;
}

/** The browser side of a run. */
export interface BrowserRun {
  /** Chromium's version string as it reports it. */
  chromium: string;
  flags: string[];
  /** Chromium's start, ms. */
  launchMs: number;
  /** From launch to every page loaded and connected, ms. */
  setupMs: number;
  pages: PageStats[];
  /** One per page that loaded the bundle. */
  bundles: BundleCheck[];
  /** Uncaught errors in pages (a page that threw stops sending: the run fails). */
  pageErrors: string[];
}

/** Everything the clients observed. */
export interface LoadResult {
  startedAt: number;
  sendEndedAt: number;
  /** When the drain ended and teardown began: disconnects after this are the clients' own. */
  drainEndedAt: number;
  endedAt: number;
  /** Frames the schedule called for: every tick that ran or was missed, times the burst. */
  nominal: number;
  /** Ticks that came a whole period late or more, their frames never emitted (a generator too busy for its load). */
  ticksMissed: number;
  /** Frames handed to a connected client. */
  sent: number;
  /**
   * Frames whose every WebSocket frame was written to the socket; null for clients that cannot
   * tell (the stacks' own socket.io clients and Chromium pages buffer inside the library).
   */
  handed: number | null;
  /** Ticks' frames not sent because the client was offline or its send backlog full. */
  notSent: number;
  /** Of `notSent`, those a connected client refused because its socket's send backlog was full. */
  backlogFull: number;
  acked: number;
  /** Acks in which the server reported a checksum mismatch. */
  ackedCorrupt: number;
  /** Round-trip times of acked frames, ms. */
  rtt: number[];
  /** When each of those acks came, epoch ms (`rtt[i]` before it the frame was sent). */
  ackAt: number[];
  /** Payload characters or bytes handed to clients. */
  payloadBytes: number;
  connects: ClientConnect[];
  disconnects: ClientDisconnect[];
  /** Client `browser` only: Chromium, its pages and the client bundle they loaded. */
  browser?: BrowserRun;
}

/** A result with nothing observed yet; `handed` starts at 0 for clients that count it, else null. */
export function emptyLoadResult(handed: 0 | null): LoadResult {
  return {
    startedAt: 0,
    sendEndedAt: 0,
    drainEndedAt: 0,
    endedAt: 0,
    nominal: 0,
    ticksMissed: 0,
    sent: 0,
    handed: handed,
    notSent: 0,
    backlogFull: 0,
    acked: 0,
    ackedCorrupt: 0,
    rtt: [],
    ackAt: [],
    payloadBytes: 0,
    connects: [],
    disconnects: [],
  };
}
