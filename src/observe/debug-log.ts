/**
 * A run-long `debug` log with every message cut to a readable length as it comes, so `DEBUG=*`
 * can run through a whole scenario. On the 2015 stack `*` prints whole packets: each 1 MiB data URL
 * appears four times (engine:ws `received`, socket.io:socket `dispatching an event`, and twice from
 * socket.io-parser), so a capture that kept full messages would hold gigabytes within a minute.
 *
 * debug-capture keeps each message whole, so this log captures in short slices: a new capture
 * starts, the previous one stops (in the same synchronous step, so no call falls between or into
 * both), and the finished slice's messages are cut. Memory then holds at most one slice of whole
 * messages.
 */
import { captureDebug, type DebugCapture, type DebugLine, DEFAULT_MAX_LINES } from './debug-capture';

/** A captured line whose message may have been cut. */
export interface LoggedLine extends DebugLine {
  /** Characters cut from the end of the message (0 when whole). */
  cut: number;
}

/** A running log; stop() ends it (idempotent) and returns every line kept. */
export interface DebugLog {
  readonly namespaces: string;
  lines(): LoggedLine[];
  /** Lines not kept because the log reached `maxLines`. */
  dropped(): number;
  stop(): LoggedLine[];
}

export interface DebugLogOptions {
  /** Characters kept of each message. */
  maxMessageChars?: number;
  /** Lines kept before further ones are only counted. */
  maxLines?: number;
  /** How long one slice captures whole messages before they are cut, ms. */
  sliceMs?: number;
}

/** Characters kept of a message by default: a packet's start, enough to tell what it was. */
export const DEFAULT_MAX_MESSAGE_CHARS = 240;
/** A slice's length by default: at 120 MB/s of formatted packets, about 12 MB held at once. */
export const DEFAULT_SLICE_MS = 100;

/** Starts logging the namespaces (DEBUG syntax) from every prepared copy of `debug`. */
export function startDebugLog(namespaces = '*', options: DebugLogOptions = {}): DebugLog {
  const maxChars = options.maxMessageChars ?? DEFAULT_MAX_MESSAGE_CHARS;
  const maxLines = options.maxLines ?? DEFAULT_MAX_LINES;
  const kept: LoggedLine[] = [];
  let dropped = 0;
  let failure: Error | undefined;
  let slice: DebugCapture | undefined = captureDebug(namespaces, { maxLines });

  const keep = (lines: DebugLine[], sliceDropped: number) => {
    dropped += sliceDropped;
    for (const line of lines) {
      if (kept.length >= maxLines) {
        dropped++;
        continue;
      }
      const cut = Math.max(0, line.message.length - maxChars);
      kept.push({ ...line, message: cut > 0 ? `${line.message.slice(0, maxChars)}…` : line.message, cut: cut });
    }
  };
  const rotate = () => {
    const finished = slice;
    if (!finished || failure) return;
    try {
      slice = captureDebug(namespaces, { maxLines });
    } catch (error) {
      // A timer must not throw (it would take the kernel down): the running slice goes on, and
      // stop() reports the error.
      failure = error as Error;
      return;
    }
    keep(finished.stop(), finished.dropped());
  };
  const timer = setInterval(rotate, options.sliceMs ?? DEFAULT_SLICE_MS);
  // A log left running must not keep a process alive by itself.
  timer.unref();
  const stop = (): LoggedLine[] => {
    clearInterval(timer);
    const finished = slice;
    slice = undefined;
    if (finished) keep(finished.stop(), finished.dropped());
    if (failure) throw failure;
    return [...kept];
  };
  return {
    namespaces: namespaces,
    lines: () => {
      rotate();
      return [...kept];
    },
    dropped: () => dropped,
    stop: stop,
  };
}
