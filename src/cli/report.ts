/**
 * `npm run report`: builds report/ from every chapter (or `--only` some), printing one line per
 * notebook. Exit status: 0 all clean, 1 a chapter failed or a page is not self-contained,
 * 2 bad input (one line, nothing written).
 */
import path from 'node:path';
import { buildReport, planReport, reportProblems, type ReportEvent } from '../report/build';
import { failureHeadline } from '../report/execute';
import { formatBytes, formatDuration } from '../units';
import { EXIT_BAD_INPUT, inputErrorLine, parseReportArgs, REPORT_USAGE } from './args';

function say(line: string): void {
  process.stderr.write(`report: ${line}\n`);
}

function onEvent(event: ReportEvent): void {
  switch (event.type) {
    case 'chapter-start':
      say(`[${event.position}/${event.total}] chapter ${event.chapter.number} ${event.chapter.slug} ...`);
      break;
    case 'chapter-done': {
      const { entry } = event;
      const run = entry.run;
      const times =
        run?.wallMs == null
          ? ''
          : ` in ${formatDuration(run.wallMs)} (kernel start-up ${formatDuration(run.kernelStartMs ?? 0)})`;
      const rss = run?.peakRssKiB ? `, kernel peak RSS ${formatBytes(run.peakRssKiB * 1024)}` : '';
      say(`chapter ${entry.number} ${entry.slug}: ${entry.status}${times}${rss}`);
      if (run?.failure) {
        say(`  ${run.failure.where}: ${failureHeadline(run.failure)}`);
        // The whole text (tslab's stderr, kernel frames dropped) is short and is what one debugs with.
        for (const line of run.failure.message.split('\n')) process.stderr.write(`    ${line}\n`);
      }
      for (const problem of entry.problems) say(`  ${problem}`);
      if (entry.unused.length > 0) say(`  not parameters of this chapter, ignored: ${entry.unused.join(', ')}`);
      break;
    }
    case 'rendering':
      say(`rendering ${event.pages} page${event.pages === 1 ? '' : 's'} ...`);
      break;
    case 'written':
      say(`wrote ${path.relative(process.cwd(), event.index) || event.index}`);
      break;
    case 'one-file':
    case 'pdf':
      say(`wrote ${path.relative(process.cwd(), event.file) || event.file} (${formatBytes(event.bytes)})`);
      break;
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let plan;
  try {
    const args = parseReportArgs(argv);
    if (args.help) {
      process.stdout.write(`${REPORT_USAGE}\n`);
      return 0;
    }
    plan = planReport(args.request);
  } catch (error) {
    const line = inputErrorLine(error);
    if (line === undefined) throw error;
    process.stderr.write(`npm run report: ${line}\n`);
    return EXIT_BAD_INPUT;
  }
  const record = await buildReport(plan, onEvent);
  for (const entry of record.chapters.filter((c) => c.kept))
    say(
      `kept from the run of ${entry.ranAt} (--only named other chapters): chapter ${entry.number} ${entry.slug}, ${entry.status}`,
    );
  for (const load of record.indexLoads) say(`index.html loads from outside: ${load}`);
  for (const load of record.oneFileLoads) say(`the one-file report loads from outside: ${load}`);
  const problems = reportProblems(record);
  if (problems.length === 0) return 0;
  process.stderr.write(`npm run report: exit 1: ${problems.join('; ')}\n`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`npm run report: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
