/**
 * What the zlib server (src/history/zlib-server.ts) and its clients (src/history/zlib-clients.ts)
 * agree on, kept apart so neither child loads the other's modules: the server's process is the
 * one measured, and must not hold today's ws client.
 */
import { createHash } from 'node:crypto';

/** The query parameter a client names its index with: the server sends to connections in this order. */
export const CONNECTION_PARAM = 'c';

/** The digest both ends compute: sha256 over each connection's per-connection sha256, in index order. */
export function combinedDigest(perConnection: readonly string[]): string {
  const all = createHash('sha256');
  for (const digest of perConnection) all.update(digest);
  return all.digest('hex');
}
