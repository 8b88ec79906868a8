/**
 * deflate-lab's Artillery processor (written next to the test script by
 * `npm run check-server -- --export artillery DIR`): each virtual user replays the battery's
 * fragmented case against one socket.io server and reports, as Artillery custom counters, what
 * Artillery's own socketio engine cannot see: the frames it wrote (an RSV1 first frame and
 * continuation frames per message, as Chromium sends a large message under permessage-deflate),
 * the in-order replies that came back after each burst, and how the connection ended (close code
 * and disconnect reason).
 *
 * Any socket.io server will do, as for the battery: the first user of each worker checks once,
 * with one small message, whether the server answers the ack event (`deflate-lab:digest`, the
 * optional server lines of deflate-lab's docs/check-server.md). Where it does, each reply is an
 * acked message whose length and SHA-256 come back; where it does not, a join of a namespace that
 * does not exist stands in, which every socket.io server answers in order (contents then go
 * unchecked).
 *
 * Plain CommonJS that needs only Node and `ws` 8 (the export writes a package.json pinning it),
 * so it runs unchanged on Artillery's distributed workers. It speaks engine.io 3 or 4 (as the
 * polling handshake says) and socket.io itself: ws does the WebSocket handshake and reads the
 * server's frames, and the processor writes its own outgoing frames, because ws compresses each
 * piece it is given on its own and cannot split one compressed message into fragments. The same
 * wire format as deflate-lab's src/clients/ (frames.ts, deflate-sender.ts, sio-protocol.ts), and
 * the same reply rule as src/check-server/session.ts; a test there keeps the frames identical.
 *
 * Every virtual user is bounded: one message alone, then `bursts` bursts of `burst` messages per
 * size, each followed by one reply; each answer awaited at most `replyTimeoutMs` (the ack event
 * check at most `ackCheckMs`), the whole user at most `userMaxMs`; then it closes its connection.
 * It stops early when the connection closes or a reply does not come back.
 */
'use strict';
const crypto = require('node:crypto');
const zlib = require('node:zlib');
const WebSocket = require('ws');

/** The event the server acknowledges with the message's length and SHA-256 (docs/check-server.md, optional lines). */
const DIGEST_EVENT = 'deflate-lab:digest';
/** The small message that asks, once per worker, whether the server answers the ack event. */
const DIGEST_CHECK = 'deflate-lab digest check';
/** The prefix of the namespaces used as in-order probes: joining one gets an answer from any socket.io server. */
const PROBE_NAMESPACE = '/deflate-lab-probe';
/** An event no server handles: the bursts go there, so the application does no work. */
const UNHANDLED_EVENT = 'deflate-lab:unhandled';
/** The prefix of every custom counter. */
const PREFIX = 'deflate_lab.';

const OPCODE_CONTINUATION = 0x0;
const OPCODE_TEXT = 0x1;
const SYNC_FLUSH_TAIL = 0x0000ffff;

// RFC 6455 7.4.1, and ws's 1006 for a connection that ended without a close frame.
const CLOSE_REASONS = {
  1000: 'normal closure',
  1001: 'going away',
  1002: 'protocol error',
  1003: 'unsupported data',
  1005: 'no status code',
  1006: 'cut without a close frame',
  1007: 'invalid frame payload data',
  1008: 'policy violation',
  1009: 'message too big',
  1011: 'server error',
};

/** One masked client frame (RFC 6455 5.2) as [header, payload]. */
function encodeFrame(opcode, payload, fin, rsv1) {
  const length = payload.length;
  const extended = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const header = Buffer.allocUnsafe(2 + extended + 4);
  header[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  if (extended === 0) header[1] = 0x80 | length;
  else if (extended === 2) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  const mask = crypto.randomBytes(4);
  mask.copy(header, 2 + extended);
  const masked = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) masked[i] = payload[i] ^ mask[i & 3];
  return [header, masked];
}

/** A message split into frames of at most `fragmentSize` bytes: RSV1 on the first when compressed, continuation frames after it. */
function fragmentMessage(opcode, body, fragmentSize, compressed) {
  const buffers = [];
  let offset = 0;
  do {
    const end = Math.min(body.length, offset + fragmentSize);
    const first = offset === 0;
    buffers.push(
      ...encodeFrame(
        first ? opcode : OPCODE_CONTINUATION,
        body.subarray(offset, end),
        end === body.length,
        first && compressed,
      ),
    );
    offset = end;
  } while (offset < body.length);
  return buffers;
}

