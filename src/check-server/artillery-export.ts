/**
 * The fragmented case beyond one machine: exported as an Artillery test script and processor
 * (artillery/processor.js), so that Artillery's workers send the same traffic, and Artillery's JSON
 * report read back as a row of the battery's table. Artillery itself is installed apart
 * (test/artillery/, 461 packages and 460 MB), only for the tests and `--run`, by
 * `sh scripts/setup artillery`.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { NODE_MODULES, PROJECT_ROOT, SCRIPTS_DIR } from '../core/paths';
import { versionAt } from '../core/stack-catalog';
import { formatBytes, formatDuration, parseDuration } from '../core/units';
import type { CaseResult, CaseVerdict } from './battery';
import { DIGEST_CHECK_MS, ENVELOPE_CHARS } from './battery';
import { readDisconnect } from './disconnects';
import { CheckInputError, type CheckLimits, type CheckOptions } from './options';
import type { CheckRow } from './record';

/** Artillery's own install (package.json and lockfile pinning 2.0.34), apart from the project's. */
const ARTILLERY_INSTALL = path.join(PROJECT_ROOT, 'test', 'artillery');
const ARTILLERY_BIN = path.join(ARTILLERY_INSTALL, 'node_modules', '.bin', 'artillery');
const PROCESSOR_SOURCE = path.join(PROJECT_ROOT, 'src', 'check-server', 'artillery', 'processor.js');
const WS_SOURCE = path.join(NODE_MODULES, 'ws');

/** The files of an export. */
export const EXPORT_FILES = { script: 'deflate-lab.yml', processor: 'processor.js', report: 'report.json' } as const;
/** The custom counters' prefix (the processor's PREFIX). */
const COUNTER = 'deflate_lab.';

/** How hard Artillery's phase pushes: new virtual users per second, for how long. */
export interface ExportLoad {
  arrivalRate: number;
  /** Whole seconds, in ms. */
  durationMs: number;
}

/** One new user per second for 10 s: ten users of at most 13 messages each at the battery's defaults. */
export const DEFAULT_EXPORT_LOAD: ExportLoad = { arrivalRate: 1, durationMs: 10_000 };
const LOAD_BOUNDS = { arrivalRate: { min: 1, max: 50 }, durationMs: { min: 1_000, max: 600_000 } } as const;

/** Checks `--arrival-rate` and `--export-duration`; throws CheckInputError (one line, naming the flag). */
export function resolveExportLoad(raw: { arrivalRate?: string; duration?: string }): ExportLoad {
  const load = { ...DEFAULT_EXPORT_LOAD };
  if (raw.arrivalRate !== undefined) {
    const { min, max } = LOAD_BOUNDS.arrivalRate;
    if (!/^\d+$/.test(raw.arrivalRate.trim()) || Number(raw.arrivalRate) < min || Number(raw.arrivalRate) > max)
      throw new CheckInputError(
        '--arrival-rate',
        `'${raw.arrivalRate}' is not a whole number of new users per second from ${min} to ${max}`,
      );
    load.arrivalRate = Number(raw.arrivalRate);
  }
  if (raw.duration !== undefined) {
    const { min, max } = LOAD_BOUNDS.durationMs;
    let ms = NaN;
    try {
      ms = parseDuration(raw.duration);
    } catch {
      // worded below, with the accepted range
    }
    if (!(ms >= min && ms <= max && ms % 1000 === 0))
      throw new CheckInputError(
        '--export-duration',
        `'${raw.duration}' is not a whole number of seconds from ${formatDuration(min)} to ${formatDuration(max)} (e.g. 10s, 2min)`,
      );
    load.durationMs = ms;
  }
  return load;
}

/** How long the processor waits for the ack event's answer to its one check (as the battery's handshake does). */
export function ackCheckMs(limits: CheckLimits): number {
  return Math.min(DIGEST_CHECK_MS, limits.replyTimeoutMs);
}

/**
 * One virtual user's ceiling, whether or not the server answers the ack event: a message alone,
 * then per size `bursts` bursts, each followed by one reply (an acked message of the same size, or
 * a small namespace probe where the server does not answer the ack event: the acked message is the
 * larger, so it sets the bound).
 */
export function userBudget(limits: CheckLimits): { messages: number; bytes: number; ms: number } {
  const replies = 1 + limits.frameSizes.length * limits.bursts;
  const messages = 1 + limits.frameSizes.length * limits.bursts * (limits.burst + 1);
  const bytes =
    limits.frameSizes[0] +
    ENVELOPE_CHARS +
    limits.frameSizes.reduce((sum, size) => sum + limits.bursts * (limits.burst + 1) * (size + ENVELOPE_CHARS), 0);
  // Connecting and closing take a reply timeout each, at most; the ack event check its own; every reply waits one more.
  return { messages: messages, bytes: bytes, ms: (2 + replies) * limits.replyTimeoutMs + ackCheckMs(limits) };
}

