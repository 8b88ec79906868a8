/**
 * Deterministic payloads for a seed: what the 2015 pages emitted (a canvas picture as a PNG data
 * URL), the same picture as binary PNG or JPEG bytes, and JSON text. Each is exactly `size` long
 * (bytes, or characters for strings), except a data URL, which base64 rounds to within 3
 * characters below `size`.
 */
import zlib from 'node:zlib';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import type { PayloadKind } from '../core/params';
import { KiB } from '../core/params';

/** The fewest distinct pictures a client cycles through, like a canvas that changes between frames. */
const MIN_VARIANTS = 4;
/** deflate's largest window: a compressor that keeps its context can match anything this far back. */
const DEFLATE_WINDOW = 32 * KiB;

/**
 * How many distinct payloads a client cycles through at `size`: at least 4, and enough that no
 * payload recurs within deflate's 32 KiB window, so a compressor that keeps its context between
 * messages cannot shrink a small frame by matching its previous copy (4 variants of 1 KiB
 * compressed 16–55× that way).
 */
export function variantCount(size: number): number {
  return Math.max(MIN_VARIANTS, Math.ceil(DEFLATE_WINDOW / Math.max(1, size)) + 1);
}
const DATA_URL_PREFIX = 'data:image/png;base64,';
// Above this, the picture stays this big and a padding chunk of seeded noise makes up the size:
// encoding a 64 MiB noise image would take longer than most runs.
const MAX_PICTURE_BYTES = 512 * KiB;
const PNG_SIGNATURE_AND_END = 8 + 12 + 12; // signature, IHDR, IEND chunk framing

/** One payload and its checksum. */
export interface Payload {
  data: string | Buffer;
  /** crc32 of the bytes (UTF-8 for strings), as the server recomputes it. */
  crc: number;
  /** Bytes (binary) or characters (text). */
  length: number;
}

function prng(seed: number): () => number {
  // mulberry32: small, fast and deterministic; Math.random cannot be seeded.
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function noise(bytes: number, seed: number): Buffer {
  const random = prng(seed);
  const out = Buffer.allocUnsafe(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (random() * 256) | 0;
  return out;
}

/** A canvas-like RGBA picture: a gradient that moves with the variant, shapes, and sensor noise. */
function picture(width: number, height: number, seed: number, variant: number): Buffer {
  const random = prng(seed * 7919 + variant);
  const rgba = Buffer.alloc(width * height * 4);
  const cx = width * (0.3 + 0.1 * variant);
  const cy = height * 0.5;
  const radius = Math.min(width, height) / 4;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const inside = (x - cx) ** 2 + (y - cy) ** 2 < radius ** 2;
      const grain = (random() - 0.5) * 96;
      rgba[i] = Math.max(0, Math.min(255, (inside ? 220 : (x * 255) / width) + grain));
      rgba[i + 1] = Math.max(0, Math.min(255, (inside ? 80 : (y * 255) / height) + grain));
      rgba[i + 2] = Math.max(0, Math.min(255, 128 + variant * 30 + grain));
      rgba[i + 3] = 255;
    }
  }
  return rgba;
}

function pngChunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}

/** Largest square-ish picture whose encoding fits `budget` bytes, found by shrinking from a guess. */
function encodeWithin(budget: number, encode: (w: number, h: number) => Buffer): Buffer | undefined {
  // Noisy pictures encode at roughly 2–3 bytes a pixel; start a little above and shrink.
  let pixels = Math.max(1, Math.floor(budget / 2));
  for (let attempt = 0; attempt < 12; attempt++) {
    const width = Math.max(1, Math.round(Math.sqrt(pixels * (4 / 3))));
    const height = Math.max(1, Math.round(pixels / width));
    const encoded = encode(width, height);
    if (encoded.length <= budget) return encoded;
    if (width === 1 && height === 1) return undefined;
    pixels = Math.floor(pixels * (budget / encoded.length) * 0.95);
  }
  return undefined;
}

