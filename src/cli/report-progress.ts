/** The report's progress lines on stderr, shared by `npm run report` and `npm run record-replay`. */
import path from 'node:path';
import type { ReportEvent } from '../report/build';
import { retriedStartText } from '../report/contents-page';
import { failureHeadline } from '../report/execute';
import { formatBytes, formatDuration } from '../core/units';

export function sayReport(line: string): void {
  process.stderr.write(`report: ${line}\n`);
}

export function onReportEvent(event: ReportEvent): void {
  switch (event.type) {
    case 'chapter-start':
      sayReport(`[${event.position}/${event.total}] chapter ${event.chapter.number} ${event.chapter.slug} ...`);
      break;
    case 'chapter-done': {
      const { entry } = event;
      const run = entry.run;
      const times =
        run?.wallMs == null
          ? ''
          : ` in ${formatDuration(run.wallMs)} (kernel start-up ${formatDuration(run.kernelStartMs ?? 0)})`;
      const rss = run?.peakRssKiB ? `, kernel peak RSS ${formatBytes(run.peakRssKiB * 1024)}` : '';
      sayReport(`chapter ${entry.number} ${entry.slug}: ${entry.status}${times}${rss}`);
      if (run?.failure) {
        sayReport(`  ${run.failure.where}: ${failureHeadline(run.failure)}`);
        // The whole text (tslab's stderr, kernel frames dropped) is short and is what one debugs with.
        for (const line of run.failure.message.split('\n')) process.stderr.write(`    ${line}\n`);
      }
      for (const line of retriedStartText(entry)) sayReport(`  ${line}`);
      for (const problem of entry.problems) sayReport(`  ${problem}`);
      if (entry.unused.length > 0) sayReport(`  not parameters of this chapter, ignored: ${entry.unused.join(', ')}`);
      break;
    }
    case 'rendering':
      sayReport(`rendering ${event.pages} page${event.pages === 1 ? '' : 's'} ...`);
      break;
    case 'written':
      sayReport(`wrote ${path.relative(process.cwd(), event.index) || event.index}`);
      break;
    case 'one-file':
    case 'pdf':
      sayReport(`wrote ${path.relative(process.cwd(), event.file) || event.file} (${formatBytes(event.bytes)})`);
      break;
  }
}
