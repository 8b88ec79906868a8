/**
 * The battery's rows for a reader: one table line per server (the verdicts and their controls),
 * and the sentences each row's cases worded, with a closing comparison of the reader's row against
 * the reference rows. Each case's pass, fail or not tested is shown with the claim verdict it maps
 * onto (src/core/verdict.ts): the server handled the case (holds), did not, or the check cannot say.
 */
import { claimVerdict } from '../core/verdict';
import { formatDuration } from '../core/units';
import type { CaseResult } from './battery';
import type { CheckRow } from './record';
import type { CheckCase } from './options';

const resultOf = (row: CheckRow, name: CheckCase): CaseResult | undefined => row.results.find((r) => r.case === name);

const control = (result: CaseResult | undefined, key: string): string => {
  const value = result?.controls[key];
  return value === undefined || value === null ? '–' : String(value);
};

/** `fail (does not hold)`: a case's verdict with the claim verdict it maps onto. */
function caseVerdictText(result: Pick<CaseResult, 'verdict'>): string {
  return `${result.verdict} (${claimVerdict(result.verdict)})`;
}

// The silent case's outcome in a cell: when the server dropped the client, or how long it did not.
function silentDrop(silent: CaseResult): string {
  if (silent.verdict === 'not tested') return 'not tested';
  const dropped = silent.controls['dropped after (ms)'];
  return typeof dropped === 'number'
    ? formatDuration(dropped)
    : `not within ${formatDuration(Number(silent.controls['waited at most']))}`;
}

/** One table line per server: each case's verdict, and the controls that back the fragmented one. */
export function checkTableRows(rows: readonly CheckRow[]) {
  return rows.map((row) => {
    const handshake = resultOf(row, 'handshake');
    const fragmented = resultOf(row, 'fragmented');
    const cliff = resultOf(row, 'cliff');
    const silent = resultOf(row, 'silent');
    const mixed = resultOf(row, 'mixed');
    const rsv1 = resultOf(row, 'rsv1');
    return {
      server: row.label,
      'engine.io': control(handshake, 'engine.io protocol'),
      'deflate answer': control(handshake, 'permessage-deflate answer'),
      fragmented: fragmented ? caseVerdictText(fragmented) : 'not run',
      'RSV1 first frames': control(fragmented, 'RSV1 first frames'),
      'continuation frames': control(fragmented, 'continuation frames'),
      'in-order replies': control(fragmented, 'in-order replies'),
      'checksums verified': control(fragmented, 'checksums verified'),
      disconnect: control(fragmented, 'disconnect'),
      ...(mixed ? { 'compressed after uncompressed': caseVerdictText(mixed) } : {}),
      ...(cliff ? { cliff: caseVerdictText(cliff) } : {}),
      ...(rsv1 ? { 'RSV1 misuse': caseVerdictText(rsv1) } : {}),
      ...(silent ? { 'silent client dropped after': silentDrop(silent) } : {}),
      'server saw': row.serverSaw?.join(', ') ?? '(not observable)',
    };
  });
}

/** Every case's sentence for one row, prefixed by the case and its verdict. */
export function rowFindings(row: CheckRow): string[] {
  return row.results.map((r) => `${r.case} (${r.verdict}, ${claimVerdict(r.verdict)}): ${r.finding}`);
}

/**
 * Words the comparison: which reference rows failed the fragmented case and how, and where the
 * reader's server (if any) stands beside them.
 */
export function comparisonFinding(rows: readonly CheckRow[]): string {
  const fragmented = rows.map((row) => ({ row: row, result: resultOf(row, 'fragmented') }));
  const sentences: string[] = [];
  const failed = fragmented.filter((f) => f.result?.verdict === 'fail');
  const passed = fragmented.filter((f) => f.result?.verdict === 'pass');
  const untested = fragmented.filter((f) => f.result?.verdict === 'not tested');
  const names = (list: typeof fragmented) => list.map((f) => f.row.label).join(', ');
  if (failed.length > 0)
    sentences.push(
      `Fragmented compressed messages broke ${names(failed)} (${failed.map((f) => control(f.result, 'disconnect')).join('; ')}).`,
    );
  if (passed.length > 0)
    sentences.push(
      `${names(passed)} took the same messages and stayed usable, with the wire controls above (RSV1 first frames, continuation frames, in-order replies).`,
    );
  if (untested.length > 0)
    sentences.push(`${names(untested)} did not negotiate deflate, so the case could not be tested there.`);
  if (rows.length === 0) sentences.push('No server was checked.');
  return sentences.join(' ');
}
