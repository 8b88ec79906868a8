/**
 * `npm run report`: builds report/ from every chapter (or `--only` some), printing one line per
 * notebook. Exit status: 0 all clean, 1 a chapter failed or a page is not self-contained,
 * 2 bad input (one line, nothing written).
 */
import { buildReport, planReport, reportProblems } from '../report/build';
import { failInput, inputErrorLine, parseReportArgs, REPORT_USAGE } from './args';
import { onReportEvent, sayReport } from './report-progress';

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
    return failInput('npm run report', line);
  }
  const record = await buildReport(plan, onReportEvent);
  for (const entry of record.chapters.filter((c) => c.kept))
    sayReport(
      `kept from the run of ${entry.ranAt} (--only named other chapters): chapter ${entry.number} ${entry.slug}, ${entry.status}`,
    );
  for (const load of record.indexLoads) sayReport(`index.html loads from outside: ${load}`);
  for (const load of record.oneFileLoads) sayReport(`the one-file report loads from outside: ${load}`);
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
