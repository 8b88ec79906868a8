/**
 * Run records: one JSON file per run under `<data dir>/<kind>/`. Written to a temporary file and
 * renamed (write-file-atomic), so a crash or `kill -9` never leaves a partial record.
 */
import fs from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { dataDir } from './paths';
import type { MachineLoad } from './machine-load';
import { runMeta, type RunMeta } from './meta';
import { InputError } from './errors';

export const RECORD_SCHEMA = 1;

/** What every record carries so that a reader can trust it without the run that made it. */
export interface RecordBase {
  schema: typeof RECORD_SCHEMA;
  /** The folder under the data dir: `scenario`, `sweep`, `bench`, … */
  kind: string;
  /** Unique within its kind; also the file name. */
  id: string;
  startedAt: string;
  endedAt: string;
  quick: boolean;
  meta: RunMeta;
  /** How busy the machine was around the run; absent in records made before it was kept. */
  machineLoad?: MachineLoad;
}

/** A file the reader could not use, and why. */
export interface SkippedFile {
  file: string;
  reason: string;
}

/** Thrown when the data dir cannot take a record; the message says what to do. */
export class DataDirError extends InputError {}

const SAFE_ID = /^[A-Za-z0-9._+-]+$/;

/** Checks that the data dir (or the folder that would hold it) can be written, without writing. */
export function assertWritable(dir: string = dataDir()): void {
  let probe = path.resolve(dir);
  while (!fs.existsSync(probe)) probe = path.dirname(probe);
  try {
    fs.accessSync(probe, fs.constants.W_OK);
    if (!fs.statSync(probe).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new DataDirError(
      `data dir ${dir} is not writable: fix its permissions or set DEFLATE_LAB_DATA_DIR to a writable folder`,
    );
  }
}

/**
 * Writes one record atomically and returns its path. `compact` drops the indentation, for large
 * records nobody reads by eye (a replay's values).
 */
export async function writeRecord<T extends RecordBase>(
  record: T,
  dir: string = dataDir(),
  options: { compact?: boolean } = {},
): Promise<string> {
  if (!SAFE_ID.test(record.id) || !SAFE_ID.test(record.kind)) {
    throw new Error(`record id and kind must match ${SAFE_ID}: got ${record.kind}/${record.id}`);
  }
  assertWritable(dir);
  const folder = path.join(dir, record.kind);
  await fs.promises.mkdir(folder, { recursive: true });
  const file = path.join(folder, `${record.id}.json`);
  await writeFileAtomic(file, JSON.stringify(record, null, options.compact ? undefined : 1) + '\n');
  return file;
}

/**
 * A run's `record` option: true writes its record to the data dir, a string names another data
 * dir, false writes nothing. Absent, {@link RECORD_BY_DEFAULT} applies.
 */
export type RecordOption = boolean | string;

/** Whether a run writes its record when its caller does not say: the one default of every `record` option. */
export const RECORD_BY_DEFAULT = true;

/** What a run knows of its record's envelope; the rest ({@link RecordBase}) is filled in here. */
export interface EnvelopeFields<K extends string> {
  kind: K;
  id: string;
  startedAt: string;
  quick: boolean;
  /** The run's metadata when it already took it; otherwise `runMeta()` is read now. */
  meta?: RunMeta;
  /** The load watcher started with the run, finished here (after `endedAt` and `meta`); absent, no `machineLoad`. */
  machineLoad?: { finish(): MachineLoad };
}

/**
 * The envelope every record starts with, in its on-disk key order: schema, kind, id, startedAt,
 * endedAt (now), quick, meta, then machineLoad when a watcher is given. Spread it first into a record.
 */
export function recordEnvelope<K extends string>(fields: EnvelopeFields<K>): RecordBase & { kind: K } {
  const envelope: RecordBase & { kind: K } = {
    schema: RECORD_SCHEMA,
    kind: fields.kind,
    id: fields.id,
    startedAt: fields.startedAt,
    endedAt: new Date().toISOString(),
    quick: fields.quick,
    meta: fields.meta ?? runMeta(),
  };
  if (fields.machineLoad !== undefined) envelope.machineLoad = fields.machineLoad.finish();
  return envelope;
}

/**
 * Writes a run's record as its `record` option says (see {@link RecordOption}); returns the path,
 * or undefined when the option is false.
 */
export async function writeRunRecord<T extends RecordBase>(
  record: T,
  option: RecordOption = RECORD_BY_DEFAULT,
): Promise<string | undefined> {
  if (option === false) return undefined;
  return writeRecord(record, typeof option === 'string' ? option : undefined);
}

/** Reads every record of a kind; files that are not valid records are skipped and named, never fatal. */
export function readRecords<T extends RecordBase>(
  kind: string,
  dir: string = dataDir(),
): { records: T[]; skipped: SkippedFile[] } {
  const folder = path.join(dir, kind);
  const records: T[] = [];
  const skipped: SkippedFile[] = [];
  if (!fs.existsSync(folder)) return { records, skipped };
  for (const name of fs.readdirSync(folder).sort()) {
    if (!name.endsWith('.json')) continue;
    const file = path.join(folder, name);
    try {
      const record = JSON.parse(fs.readFileSync(file, 'utf8')) as T;
      if (record.schema !== RECORD_SCHEMA || record.kind !== kind || typeof record.id !== 'string') {
        throw new Error(`not a schema-${RECORD_SCHEMA} ${kind} record`);
      }
      records.push(record);
    } catch (error) {
      skipped.push({ file, reason: (error as Error).message.split('\n')[0] });
    }
  }
  return { records, skipped };
}

/** A sortable, unique record id: UTC time plus a random suffix. */
export function newRecordId(prefix = ''): string {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${prefix}${stamp}-${Math.random().toString(36).slice(2, 8)}`;
}
