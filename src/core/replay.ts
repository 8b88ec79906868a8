/**
 * Re-rendering from recorded runs: `npm run report -- --from-data DIR` sets one environment
 * variable for the kernels. Every step that measures goes through `measureOrReplay()`: measuring, it
 * records what the step returned under `<data dir>/replay/`; replaying, it returns the latest
 * record of the same step and parameters from DIR and measures nothing. The guards
 * (`assertMeasuring`) sit where anything would start (a stack, a server, Chromium, a load, a
 * search) and throw under replay, so a replay that measures is an error, not a slow page.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { loadAverageText } from './meta';
import { COMMITTED_DATA_DIR, dataDir } from './paths';
import { newRecordId, readRecords, recordEnvelope, writeRecord, type RecordBase } from './records';
import { InputError, NamedError } from './errors';

/** Environment variable naming the data dir to replay; unset means measure anew. */
export const FROM_DATA_ENV = 'DEFLATE_LAB_FROM_DATA';

/** The folder (record kind) under a data dir that holds what each measuring step returned. */
export const REPLAY_KIND = 'replay';

/** The command that records a replay set into the committed data dir. */
export const RECORD_REPLAY_COMMAND = 'npm run record-replay';

/** The data dir a chapter should read recorded runs from, or undefined to measure. */
export function fromDataDir(): string | undefined {
  const dir = process.env[FROM_DATA_ENV];
  return dir ? path.resolve(dir) : undefined;
}

/**
 * Where recorded datasets (the long runs, the sweep, the knees) are read from: the `--from-data`
 * dir when given, else the committed data/, whatever data dir this run writes its own records to.
 */
export function recordedDataDir(): string {
  return fromDataDir() ?? COMMITTED_DATA_DIR;
}

/** Thrown when a replay dir cannot be read; the message says what to pass instead. */
export class ReplayDirError extends InputError {}

/** Thrown when something would be measured under `--from-data`. */
export class ReplayMeasureError extends NamedError {}

/** Thrown when a step has no record to replay; the message names the command that records it. */
export class ReplayMissingError extends InputError {}

/** Checks that DIR is a readable folder before any kernel starts. */
export function assertReplayDir(dir: string): string {
  const resolved = path.resolve(dir);
  try {
    if (!fs.statSync(resolved).isDirectory()) throw new Error('not a directory');
    fs.accessSync(resolved, fs.constants.R_OK | fs.constants.X_OK);
  } catch {
    throw new ReplayDirError(
      `--from-data: ${dir} is not a readable folder: pass a data dir written by an earlier run (e.g. data/)`,
    );
  }
  return resolved;
}

/** The guard: throws under `--from-data`, naming what was about to start. */
export function assertMeasuring(what: string): void {
  const dir = fromDataDir();
  if (dir !== undefined)
    throw new ReplayMeasureError(`--from-data ${dir}: a replay measures nothing, yet ${what} was about to start`);
}

/** One measuring step of a chapter: what names its records. */
export interface ReplayStep {
  /** The chapter's slug, e.g. `symptom`. */
  chapter: string;
  /** The step within the chapter, e.g. `browser-run`. */
  step: string;
  /** Everything the step's result depends on; a replay only takes a record made with equal values. */
  params: unknown;
  quick: boolean;
}

/** A chapter's step namer: `steps('browser-run', params)` names one of its steps. */
export function replaySteps(chapter: string): <P extends { quick: boolean }>(step: string, params: P) => ReplayStep {
  return (step, params) => ({ chapter: chapter, step: step, params: params, quick: params.quick });
}

/** What one measuring step returned, as written to `<data dir>/replay/`. */
export interface ReplayRecord<T = unknown> extends RecordBase {
  kind: typeof REPLAY_KIND;
  chapter: string;
  step: string;
  params: unknown;
  value: T;
}

/** Where a record came from, for the line under a replayed step. */
function provenance(record: RecordBase): string {
  const { meta } = record;
  return `re-rendered from record ${record.id}: measured ${record.startedAt}, commit ${meta.commit.slice(0, 10)}${meta.dirty ? ' (with local changes)' : ''}, ${meta.cpuModel} × ${meta.cores}, ${loadAverageText(meta)}`;
}

// Parameters compare as JSON would store them (undefined dropped, numbers as numbers).
function asStored<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** The latest record of a step with equal parameters in `dir`, or undefined. */
export function latestReplay<T>(step: ReplayStep, dir: string): ReplayRecord<T> | undefined {
  const params = asStored(step.params);
  return readRecords<ReplayRecord<T>>(REPLAY_KIND, dir)
    .records.filter((r) => r.chapter === step.chapter && r.step === step.step && isDeepStrictEqual(r.params, params))
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt))
    .pop();
}

/** What a step returned, and, when it was replayed, the line saying where its record came from. */
export interface Replayed<T> {
  value: T;
  provenance?: string;
}

/**
 * Runs a measuring step, or replays it. Measuring, the value is recorded and returned as the
 * record holds it (through JSON), so the live page and its replay are made from the same data.
 * Replaying, it returns the record's value with its provenance line, for the caller to show; with
 * no record of the same step and parameters it throws a one-line error naming the command that
 * records one.
 */
export async function measureOrReplay<T>(step: ReplayStep, measure: () => Promise<T>): Promise<Replayed<T>> {
  const replay = fromDataDir();
  if (replay !== undefined) {
    const recorded = latestReplay<T>(step, replay);
    if (!recorded)
      throw new ReplayMissingError(
        `--from-data ${replay}: no recorded '${step.step}' of chapter ${step.chapter} with these parameters: record one with \`${RECORD_REPLAY_COMMAND}\` (the default parameters), or run the chapter without --from-data`,
      );
    return { value: recorded.value, provenance: provenance(recorded) };
  }
  const startedAt = new Date().toISOString();
  const value = asStored(await measure());
  await writeRecord<ReplayRecord<T>>(
    {
      ...recordEnvelope({
        kind: REPLAY_KIND,
        id: newRecordId(`${step.chapter}-${step.step}-`),
        startedAt: startedAt,
        quick: step.quick,
      }),
      chapter: step.chapter,
      step: step.step,
      params: asStored(step.params),
      value: value,
    },
    dataDir(),
    { compact: true },
  );
  return { value: value };
}