/** The export's bounds as one line: users, messages, bytes, and the longest the run can take. */
export function exportBudgetLine(load: ExportLoad, limits: CheckLimits): string {
  const users = load.arrivalRate * (load.durationMs / 1000);
  const user = userBudget(limits);
  return (
    `${load.arrivalRate} new users per second for ${formatDuration(load.durationMs)}: ${users} users, ` +
    `each at most ${user.messages} messages, ${formatBytes(user.bytes)} and ${formatDuration(user.ms)}; ` +
    `at most ${users * user.messages} messages and ${formatBytes(users * user.bytes)} in all, ended within ${formatDuration(load.durationMs + user.ms)}`
  );
}

const q = (value: unknown): string => JSON.stringify(value);

/** The Artillery test script (YAML) for a checked target and load; auth values stay out of it (see the processor). */
export function artilleryScript(options: CheckOptions, load: ExportLoad): string {
  const l = options.limits;
  const users = load.arrivalRate * (load.durationMs / 1000);
  return [
    '# deflate-lab: the fragmented-compressed case for Artillery 2 (npm run check-server -- --export artillery).',
    '# Each virtual user connects once, sends one message alone, then per frame size `bursts` bursts of `burst`',
    '# messages back to back (each compressed, sent as an RSV1 first frame and continuation frames of',
    '# `fragmentSize` bytes), each followed by one reply; then it closes, or earlier when a reply does not come.',
    "# A reply is the ack event's checksum where the server answers it (the optional deflate-lab:digest lines),",
    '# else an in-order namespace reply, which any socket.io server gives (contents then go unchecked).',
    '# The deflate_lab.* counters say what went on the wire, which replies came back, and how connections ended.',
    `# Bounds: ${exportBudgetLine(load, l)}.`,
    `# Auth values are read from DEFLATE_LAB_AUTH_<key> environment variables, never written here.`,
    '# Run:       npm install && npx artillery@2.0.34 run --output report.json deflate-lab.yml',
    '# Read back: npm run check-server -- --import artillery report.json',
    'config:',
    `  target: ${q(options.target.origin)}`,
    `  processor: ${q(`./${EXPORT_FILES.processor}`)}`,
    '  phases:',
    `    - name: "fragmented-compressed"`,
    `      duration: ${load.durationMs / 1000}`,
    `      arrivalRate: ${load.arrivalRate}`,
    `      maxVusers: ${users}`,
    '  variables:',
    '    deflateLab:',
    `      path: ${q(options.target.path)}`,
    `      namespace: ${q(options.target.namespace)}`,
    `      authKeys: ${q(Object.keys(options.target.auth))}`,
    `      frameSizes: ${q(l.frameSizes)}`,
    `      fragmentSize: ${l.fragmentSize}`,
    `      burst: ${l.burst}`,
    `      bursts: ${l.bursts}`,
    `      replyTimeoutMs: ${l.replyTimeoutMs}`,
    `      ackCheckMs: ${ackCheckMs(l)}`,
    `      userMaxMs: ${userBudget(l).ms}`,
    'scenarios:',
    `  - name: "fragmented-compressed"`,
    '    flow:',
    `      - function: "replayFragmented"`,
    '',
  ].join('\n');
}

/** Thrown when the export folder cannot be written; the message is one line naming --export. */
export class ExportDirError extends CheckInputError {
  constructor(message: string) {
    super('--export', message);
  }
}

/** Checks that `dir` is new or empty and its parent writable, before anything is written. */
export function assertExportDir(dir: string): void {
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory()) throw new ExportDirError(`${dir} is a file: name a new folder`);
    if (fs.readdirSync(dir).length > 0) throw new ExportDirError(`${dir} is not empty: name a new or empty folder`);
  }
  try {
    fs.accessSync(path.dirname(dir), fs.constants.W_OK);
  } catch {
    throw new ExportDirError(`cannot write into ${path.dirname(dir)}: name a folder in a writable place`);
  }
}

/**
 * Writes the script, the processor and a package.json pinning the project's ws 8 (which Artillery's
 * distributed runners install from), plus a copy of that ws (it has no dependencies) so that the
 * folder also runs offline as it is. Everything goes to a temporary sibling first and is renamed
 * into place, so a failed export leaves nothing half-written. Returns the files written.
 */
