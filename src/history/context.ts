/**
 * Chapter 9, row 5: a message under permessage-deflate's `threshold` between compressed ones. A
 * bare ws server of the release under test (the sender) has `threshold` set so that one message
 * of a fixed sequence falls under it; a ws 8 client of today's release (the receiving peer)
 * negotiates deflate, asks for the sequence, and checks every message it decodes against what was
 * sent. The frames are read off the client's TCP socket as they arrive: RSV1 and the payload bytes
 * of each message. Run with context takeover (ws's default) and, as a control, with
 * `serverNoContextTakeover`, where the threshold applies in every release.
 */
import http from 'node:http';
import WebSocket from 'ws';
import { rawSocket } from '../clients/crafted-frames';
import { LOOPBACK } from '../core/net';
import { assertMeasuring } from '../core/replay';
import { acceptsDeflate, FrameReader, type FrameHeader } from '../observe/wire';
import { releaseDir, rootVersion } from './release-dir';

/** The `threshold` the sender is given: ws's default, set explicitly so the run does not depend on it. */
export const CONTEXT_THRESHOLD = 1024;

/**
 * The sequence the sender sends: chat-like JSON texts, the second under the threshold and the
 * rest over it, all sharing words so that a kept window helps. Fixed, so every release sends the
 * same bytes.
 */
export function contextSequence(): string[] {
  const line = (i: number, words: number) =>
    JSON.stringify({
      user: `reader-${i % 3}`,
      text: Array.from({ length: words }, (_, w) => `frame ${w % 17} of picture ${i}`).join(' '),
    });
  return [line(1, 80), line(2, 6), line(3, 80), line(4, 80)];
}

/** The sender's context setting: ws's default (context kept), or reset per message. */
export const CONTEXT_MODES = ['context takeover', 'no context takeover'] as const;
export type ContextMode = (typeof CONTEXT_MODES)[number];

/** One message as it crossed the wire and as the receiver decoded it. */
export interface WireMessage {
  /** Bytes of the message as sent. */
  bytes: number;
  underThreshold: boolean;
  /** RSV1 on its first frame: compressed. */
  rsv1: boolean;
  /** Payload bytes on the wire, summed over its frames. */
  wireBytes: number;
  frames: number;
  /** The receiver decoded exactly what was sent. */
  decodedEqual: boolean;
}

/** One sender release in one context mode. */
export interface ContextRun {
  sender: string;
  receiver: string;
  mode: ContextMode;
  threshold: number;
  /** The server's permessage-deflate answer. */
  deflateAnswer: string;
  messages: WireMessage[];
  /** Close code if the connection ended before the sequence was read, else null. */
  closedEarly: number | null;
  ms: number;
  runError?: string;
}

/** The RSV1 pattern of a run's messages, in order: `1 0 1 1`. */
export function rsv1Pattern(run: Pick<ContextRun, 'messages'>): string {
  return run.messages.map((m) => (m.rsv1 ? '1' : '0')).join(' ');
}

/** Why a run cannot speak for its release (empty when it can): no deflate, not every message read, no compressed one. */
export function contextBlockers(run: ContextRun, sent: number): string[] {
  const blockers: string[] = [];
  if (run.runError) blockers.push(run.runError);
  if (!acceptsDeflate(run.deflateAnswer)) blockers.push('deflate was not negotiated');
  if (run.messages.length !== sent) blockers.push(`${run.messages.length} of ${sent} messages arrived`);
  if (!run.messages.some((m) => m.rsv1)) blockers.push('no message went out compressed');
  if (!run.messages.some((m) => m.underThreshold)) blockers.push('no message was under the threshold');
  return blockers;
}

/** The limit on one run: connect, ask, read the whole sequence. */
export const CONTEXT_RUN_MS = 5_000;

/* eslint-disable @typescript-eslint/no-explicit-any -- releases of ws are loaded by folder, untyped */
type Untyped = any;

async function startSender(version: string, mode: ContextMode, sequence: string[]) {
  const ws: Untyped = require(releaseDir('ws', version));
  const server = http.createServer();
  const wss = new ws.Server({
    server: server,
    perMessageDeflate: { threshold: CONTEXT_THRESHOLD, serverNoContextTakeover: mode === 'no context takeover' },
  });
  wss.on('connection', (socket: Untyped) => {
    socket.on('error', () => undefined);
    // Sent only when asked, so the receiver reads every frame off its socket from the first.
    socket.on('message', () => {
      for (const text of sequence) socket.send(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const client of wss.clients as Set<Untyped>) client.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Reads the sequence from a sender of `version` in `mode`, and what crossed the wire. */
export async function runContext(version: string, mode: ContextMode): Promise<ContextRun> {
  assertMeasuring('an uncompressed-between-compressed run');
  const started = Date.now();
  const sequence = contextSequence();
  const run: ContextRun = {
    sender: version,
    receiver: rootVersion('ws'),
    mode: mode,
    threshold: CONTEXT_THRESHOLD,
    deflateAnswer: '',
    messages: [],
    closedEarly: null,
    ms: 0,
  };
  const sender = await startSender(version, mode, sequence);
  const client = new WebSocket(`ws://${LOOPBACK}:${sender.port}/`, {
    perMessageDeflate: true,
    handshakeTimeout: CONTEXT_RUN_MS,
  });
  client.on('error', () => undefined);
  client.on('upgrade', (res) => (run.deflateAnswer = String(res.headers['sec-websocket-extensions'] ?? '')));
  // Frames of data messages, grouped per message (first frame to FIN), as they arrive.
  const onWire: FrameHeader[][] = [];
  const reader = new FrameReader((frame) => {
    if (frame.opcode >= 0x8) return;
    if (frame.opcode !== 0x0) onWire.push([]);
    onWire[onWire.length - 1]?.push(frame);
  });
  const decoded: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the sequence was not read within ${CONTEXT_RUN_MS} ms`)),
        CONTEXT_RUN_MS,
      );
      client.once('open', () => {
        rawSocket(client).prependListener('data', (chunk: Buffer) => reader.push(chunk));
        client.send('send the sequence');
      });
      client.on('message', (data) => {
        decoded.push(data.toString());
        if (decoded.length === sequence.length) {
          clearTimeout(timer);
          resolve();
        }
      });
      client.once('close', (code) => {
        run.closedEarly = code;
        clearTimeout(timer);
        reject(new Error(`the connection closed with ${code} after ${decoded.length} messages`));
      });
    });
  } catch (error) {
    run.runError = (error as Error).message;
  } finally {
    client.removeAllListeners('close');
    client.terminate();
    await sender.close();
  }
  run.messages = onWire.slice(0, sequence.length).map((frames, i) => ({
    bytes: Buffer.byteLength(sequence[i]),
    underThreshold: Buffer.byteLength(sequence[i]) < CONTEXT_THRESHOLD,
    rsv1: frames[0].rsv1,
    wireBytes: frames.reduce((sum, f) => sum + f.payload, 0),
    frames: frames.length,
    decodedEqual: decoded[i] === sequence[i],
  }));
  run.ms = Date.now() - started;
  return run;
}

/** Every sender in every mode, in order. */
export async function measureContext(senders: readonly string[], modes: readonly ContextMode[]): Promise<ContextRun[]> {
  assertMeasuring('the uncompressed-between-compressed row');
  for (const version of senders) releaseDir('ws', version);
  const runs: ContextRun[] = [];
  for (const version of senders) for (const mode of modes) runs.push(await runContext(version, mode));
  return runs;
}
