/**
 * Chapter 8, your server: the battery of `npm run check-server` (src/check-server/) against the
 * reference stacks started in this kernel, and against the reader's own server when the notebook's
 * `url` names one. Rows are recorded under `<data dir>/check-server/`.
 */
import { showTable, showText } from '../../show/display';
import { dataDir } from '../../core/paths';
import { type CaseResult } from '../../check-server/battery';
import { runBattery } from '../../check-server/battery';
import { budget, budgetLine } from '../../check-server/budget';
import { resolveBattery, resolveCheckOptions, type CheckOptions } from '../../check-server/options';
import { checkRow, writeCheckRecord, type CheckRecord, type CheckRow } from '../../check-server/record';
import { REFERENCE_PING, REFERENCE_SERVERS, runReference } from '../../check-server/reference';
import { DIGEST_SERVER_LINES } from '../../check-server/session';
import { formatDuration } from '../../core/units';
import { checkTableRows, comparisonFinding, rowFindings } from '../../check-server/show';
import { showFinding } from '../show-finding';
import { replaySteps } from '../../core/replay';
import { replayable } from '../replayable';

/** What the notebook's parameters cell gives. */
export interface YourServerParams {
  /** The server to check; '' for the reference rows only. */
  url: string;
  namespace: string;
  path: string;
  /** `key=value` pairs for the namespace join. */
  auth: string[];
  cases: string;
  frameSizes: string;
  /** Only for a server you run off loopback. */
  allowRemote: boolean;
  quick: boolean;
}

/** The checked request: the battery for every row, and the reader's target when one is named. */
export interface YourServerPlan {
  battery: Omit<CheckOptions, 'target' | 'allowRemote'>;
  yours?: CheckOptions;
  quick: boolean;
}

/** Checks the parameters (the same rules and one-line errors as the command line). */
export function yourServerPlan(p: YourServerParams): YourServerPlan {
  const battery = resolveBattery({ cases: p.cases, frameSizes: p.frameSizes });
  const yours =
    p.url === ''
      ? undefined
      : resolveCheckOptions({
          url: p.url,
          path: p.path,
          namespace: p.namespace,
          auth: p.auth,
          cases: p.cases,
          frameSizes: p.frameSizes,
          allowRemote: p.allowRemote,
        });
  return { battery: battery, yours: yours, quick: p.quick };
}

/** Shows what will be sent, at most, before anything is. */
export function showPlan(plan: YourServerPlan): void {
  const lines = [
    `Each reference server: ${budgetLine(budget(plan.battery))}.`,
    plan.yours
      ? `Your server: ${budgetLine(budget(plan.yours))}.`
      : 'No server of yours is named (url is empty): only the reference rows run.',
  ];
  showText(lines.join('\n'), { title: 'the battery, bounded' });
}

/** The measured rows and the record they were written to. */
export interface YourServerRun {
  rows: CheckRow[];
  record: CheckRecord;
  file: string;
}

const step = replaySteps('your-server');

/** The plan as a replay record keeps it: the target as a check record keeps it, with no credential. */
function recordedPlan(plan: YourServerPlan): Omit<YourServerPlan, 'yours'> & { yours?: unknown } {
  if (!plan.yours) return plan;
  const { url, path, namespace, authKeys } = checkRow('your server', plan.yours, [], 0);
  const { target: _secrets, ...checks } = plan.yours;
  return { ...plan, yours: { ...checks, url: url, path: path, namespace: namespace, authKeys: authKeys } };
}

/**
 * Runs the battery against the reference servers (side by side) and then the reader's server;
 * writes one record. Under `--from-data` it replays the latest run of the same plan.
 */
export async function runYourServer(plan: YourServerPlan): Promise<YourServerRun> {
  return replayable(step('battery', recordedPlan(plan)), () => measureYourServer(plan));
}

async function measureYourServer(plan: YourServerPlan): Promise<YourServerRun> {
  const startedAt = new Date();
  // The reference servers are independent and mostly wait on heartbeats, so they run together.
  const rows = await Promise.all(REFERENCE_SERVERS.map((server) => runReference(server, plan.battery)));
  if (plan.yours) {
    const started = Date.now();
    const results: CaseResult[] = await runBattery(plan.yours);
    rows.push(checkRow('your server', plan.yours, results, Date.now() - started));
  }
  const options: CheckOptions = plan.yours ?? {
    ...plan.battery,
    allowRemote: false,
    target: { origin: '', path: '', namespace: '', auth: {}, query: [], headers: {} },
  };
  const { record, file } = await writeCheckRecord(
    options,
    budget(plan.battery),
    rows,
    startedAt,
    plan.quick,
    dataDir(),
  );
  return { rows: rows, record: record, file: file };
}

/** Shows the table of rows, each row's findings, and the comparison. */
export function showYourServer(run: Pick<YourServerRun, 'rows'>): void {
  showTable(checkTableRows(run.rows), {
    caption: `The battery against ${run.rows.map((r) => r.label).join(', ')} (reference servers in this kernel, pingInterval ${formatDuration(REFERENCE_PING.pingInterval)}, pingTimeout ${formatDuration(REFERENCE_PING.pingTimeout)})`,
  });
  for (const row of run.rows) showText(rowFindings(row).join('\n'), { title: `${row.label} (${row.url})` });
  showFinding(comparisonFinding(run.rows));
}

/** How to point the chapter (or the command) at your own server, and the ack event's server lines. */
export function showHowToCheck(plan: YourServerPlan): void {
  const lines = [
    plan.yours
      ? 'Your server is the last row above.'
      : "No server of yours was checked. Set url = 'http://127.0.0.1:3000' (your server) in the parameters cell and rerun, or from a shell:",
    '',
    '  npm run check-server -- --url http://127.0.0.1:3000 [--path /socket.io] [--namespace /] [--auth token=…]',
    '',
    'A server off 127.0.0.0/8 and ::1 needs --allow-remote (allowRemote = true here). --auth values are sent to the server and never recorded or shown.',
    'For checksums instead of in-order replies, add these lines to the server (the battery finds them in its handshake case):',
    '',
    DIGEST_SERVER_LINES,
  ];
  showText(lines.join('\n'), { title: 'your own server' });
}