/** The client window the server's `Sec-WebSocket-Extensions` answer allows; undefined when deflate was not accepted. */
function deflateWindowBits(answer) {
  const ext = (answer || '')
    .split(',')
    .map((e) => e.split(';').map((p) => p.trim()))
    .find((p) => p[0] === 'permessage-deflate');
  if (!ext) return undefined;
  const bits = ext
    .slice(1)
    .map((p) => p.split('=').map((s) => s.trim().replace(/^"|"$/g, '')))
    .find(([key]) => key === 'client_max_window_bits');
  return Math.max(9, Number(bits && bits[1]) || 15);
}

/** One message compressed alone, as permessage-deflate sends it: a sync flush without its 00 00 ff ff tail. */
function compressAlone(body, windowBits) {
  const out = zlib.deflateRawSync(body, {
    windowBits: windowBits,
    memLevel: 8,
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
  });
  return out.length >= 4 && out.readUInt32BE(out.length - 4) === SYNC_FLUSH_TAIL
    ? out.subarray(0, out.length - 4)
    : out;
}

/** A PNG data URL of `size` characters whose picture is noise (it compresses as a real photo does, about 1.33 to 1). */
function dataUrl(size) {
  const head = 'data:image/png;base64,';
  const body = crypto.randomBytes(Math.ceil((Math.max(0, size - head.length) * 3) / 4)).toString('base64');
  return (head + body).slice(0, size);
}

/** The engine.io revision and session id from a polling handshake body (revision 3 frames it as `<length>:0{…}`). */
function parseHandshake(body) {
  const v3 = /^(\d+):0(\{.*)$/s.exec(body);
  if (v3) return { eio: 3, sid: JSON.parse(v3[2].slice(0, Number(v3[1]) - 1)).sid };
  if (body.startsWith('0{')) return { eio: 4, sid: JSON.parse(body.slice(1).split('\x1e')[0]).sid };
  return undefined;
}

const revisions = new Map();
/** Asks the server once per worker which engine.io revision it speaks (4 when polling is refused: a websocket-only server). */
function handshakeRevision(origin, enginePath, timeoutMs) {
  const key = `${origin}${enginePath}`;
  if (!revisions.has(key)) {
    const url = `${origin}${enginePath}/?EIO=4&transport=polling&b64=1`;
    const signal = () => AbortSignal.timeout(timeoutMs);
    revisions.set(
      key,
      fetch(url, { signal: signal() })
        .then((res) => res.text())
        .then(async (body) => {
          const found = parseHandshake(body);
          if (!found) return 4;
          // Close the polling session rather than leave it to time out on the server.
          await fetch(`${url.replace('EIO=4', `EIO=${found.eio}`)}&sid=${encodeURIComponent(found.sid)}`, {
            method: 'POST',
            headers: { 'content-type': 'text/plain;charset=UTF-8' },
            body: found.eio === 3 ? '1:1' : '1',
            signal: signal(),
          })
            .then((res) => res.arrayBuffer())
            .catch(() => undefined);
          return found.eio;
        })
        .catch(() => 4),
    );
  }
  return revisions.get(key);
}

/** The settings of a run, from the script's `config.variables.deflateLab`, with the target from `config.target`. */
function settingsOf(vars) {
  const s = vars.deflateLab || {};
  return {
    origin: String(vars.target).replace(/\/+$/, ''),
    path: s.path || '/socket.io',
    namespace: s.namespace || '/',
    authKeys: s.authKeys || [],
    frameSizes: s.frameSizes || [262144],
    fragmentSize: s.fragmentSize || 16384,
    burst: s.burst || 3,
    bursts: s.bursts || 3,
    replyTimeoutMs: s.replyTimeoutMs || 5000,
    ackCheckMs: s.ackCheckMs || 2000,
    userMaxMs: s.userMaxMs || 60000,
  };
}

/** The WebSocket URL; auth values come from `DEFLATE_LAB_AUTH_<key>` environment variables, never from the script. */
function socketUrl(settings, eio) {
  const url = new URL(`${settings.path}/`, settings.origin);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('EIO', String(eio));
  url.searchParams.set('transport', 'websocket');
  if (eio === 3)
    for (const key of settings.authKeys) url.searchParams.set(key, process.env[`DEFLATE_LAB_AUTH_${key}`] || '');
  return url.toString();
}

function authJson(settings) {
  const auth = {};
  for (const key of settings.authKeys) auth[key] = process.env[`DEFLATE_LAB_AUTH_${key}`] || '';
  return settings.authKeys.length > 0 ? JSON.stringify(auth) : '';
}

/** A counter name from free text: lower case, words joined by `_`. */
function counterName(text) {
  return (
    PREFIX +
    String(text)
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_|_$/g, '')
  );
}

