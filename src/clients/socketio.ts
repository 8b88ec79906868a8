/** The stack's own Node socket.io client behind the AppClient interface (it sends single-frame messages). */
import { EventEmitter } from 'node:events';
import type { Stack, ClientSocket } from '../stacks/types';
import { MAX_SEND_BACKLOG, RECONNECT_DELAY_MS } from './fragmenting';
import type { AppClient, FrameAck, FrameMeta } from './types';

/** How long stop() waits for the WebSocket's own close before cutting the connection. */
const STOP_GRACE_MS = 1000;
const CLOSED = 3;

/** The WebSocket (ws 0.8 to 8) under engine.io-client's websocket transport. */
interface WebSocketLike {
  readyState: number;
  bufferedAmount?: number;
  once(event: 'close', listener: () => void): unknown;
  removeListener(event: 'close', listener: () => void): unknown;
  terminate(): void;
}

/** Wraps `stack.connect()`; socket.io's own reconnection is on, with the same delay as the fragmenting client. */
export class SocketIoClient extends EventEmitter implements AppClient {
  private readonly socket: ClientSocket;
  private stopped = false;
  private current?: string;
  /** Acks awaited on the current session, and which session that is (a later ack of an ended one is not counted). */
  private awaiting = 0;
  private session = 0;

  constructor(
    readonly label: string,
    stack: Stack,
    url: string,
    reconnect: boolean,
  ) {
    super();
    this.socket = stack.connect(url, { reconnection: reconnect, reconnectionDelay: RECONNECT_DELAY_MS });
    this.socket.on('connect', () => {
      this.current = this.engineId();
      this.emit('connect', this.current);
    });
    this.socket.on('disconnect', (reason: string) => {
      this.session++;
      this.awaiting = 0;
      if (this.stopped) return;
      this.emit('disconnect', { t: Date.now(), client: label, reason, sid: this.current });
    });
  }

  // The engine.io session id: the thing that changes on reconnect in every socket.io version
  // (socket.io 1.4 prefixes socket ids with the namespace, 4.x makes them independent).
  private engineId(): string | undefined {
    return this.socket.io?.engine?.id ?? this.socket.id;
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  get sid(): string | undefined {
    return this.connected ? this.current : undefined;
  }

  get awaitingAcks(): number {
    return this.awaiting;
  }

  emitFrame(meta: FrameMeta, data: string | Buffer, onAck: (ack: FrameAck) => void): boolean {
    if (!this.socket.connected || this.backlog() > MAX_SEND_BACKLOG) return false;
    const session = this.session;
    this.awaiting++;
    this.socket.emit('frame', meta, data, (ack: FrameAck) => {
      if (session === this.session) this.awaiting--;
      onAck(ack);
    });
    return true;
  }

  // engine.io-client keeps its own write buffer; the WebSocket's bufferedAmount is below that.
  private backlog(): number {
    return this.webSocket()?.bufferedAmount ?? 0;
  }

  /**
   * Disconnects and waits (bounded) for the WebSocket underneath to close. ws 0.8.0 arms a 30 s
   * close timer in the close frame's write callback, which can run after the connection was
   * already cleaned up if the server goes away at once; that timer then holds the process open.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    const ws = this.webSocket();
    this.socket.disconnect();
    if (!ws || ws.readyState === CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, STOP_GRACE_MS);
      ws.once('close', done);
      function done() {
        clearTimeout(timer);
        ws?.removeListener('close', done);
        resolve();
      }
    });
    if (ws.readyState !== CLOSED) ws.terminate();
  }

  private webSocket(): WebSocketLike | undefined {
    const engine = this.socket.io?.engine as unknown as { transport?: { ws?: WebSocketLike } } | undefined;
    return engine?.transport?.ws;
  }
}