/** PNG bytes of exactly `size`: a picture, padded with a private ancillary chunk (`npAd`) of noise. */
function pngOfSize(size: number, seed: number, variant: number): Buffer {
  const pictureBudget = Math.min(size, MAX_PICTURE_BYTES) - 12;
  const encoded =
    pictureBudget > PNG_SIGNATURE_AND_END + 20
      ? encodeWithin(pictureBudget, (w, h) => {
          const png = new PNG({ width: w, height: h });
          png.data = picture(w, h, seed, variant);
          return PNG.sync.write(png, { colorType: 2 });
        })
      : undefined;
  // Below the smallest PNG that holds a picture, the payload is the prefix of one.
  if (!encoded) return pngOfSize(PNG_SIGNATURE_AND_END + 64 + 12 + 21, seed, variant).subarray(0, size);
  const padding = size - encoded.length - 12;
  const iendAt = encoded.length - 12;
  return Buffer.concat([
    encoded.subarray(0, iendAt),
    pngChunk('npAd', noise(padding, seed + variant)),
    encoded.subarray(iendAt),
  ]);
}

/** JPEG bytes of exactly `size`: a picture, padded with comment (COM) segments of noise. */
function jpegOfSize(size: number, seed: number, variant: number): Buffer {
  const budget = Math.min(size, MAX_PICTURE_BYTES) - 4;
  const encoded =
    budget > 700
      ? encodeWithin(
          budget,
          (w, h) => jpeg.encode({ width: w, height: h, data: picture(w, h, seed, variant) }, 90).data,
        )
      : undefined;
  if (!encoded) return jpegOfSize(1024, seed, variant).subarray(0, size);
  // A COM segment holds at most 65533 bytes; the length field counts itself.
  const segments: Buffer[] = [];
  let missing = size - encoded.length;
  let part = 0;
  while (missing > 0) {
    const body = Math.min(65533, missing - 4);
    if (body < 0) break;
    const head = Buffer.from([0xff, 0xfe, 0, 0]);
    head.writeUInt16BE(body + 2, 2);
    segments.push(head, noise(body, seed + variant * 1000 + part++));
    missing -= body + 4;
  }
  const out = Buffer.concat([encoded.subarray(0, 2), ...segments, encoded.subarray(2)]);
  return missing === 0 ? out : Buffer.concat([out, Buffer.alloc(missing)]);
}

function dataUrlOfSize(size: number, seed: number, variant: number): string {
  const base64Chars = Math.max(0, size - DATA_URL_PREFIX.length);
  const pngBytes = Math.floor(base64Chars / 4) * 3;
  return (DATA_URL_PREFIX + pngOfSize(Math.max(1, pngBytes), seed, variant).toString('base64')).slice(0, size);
}

/** JSON text of exactly `size` characters: telemetry-like records, closed by a filler field. */
function jsonOfSize(size: number, seed: number, variant: number): string {
  const random = prng(seed * 31 + variant);
  const minimal = '{"p":[],"f":""}';
  if (size < minimal.length) return minimal.slice(0, size);
  const points: string[] = [];
  let used = minimal.length;
  for (;;) {
    const point = JSON.stringify({
      x: Math.round(random() * 1e4),
      y: Math.round(random() * 1e4),
      v: Number(random().toFixed(4)),
      tag: `p${points.length % 97}`,
    });
    const cost = point.length + (points.length > 0 ? 1 : 0);
    if (used + cost > size) break;
    points.push(point);
    used += cost;
  }
  return `{"p":[${points.join(',')}],"f":"${'.'.repeat(size - used)}"}`;
}

const cache = new Map<string, Payload>();

/** The payload of a kind and size for a seed and variant (cached: generation can take a moment). */
export function payload(kind: PayloadKind, size: number, seed: number, variant: number): Payload {
  const v = variant % variantCount(size);
  const key = `${kind}/${size}/${seed}/${v}`;
  let made = cache.get(key);
  if (!made) {
    const data =
      kind === 'png'
        ? pngOfSize(size, seed, v)
        : kind === 'jpeg'
          ? jpegOfSize(size, seed, v)
          : kind === 'data-url'
            ? dataUrlOfSize(size, seed, v)
            : jsonOfSize(size, seed, v);
    made = { data, crc: zlib.crc32(data), length: data.length };
    cache.set(key, made);
  }
  return made;
}