const ackEventAnswers = new Map();
/**
 * Whether the server answers the ack event, asked once per worker and namespace: the first user to
 * join runs `check` (resolving true, false, or undefined when its connection ended first), and the
 * others wait for that answer. An ended connection leaves the question open for the next user.
 */
function answersAckEvent(settings, check) {
  const key = `${settings.origin}${settings.path}#${settings.namespace}`;
  if (!ackEventAnswers.has(key))
    ackEventAnswers.set(
      key,
      check().then((answered) => {
        if (answered === undefined) ackEventAnswers.delete(key);
        return answered;
      }),
    );
  return ackEventAnswers.get(key);
}

/** The namespace a server packet (`40/nsp,…`, `44/nsp,…`) is about: `/` when it names none. */
function packetNamespace(text) {
  const body = text.slice(2);
  if (!body.startsWith('/')) return '/';
  const comma = body.indexOf(',');
  return comma === -1 ? body : body.slice(0, comma);
}

/**
 * One virtual user: connect, join the namespace, learn whether the server answers the ack event,
 * send one message alone and wait for its reply, then per size `bursts` bursts of `burst` messages
 * written back to back, each burst followed by one reply; close. Counters go to Artillery through
 * `events.emit('counter', …)`.
 */
function replayFragmented(context, events, done) {
  const settings = settingsOf(context.vars);
  const count = (name, n = 1) => events.emit('counter', PREFIX + name, n);
  handshakeRevision(settings.origin, settings.path, settings.replyTimeoutMs).then((eio) => {
    count(`engine_io_${eio}`);
    new VirtualUser(settings, eio, count, done);
  });
}

/**
 * A virtual user's connection, from the WebSocket handshake to `done`: the frames it writes
 * (`write`), the replies it awaits (`ack`, `probe`), the load it sends (`send`), the server's
 * packets (`onPacket`) and how it ends (`finish` when the user ends it, `onClose` when the server
 * or the network does).
 */
class VirtualUser {
  constructor(settings, eio, count, done) {
    this.settings = settings;
    this.eio = eio;
    this.count = count;
    this.done = done;
    this.finished = false;
    this.joinedYet = false;
    this.ws = new WebSocket(socketUrl(settings, eio), {
      perMessageDeflate: true,
      handshakeTimeout: settings.replyTimeoutMs,
    });
    this.windowBits = undefined;
    this.socket = undefined;
    this.heartbeat = undefined;
    this.closedByUs = false;
    this.namespaceDisconnect = false;
    this.error = '';
    this.nextAck = 0;
    this.probes = 0;
    // Replies awaited: `ack:<id>` for acked messages, `nsp:<name>` for probes; each called with the answer, or null when the connection ended.
    this.waiting = new Map();
    this.userTimer = setTimeout(() => this.finish('user time limit'), settings.userMaxMs);
    this.nsp = settings.namespace === '/' ? '' : `${settings.namespace},`;

    this.ws.on('upgrade', (res) => {
      this.windowBits = deflateWindowBits(res.headers['sec-websocket-extensions']);
      count(this.windowBits === undefined ? 'deflate_not_negotiated' : 'deflate_negotiated');
    });
    this.ws.on('open', () => {
      this.socket = this.ws._socket;
    });
    this.ws.on('message', (data, isBinary) => {
      if (!isBinary) this.onPacket(data.toString());
    });
    this.ws.on('error', (e) => {
      this.error = e.message;
    });
    this.ws.on('close', (code, reason) => this.onClose(code, reason));
  }