export function writeArtilleryExport(dir: string, options: CheckOptions, load: ExportLoad): string[] {
  assertExportDir(dir);
  const staging = fs.mkdtempSync(path.join(path.dirname(dir), `.${path.basename(dir)}-`));
  try {
    fs.writeFileSync(path.join(staging, EXPORT_FILES.script), artilleryScript(options, load));
    fs.copyFileSync(PROCESSOR_SOURCE, path.join(staging, EXPORT_FILES.processor));
    const manifest = {
      name: 'deflate-lab-artillery-export',
      private: true,
      description: "deflate-lab's fragmented case for Artillery: the processor needs ws 8 and nothing else",
      dependencies: { ws: versionAt(WS_SOURCE) },
    };
    fs.writeFileSync(path.join(staging, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    fs.cpSync(WS_SOURCE, path.join(staging, 'node_modules', 'ws'), { recursive: true });
    // mkdtemp makes the folder private; the export is an ordinary folder.
    fs.chmodSync(staging, 0o755);
    if (fs.existsSync(dir)) fs.rmdirSync(dir);
    fs.renameSync(staging, dir);
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  return [EXPORT_FILES.script, EXPORT_FILES.processor, 'package.json', 'node_modules/ws/'];
}

/** Installs Artillery into test/artillery/ unless that lockfile is already installed (`sh scripts/setup artillery`). */
export function ensureArtillery(): void {
  // npm's progress goes to stderr: stdout may be a test runner's TAP stream.
  const setup = spawnSync('sh', [path.join(SCRIPTS_DIR, 'setup'), 'artillery'], { stdio: ['ignore', 2, 2] });
  if (setup.status !== 0)
    throw new Error(`installing Artillery failed (sh scripts/setup artillery exited ${setup.status})`);
}

/** Runs `artillery run --output <report>` on an export; resolves with its exit status and output. */
export function runArtillery(
  dir: string,
  reportFile: string,
  env: Record<string, string> = {},
): Promise<{ status: number | null; output: string }> {
  const child = spawn(ARTILLERY_BIN, ['run', '--output', reportFile, path.join(dir, EXPORT_FILES.script)], {
    cwd: dir,
    // No telemetry: the run talks to the target and nothing else.
    env: { ...process.env, ...env, ARTILLERY_DISABLE_TELEMETRY: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.once('close', (status) => resolve({ status: status, output: output })));
}

/** What deflate-lab reads from Artillery's JSON report (`artillery run --output`). */
export interface ArtilleryReport {
  aggregate: { counters: Record<string, number>; firstCounterAt?: number; lastCounterAt?: number };
}

/** Reads an Artillery JSON report; throws CheckInputError (naming --import) when it is not one. */
export function readArtilleryReport(file: string): ArtilleryReport {
  let report: Partial<ArtilleryReport>;
  try {
    report = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<ArtilleryReport>;
  } catch (error) {
    throw new CheckInputError('--import', `cannot read ${file} as JSON (${(error as Error).message.split('\n')[0]})`);
  }
  if (typeof report?.aggregate?.counters !== 'object' || report.aggregate.counters === null)
    throw new CheckInputError(
      '--import',
      `${file} is not an Artillery JSON report (no aggregate.counters): write one with artillery run --output`,
    );
  return report as ArtilleryReport;
}

/** The server's close codes in a report's counters (`deflate_lab.close_<code>`), most frequent first. */
function serverCloses(counters: Record<string, number>): Array<{ code: number; count: number }> {
  return Object.entries(counters)
    .map(([name, count]) => ({ match: /^deflate_lab\.close_(\d+)$/.exec(name), count: count }))
    .filter((e) => e.match !== null && e.count > 0)
    .map((e) => ({ code: Number(e.match?.[1]), count: e.count }))
    .sort((a, b) => b.count - a.count || a.code - b.code);
}

/** A report's counters as a row of the battery's table: its handshake and fragmented cases, worded from the counts. */
export function rowFromArtilleryReport(report: ArtilleryReport, label: string): CheckRow {
  const counters = report.aggregate.counters;
  const c = (name: string): number => counters[`${COUNTER}${name}`] ?? 0;
  const users = counters['vusers.created'] ?? 0;
  const closes = serverCloses(counters);
  const closeLabels = closes.map(
    ({ code, count }) => `${readDisconnect({ atMs: 0, code: code, detail: '', by: 'server' }).label} × ${count}`,
  );
  const revisions = [3, 4].filter((eio) => c(`engine_io_${eio}`) > 0);
  const negotiated = c('deflate_negotiated');
  const joined = c('namespace_joined');
  const acked = { verified: c('acks_verified'), wrong: c('acks_wrong'), missing: c('acks_missing') };
  const inOrder = { answered: c('replies_in_order'), missing: c('replies_missing') };
  const signal = { ackEvent: c('checked_by_ack_event'), inOrder: c('checked_by_in_order_reply') };
  const expected = acked.verified + acked.wrong + acked.missing + inOrder.answered + inOrder.missing;
  const replied = acked.verified + acked.wrong + inOrder.answered;
  const ms = Math.max(0, (report.aggregate.lastCounterAt ?? 0) - (report.aggregate.firstCounterAt ?? 0));
  // As the battery's handshake says it: checksums where the server answers the ack event, in-order replies where not.
  const checkedBy =
    signal.inOrder === 0
      ? signal.ackEvent > 0
        ? '; the server answers the ack event, so every reply was checked by its length and SHA-256'
        : ''
      : signal.ackEvent === 0
        ? '; the server does not answer the ack event, so in-order replies stood in for checksums'
        : `; ${signal.ackEvent} had their replies checked by the ack event and ${signal.inOrder} by in-order replies`;
  const handshake: CaseResult = {
    case: 'handshake',
    verdict: joined > 0 ? 'pass' : 'fail',
    finding:
      `${joined} of ${users} virtual users joined the namespace over engine.io ${revisions.join(' and ') || '(no open packet)'}; ` +
      `permessage-deflate was negotiated on ${negotiated} of their connections${checkedBy}.`,
    controls: {
      'engine.io protocol': revisions.length > 0 ? revisions.join(', ') : null,
      'permessage-deflate answer': `negotiated on ${negotiated} of ${users}`,
      'namespace joined': `${joined} of ${users}`,
      'ack event answered': `for ${signal.ackEvent} of ${signal.ackEvent + signal.inOrder} users`,
      'connect failed': c('connect_failed'),
      'namespace refused': c('namespace_refused'),
    },
    ms: 0,
  };
  const wire = `${c('messages_sent')} messages in ${c('bursts_sent')} bursts went out as ${c('rsv1_first_frames')} RSV1 first frames and ${c('continuation_frames')} continuation frames`;
  const ackedCount = acked.verified + acked.wrong + acked.missing;
  const inOrderCount = inOrder.answered + inOrder.missing;
  const delivery = [
    ...(ackedCount > 0 || inOrderCount === 0
      ? [`${acked.verified} of ${ackedCount} acked messages came back intact (length and SHA-256 match)`]
      : []),
    ...(inOrderCount > 0
      ? [
          `${inOrder.answered} of ${inOrderCount} in-order replies came back (the server does not answer the ack event, so contents were not checked)`,
        ]
      : []),
  ].join(' and ');
  let verdict: CaseVerdict;
  let finding: string;
  const notJoined = `${c('connect_failed')} of ${users} could not connect, ${c('namespace_refused')} were refused the namespace`;
  if (joined === 0) {
    verdict = 'fail';
    finding = `No virtual user joined the namespace (${notJoined}), so nothing was sent.`;
  } else if (closes.length > 0) {
    verdict = 'fail';
    const inflate = closes.some(
      ({ code }) => readDisconnect({ atMs: 0, code: code, detail: '', by: 'server' }).inflateFailure,
    );
    finding = `${inflate ? 'The server could not inflate fragmented compressed messages' : 'The server dropped connections'}: ${closeLabels.join('; ')}, over ${users} virtual users; ${wire}, and ${delivery}.`;
  } else if (negotiated === 0) {
    verdict = 'not tested';
    finding = 'Deflate was not negotiated, so fragmented compressed frames could not be tested.';
  } else if (c('continuation_frames') === 0) {
    verdict = 'not tested';
    finding = 'Every message compressed to less than one fragment, so no continuation frame was sent.';
  } else if (expected === 0 || replied < expected) {
    verdict = 'fail';
    finding = `The server stayed connected but stopped answering: ${delivery}; ${wire}.`;
  } else if (acked.wrong > 0) {
    verdict = 'fail';
    finding = `${acked.wrong} of ${ackedCount} checked messages arrived altered: ${delivery}; ${wire}.`;
  } else {
    verdict = 'pass';
    finding = `Compressed fragments were delivered: ${wire}; no connection was closed by the server, and ${delivery}.`;
  }
  const fragmented: CaseResult = {
    case: 'fragmented',
    verdict: verdict,
    finding: finding,
    controls: {
      'virtual users': users,
      'deflate negotiated': negotiated,
      'messages sent': c('messages_sent'),
      'RSV1 first frames': c('rsv1_first_frames'),
      'continuation frames': c('continuation_frames'),
      'bursts sent': c('bursts_sent'),
      'in-order replies': `${replied} of ${expected}`,
      'checksums verified': ackedCount > 0 ? acked.verified : 'no ack event',
      'checksums wrong': ackedCount > 0 ? acked.wrong : 'no ack event',
      disconnect:
        closeLabels.join('; ') ||
        (joined === 0 ? notJoined : `none by the server (${c('closed_by_client')} closed by Artillery's users)`),
    },
    ms: ms,
  };
  return {
    label: label,
    url: "(the script's target)",
    path: "(the script's)",
    namespace: "(the script's)",
    authKeys: [],
    results: [handshake, fragmented],
    ms: ms,
  };
}
