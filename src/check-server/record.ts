/**
 * The battery's record: one row per server checked (the user's, and the reference stacks), written
 * under `<data dir>/check-server/`. A row names its target by recordableUrl and its auth by key
 * only; every finding and control was redacted where it was made, and `assertNoSecrets` checks the
 * whole record once more before it is written.
 */
import { newRecordId, recordEnvelope, writeRecord, type RecordBase } from '../core/records';
import type { CaseResult } from './battery';
import type { Budget } from './budget';
import { recordableUrl, redact, type CheckLimits, type CheckOptions } from './options';

/** One server's results. */
export interface CheckRow {
  /** `your server`, or a reference stack's name. */
  label: string;
  /** The target as recorded: no credentials, query keys without values. */
  url: string;
  path: string;
  namespace: string;
  /** The keys of --auth (never the values). */
  authKeys: string[];
  results: CaseResult[];
  /** For reference rows: the reasons the server's own socket.io reported for each disconnect, in order. */
  serverSaw?: string[];
  ms: number;
}

/** `<data dir>/check-server/<id>.json`. */
export interface CheckRecord extends RecordBase {
  kind: 'check-server';
  limits: CheckLimits;
  budget: Budget;
  rows: CheckRow[];
}

/** A row for results measured against `options`' target. */
export function checkRow(
  label: string,
  options: CheckOptions,
  results: CaseResult[],
  ms: number,
  serverSaw?: string[],
): CheckRow {
  const t = options.target;
  const query = t.query.map(([k]) => `${encodeURIComponent(k)}=`).join('&');
  return {
    label: label,
    url: recordableUrl(`${t.origin}/${query ? `?${query}` : ''}`),
    path: t.path,
    namespace: t.namespace,
    authKeys: Object.keys(t.auth),
    results: results,
    ...(serverSaw ? { serverSaw: serverSaw.map((s) => redact(s, t)) } : {}),
    ms: ms,
  };
}

/** Throws if any secret of the target appears anywhere in `text` (a record, a log). */
export function assertNoSecrets(text: string, options: CheckOptions): void {
  if (redact(text, options.target) !== text) throw new Error('a credential reached the output; nothing was written');
}

/** Writes the rows as one record and returns its path. */
export async function writeCheckRecord(
  options: CheckOptions,
  budgetUsed: Budget,
  rows: CheckRow[],
  startedAt: Date,
  quick: boolean,
  dir?: string,
): Promise<{ record: CheckRecord; file: string }> {
  const record: CheckRecord = {
    ...recordEnvelope({
      kind: 'check-server',
      id: newRecordId('check-'),
      startedAt: startedAt.toISOString(),
      quick: quick,
    }),
    limits: options.limits,
    budget: budgetUsed,
    rows: rows,
  };
  assertNoSecrets(JSON.stringify(record), options);
  return { record: record, file: await writeRecord(record, dir) };
}