  closed() {
    return this.ws.readyState !== WebSocket.OPEN;
  }

  // Every message is compressed when deflate was negotiated (as Chromium does); only the load's frames are counted.
  write(text, load = true) {
    const socket = this.socket;
    if (!socket || socket.destroyed) return false;
    const body = Buffer.from(text);
    const compressed = this.windowBits !== undefined;
    const payload = compressed ? compressAlone(body, this.windowBits) : body;
    const buffers = fragmentMessage(OPCODE_TEXT, payload, this.settings.fragmentSize, compressed);
    for (let i = 0; load && i < buffers.length; i += 2) {
      if ((buffers[i][0] & 0x0f) === OPCODE_CONTINUATION) this.count('continuation_frames');
      else if (buffers[i][0] & 0x40) this.count('rsv1_first_frames');
    }
    socket.cork();
    for (const buffer of buffers) socket.write(buffer);
    socket.uncork();
    return true;
  }

  protocol(text) {
    return this.write(text, false);
  }

  // Sends `text` and resolves with the answer under `key`, or null on timeout or when the connection ended.
  awaitAnswer(key, text, timeoutMs, load) {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        resolve(null);
      }, timeoutMs);
      this.waiting.set(key, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      this.write(text, load);
    });
  }

  // The ack event: 'verified' when the length and SHA-256 come back matching, 'wrong' when not, 'missing' when nothing came.
  async ack(data, timeoutMs = this.settings.replyTimeoutMs, load = true) {
    const id = this.nextAck++;
    if (load) this.count('messages_sent');
    const args = await this.awaitAnswer(
      `ack:${id}`,
      `42${this.nsp}${id}${JSON.stringify([DIGEST_EVENT, data])}`,
      timeoutMs,
      load,
    );
    if (args === null) return 'missing';
    const answer = args && args[0];
    const expected = crypto.createHash('sha256').update(data).digest('hex');
    return answer && answer.sha256 === expected && answer.bytes === Buffer.byteLength(data) ? 'verified' : 'wrong';
  }

  // A namespace that does not exist: every socket.io server answers its join in order, so an answer proves all before it was read.
  async probe() {
    const name = `${PROBE_NAMESPACE}-${this.probes++}`;
    const answer = await this.awaitAnswer(
      `nsp:${name}`,
      `40${name}${this.eio === 4 ? ',{}' : ''}`,
      this.settings.replyTimeoutMs,
      false,
    );
    // A dynamic namespace let us in: leave it again.
    if (answer === 'connect') this.protocol(`41${name},`);
    return answer !== null;
  }

  // Messages to an event no server handles, so the application does no work; one write, back to back, as a browser's send backlog does.
  sendUnhandled(size, n) {
    this.socket.cork();
    for (let seq = 0; seq < n; seq++) {
      this.write(`42${this.nsp}${JSON.stringify([UNHANDLED_EVENT, { seq: seq }, dataUrl(size)])}`);
      this.count('messages_sent');
    }
    this.socket.uncork();
  }

  async send() {
    const settings = this.settings;
    const checked = await answersAckEvent(settings, async () => {
      const outcome = await this.ack(DIGEST_CHECK, settings.ackCheckMs, false);
      return outcome === 'missing' && this.closed() ? undefined : outcome === 'verified';
    });
    if (checked === undefined || this.closed()) return;
    this.count(checked ? 'checked_by_ack_event' : 'checked_by_in_order_reply');
    // The reply after what was sent: an acked message of the same size where the server answers the ack event, else a probe.
    const reply = async (size) => {
      if (checked) {
        const outcome = await this.ack(dataUrl(size));
        this.count(`acks_${outcome}`);
        return outcome === 'verified';
      }
      const answered = await this.probe();
      this.count(answered ? 'replies_in_order' : 'replies_missing');
      return answered;
    };
    // A message alone first: delivery before any burst, on every server.
    if (!checked) this.sendUnhandled(settings.frameSizes[0], 1);
    if (!(await reply(settings.frameSizes[0])) || this.closed()) return;
    for (const size of settings.frameSizes) {
      for (let b = 0; b < settings.bursts; b++) {
        this.sendUnhandled(size, settings.burst);
        this.count('bursts_sent');
        if (!(await reply(size)) || this.closed()) return;
      }
    }
  }

  answerWaiting(key, answer) {
    const resolve = this.waiting.get(key);
    this.waiting.delete(key);
    if (resolve) resolve(answer);
    return resolve !== undefined;
  }

  finish(why) {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.userTimer);
    clearInterval(this.heartbeat);
    for (const key of [...this.waiting.keys()]) this.answerWaiting(key, null);
    const ws = this.ws;
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) {
      if (why) this.count(counterName(`ended_by_${why}`).slice(PREFIX.length));
      this.closedByUs = true;
      const cut = setTimeout(() => ws.terminate(), 2000);
      ws.once('close', () => {
        clearTimeout(cut);
        this.done();
      });
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000);
    } else this.done(why ? new Error(`deflate-lab ${why}`) : undefined);
  }

  // One engine.io packet from the server (a text message).
  onPacket(text) {
    const settings = this.settings;
    const about = packetNamespace(text);
    if (text[0] === '0') {
      const open = JSON.parse(text.slice(1));
      if (this.eio === 4)
        this.protocol(
          `40${settings.namespace === '/' ? '' : authJson(settings) ? this.nsp : settings.namespace}${authJson(settings)}`,
        );
      else if (settings.namespace !== '/') this.protocol(`40${settings.namespace}`);
      else this.joined();
      if (this.eio === 3) this.heartbeat = setInterval(() => this.protocol('2'), open.pingInterval);
    } else if (text[0] === '2') this.protocol('3');
    else if ((text.startsWith('40') || text.startsWith('44')) && about.startsWith(PROBE_NAMESPACE))
      this.answerWaiting(`nsp:${about}`, text.startsWith('40') ? 'connect' : 'error');
    else if (text.startsWith('40')) this.joined();
    else if (text.startsWith('41')) this.namespaceDisconnect = true;
    else if (text.startsWith('44') && !this.joinedYet) {
      this.count('namespace_refused');
      this.finish();
    } else if (text.startsWith('43')) {
      const body = text.slice(2).replace(/^\/[^,]*,/, '');
      const match = /^(\d+)(.*)$/s.exec(body);
      if (match) this.answerWaiting(`ack:${match[1]}`, JSON.parse(match[2]));
    }
  }

  joined() {
    if (this.joinedYet) return;
    this.joinedYet = true;
    this.count('namespace_joined');
    this.send().then(
      () => this.finish(),
      (e) => {
        this.error = e.message;
        this.finish('send error');
      },
    );
  }

  onClose(code, reason) {
    const count = this.count;
    clearInterval(this.heartbeat);
    if (this.closedByUs) {
      count('closed_by_client');
      return;
    }
    if (!this.socket) {
      // Never connected: refused, unreachable, or the WebSocket handshake failed.
      this.finished = true;
      clearTimeout(this.userTimer);
      count('connect_failed');
      const failure = new Error(`connect failed: ${this.error || `close ${code}`}`);
      failure.code = 'deflate_lab connect failed';
      this.done(failure);
      return;
    }
    // The server ended it: its close code, and the reason a socket.io client would report.
    count(`close_${code}`);
    const why = this.namespaceDisconnect ? 'io server disconnect' : 'transport close';
    count(counterName(`disconnect ${why}`).slice(PREFIX.length));
    const detail = reason.toString() || this.error;
    this.finished = true;
    clearTimeout(this.userTimer);
    for (const key of [...this.waiting.keys()]) this.answerWaiting(key, null);
    // Artillery counts a failed user under errors.<code>: the close code, whatever the reason text.
    const failure = new Error(`close ${code} (${CLOSE_REASONS[code] || 'unknown code'})${detail ? `: ${detail}` : ''}`);
    failure.code = `deflate_lab close ${code}`;
    this.done(failure);
  }
}

module.exports = {
  replayFragmented: replayFragmented,
  // For deflate-lab's own test, which keeps these frames identical to src/clients/frames.ts.
  fragmentMessage: fragmentMessage,
  compressAlone: compressAlone,
  deflateWindowBits: deflateWindowBits,
};
