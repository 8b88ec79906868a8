/**
 * `npm run check-server -- --url http://127.0.0.1:3000 [options]`: the battery against a running
 * socket.io server. Every input is checked first (one line naming the flag, exit 2); the ceilings
 * of messages, bytes and time are printed before anything is sent; each case's verdict is printed
 * as it comes; the record goes to `<data dir>/check-server/`. Exit 0 when no case failed, 1 when
 * one did.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  assertExportDir,
  DEFAULT_EXPORT_LOAD,
  ensureArtillery,
  EXPORT_FILES,
  exportBudgetLine,
  readArtilleryReport,
  resolveExportLoad,
  rowFromArtilleryReport,
  runArtillery,
  writeArtilleryExport,
  type ExportLoad,
} from '../check-server/artillery-export';
import { runBattery, type CaseResult } from '../check-server/battery';
import { budget, budgetLine } from '../check-server/budget';
import {
  CHECK_CASES,
  CheckInputError,
  DEFAULT_CASES,
  DEFAULT_LIMITS,
  resolveCheckOptions,
  type CheckOptions,
} from '../check-server/options';
import { assertNoSecrets, checkRow, writeCheckRecord, type CheckRecord } from '../check-server/record';
import { checkTableRows, comparisonFinding, rowFindings } from '../check-server/show';
import { textTable } from '../show/display';
import { dataDir } from '../core/paths';
import { DataDirError, readRecords } from '../core/records';
import { formatBytes, formatDuration } from '../core/units';
import { failInput, usageError, writableDataDir } from './args';

const COMMAND = 'npm run check-server';

const USAGE = [
  `usage: ${COMMAND} -- --url http://host:port [options]`,
  '  --url URL            the server (origin only); off 127.0.0.0/8 and ::1 it needs --allow-remote',
  '  --path /socket.io    engine.io path        --namespace /      the namespace to join',
  '  --auth key=value     auth for the namespace join (repeatable; never recorded or printed)',
  `  --cases LIST         ${CHECK_CASES.join(',')} (default ${DEFAULT_CASES.join(',')}; cliff, silent and rsv1 are opt-in)`,
  `  --frame-sizes LIST   message sizes (default ${DEFAULT_LIMITS.frameSizes.map(formatBytes).join(',')})`,
  `  --fragment-size N    compressed bytes per frame (default ${formatBytes(DEFAULT_LIMITS.fragmentSize)})`,
  `  --burst N --bursts N messages back to back, and bursts per size (default ${DEFAULT_LIMITS.burst} and ${DEFAULT_LIMITS.bursts})`,
  `  --cliff-cap SIZE     the size cliff's upper bound (default ${formatBytes(DEFAULT_LIMITS.cliffCap)})`,
  `  --silent-max TIME    the silent client's longest wait (default ${formatDuration(DEFAULT_LIMITS.silentMaxMs)})`,
  '  --allow-remote       allow a target off loopback (a server you run)',
  '  --data-dir DIR       where to record (default data/, or DEFLATE_LAB_DATA_DIR)',
  '',
  `usage: ${COMMAND} -- --url http://host:port --export artillery DIR [--arrival-rate N] [--export-duration TIME] [--run] [battery options]`,
  '  writes an Artillery test script, its processor and a package.json (ws 8) into the new folder DIR, sending nothing;',
  `  --arrival-rate N      new virtual users per second (default ${DEFAULT_EXPORT_LOAD.arrivalRate})`,
  `  --export-duration T   how long users keep arriving, whole seconds (default ${formatDuration(DEFAULT_EXPORT_LOAD.durationMs)})`,
  `  --run                 then run it with Artillery 2.0.34 (installed apart on first use) into DIR/${EXPORT_FILES.report}`,
  `usage: ${COMMAND} -- --import artillery REPORT.json`,
  "  shows an Artillery JSON report as a row of the battery's table, beside the newest recorded rows",
].join('\n');

const OPTIONS = {
  url: { type: 'string' },
  path: { type: 'string' },
  namespace: { type: 'string' },
  auth: { type: 'string', multiple: true },
  cases: { type: 'string' },
  'frame-sizes': { type: 'string' },
  'fragment-size': { type: 'string' },
  burst: { type: 'string' },
  bursts: { type: 'string' },
  'cliff-cap': { type: 'string' },
  'silent-max': { type: 'string' },
  'allow-remote': { type: 'boolean' },
  'data-dir': { type: 'string' },
  export: { type: 'string' },
  import: { type: 'string' },
  'arrival-rate': { type: 'string' },
  'export-duration': { type: 'string' },
  run: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function fail(line: string): number {
  return failInput(COMMAND, line);
}

function caseLine(result: CaseResult): string {
  return `${result.case}: ${result.verdict.toUpperCase()} (${formatDuration(result.ms)}): ${result.finding}`;
}

async function main(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true }>>['values'];
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true }));
  } catch (error) {
    return fail(usageError(error as Error & { code?: string }, COMMAND).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // `--export artillery DIR` and `--import artillery REPORT.json`: the tool, then its one path.
  const mode = values.export !== undefined ? '--export' : values.import !== undefined ? '--import' : undefined;
  if (values.export !== undefined && values.import !== undefined)
    return fail('--export, --import: give one of them, not both');
  if (mode === undefined && positionals.length > 0) return fail(`unexpected argument '${positionals[0]}': see --help`);
  if (mode !== undefined) {
    const tool = values.export ?? values.import;
    if (tool !== 'artillery')
      return fail(
        `${mode}: '${tool}' is not supported: use ${mode} artillery ${mode === '--export' ? 'DIR' : 'REPORT.json'}`,
      );
    if (positionals.length !== 1)
      return fail(
        `${mode}: name one ${mode === '--export' ? 'folder' : 'report'}, e.g. ${mode} artillery ${mode === '--export' ? 'artillery-export' : 'report.json'}`,
      );
  }
  if (
    mode !== '--export' &&
    (values['arrival-rate'] !== undefined || values['export-duration'] !== undefined || values.run)
  )
    return fail('--arrival-rate, --export-duration, --run: only with --export artillery DIR');
  // Flags that would be silently ignored are refused instead.
  const given = (names: readonly (keyof typeof values)[]) => names.filter((n) => values[n] !== undefined);
  const notForExport = given(['cases', 'cliff-cap', 'silent-max']);
  if (mode === '--export' && notForExport.length > 0)
    return fail(`${notForExport.map((n) => `--${n}`).join(', ')}: the export replays the fragmented case only`);
  const notForImport = Object.keys(values).filter((n) => n !== 'import' && n !== 'data-dir');
  if (mode === '--import' && notForImport.length > 0)
    return fail(`${notForImport.map((n) => `--${n}`).join(', ')}: --import takes only the report (and --data-dir)`);
  if (mode === '--import') return importReport(path.resolve(positionals[0]), values['data-dir']);
  let options: CheckOptions;
  let exportLoad: ExportLoad | undefined;
  try {
    options = resolveCheckOptions({
      url: values.url,
      path: values.path,
      namespace: values.namespace,
      auth: values.auth,
      cases: values.cases,
      frameSizes: values['frame-sizes'],
      fragmentSize: values['fragment-size'],
      burst: values.burst,
      bursts: values.bursts,
      cliffCap: values['cliff-cap'],
      silentMax: values['silent-max'],
      allowRemote: values['allow-remote'],
    });
    if (mode === '--export') {
      if (options.target.query.length > 0 || Object.keys(options.target.headers).length > 0)
        throw new CheckInputError(
          '--url',
          'an exported script carries no credentials or query: give the origin only, and --auth keys (their values go in DEFLATE_LAB_AUTH_<key>)',
        );
      exportLoad = resolveExportLoad({ arrivalRate: values['arrival-rate'], duration: values['export-duration'] });
      assertExportDir(path.resolve(positionals[0]));
    }
  } catch (error) {
    if (error instanceof CheckInputError) return fail(error.message);
    throw error;
  }
  if (exportLoad)
    return exportArtillery(path.resolve(positionals[0]), options, exportLoad, values.run === true, values['data-dir']);
  let dir: string;
  try {
    dir = writableDataDir(values['data-dir']);
  } catch (error) {
    if (error instanceof DataDirError) return fail(error.message);
    throw error;
  }
  // Every printed line is checked for secrets before it is written.
  const say = (line: string) => {
    assertNoSecrets(line, options);
    process.stderr.write(`check-server: ${line}\n`);
  };
  const row = checkRow('your server', options, [], 0);
  const ceilings = budget(options);
  say(
    `target ${row.url} path ${row.path} namespace ${row.namespace}${row.authKeys.length ? ` auth keys ${row.authKeys.join(', ')}` : ''}`,
  );
  say(`cases ${options.cases.join(', ')}: ${budgetLine(ceilings)}`);
  const startedAt = new Date();
  const results = await runBattery(options, (result) => say(caseLine(result)));
  const { file } = await writeCheckRecord(
    options,
    ceilings,
    [checkRow('your server', options, results, Date.now() - startedAt.getTime())],
    startedAt,
    false,
    dir,
  );
  const relative = path.relative(process.cwd(), file);
  say(`wrote ${relative.startsWith('..') ? file : relative}`);
  return results.some((r) => r.verdict === 'fail') ? 1 : 0;
}

// Writes the export (nothing is sent); with --run, runs it with Artillery and shows its report as a row.
async function exportArtillery(
  dir: string,
  options: CheckOptions,
  load: ExportLoad,
  run: boolean,
  dataDirFlag: string | undefined,
): Promise<number> {
  const say = (line: string) => process.stderr.write(`check-server: ${line}\n`);
  say(`target ${options.target.origin}: ${exportBudgetLine(load, options.limits)}`);
  const files = writeArtilleryExport(dir, options, load);
  say(`wrote ${files.map((f) => path.join(dir, f)).join(', ')}`);
  if (!run) return 0;
  ensureArtillery();
  const report = path.join(dir, EXPORT_FILES.report);
  const auth = Object.fromEntries(Object.entries(options.target.auth).map(([k, v]) => [`DEFLATE_LAB_AUTH_${k}`, v]));
  say(`artillery run --output ${report}`);
  const result = await runArtillery(dir, report, auth);
  if (result.status !== 0 || !fs.existsSync(report)) {
    process.stderr.write(result.output);
    say(`artillery exited ${result.status}`);
    return 1;
  }
  printImport(readArtilleryReport(report), report, localRows(dataDirFlag));
  return 0;
}

// The newest recorded rows (chapter 8's reference rows, or an earlier check), to stand beside an imported one.
function localRows(dataDirFlag: string | undefined): CheckRecord['rows'] {
  const dir = dataDirFlag === undefined ? dataDir() : path.resolve(dataDirFlag);
  const { records } = readRecords<CheckRecord>('check-server', dir);
  return records.at(-1)?.rows ?? [];
}

function printImport(report: ReturnType<typeof readArtilleryReport>, file: string, local: CheckRecord['rows']): void {
  const imported = rowFromArtilleryReport(report, `Artillery (${path.basename(file)})`);
  const rows = [...local, imported];
  const lines = [
    textTable(checkTableRows(rows), {
      caption:
        local.length > 0
          ? `The battery's newest recorded rows, and Artillery's report`
          : "Artillery's report (no recorded rows to set beside it: run chapter 8 or check-server first)",
    }),
    '',
    ...rowFindings(imported),
    '',
    comparisonFinding(rows),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function importReport(file: string, dataDirFlag: string | undefined): number {
  let report: ReturnType<typeof readArtilleryReport>;
  try {
    report = readArtilleryReport(file);
  } catch (error) {
    if (error instanceof CheckInputError) return fail(error.message);
    throw error;
  }
  printImport(report, file, localRows(dataDirFlag));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`${COMMAND}: ${error.stack ?? error.message}\n`);
    process.exitCode = 1;
  },
);
