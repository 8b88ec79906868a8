/**
 * Byte and duration units, parsed here rather than with the `bytes` package: `bytes.parse('64KiB')`
 * returns 64 and `bytes.parse('1.5MiB')` returns 1 without an error, which is exactly the silent
 * misreading a measurement tool cannot afford.
 */
import { InputError } from './errors';

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, min: 60_000, h: 3_600_000 };

/** Thrown for any input the units parser cannot read; the message says what is accepted. */
export class UnitError extends InputError {}

function splitNumber(text: string): { value: number; unit: string } | undefined {
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!match) return undefined;
  return { value: Number(match[1]), unit: match[2].toLowerCase() };
}

/** Parses `4096`, `64 B`, `200KiB`, `1.5MiB` into whole bytes (rounded to the nearest byte). */
export function parseBytes(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new UnitError(`${input} is not a byte count`);
    return Math.round(input);
  }
  const parts = splitNumber(input);
  const factor = parts && BYTE_UNITS[parts.unit];
  if (!parts || factor === undefined) {
    throw new UnitError(`'${input}' is not a size: use plain bytes or B, KiB, MiB (e.g. 3000, 64KiB, 1.5MiB)`);
  }
  return Math.round(parts.value * factor);
}

/** Parses `250ms`, `15s`, `2min`, `1h` into milliseconds; a bare number given as a number is ms. */
export function parseDuration(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new UnitError(`${input} is not a duration`);
    return input;
  }
  const parts = splitNumber(input);
  const factor = parts && DURATION_UNITS[parts.unit];
  if (!parts || factor === undefined) {
    throw new UnitError(`'${input}' is not a duration: use a number with ms, s, min or h (e.g. 500ms, 15s, 2min)`);
  }
  return parts.value * factor;
}

/** Formats bytes with the largest IEC unit that keeps the number at or above 1 (e.g. `1.5 MiB`). */
export function formatBytes(bytes: number): string {
  const units: Array<[string, number]> = [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ];
  for (const [unit, factor] of units) {
    if (Math.abs(bytes) >= factor) return `${Number((bytes / factor).toFixed(2))} ${unit}`;
  }
  return `${bytes} B`;
}

/** Formats milliseconds as the most readable of ms, s, min or h. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${Number((ms / 1000).toFixed(1))} s`;
  if (ms < 2 * 3_600_000) return `${Number((ms / 60_000).toFixed(1))} min`;
  return `${Number((ms / 3_600_000).toFixed(1))} h`;
}
