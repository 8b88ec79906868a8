/** The contents page's sentences about how a chapter's kernel started. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retriedStartText } from '../../src/report/contents-page';
import type { ChapterEntry } from '../../src/report/report-record';
import type { NotebookRun } from '../../src/report/execute';

const entry = (run: Partial<NotebookRun> | null): ChapterEntry =>
  ({
    number: 3,
    slug: 'origins',
    run: run === null ? null : ({ kernelStartRetries: [], ...run } as NotebookRun),
  }) as ChapterEntry;

test('a kernel that started at once, or a chapter that never ran, says nothing about starts', () => {
  assert.deepEqual(retriedStartText(entry({})), []);
  assert.deepEqual(retriedStartText(entry(null)), []);
});

test('a kernel that answered on a later start says which start, and why the first failed', () => {
  assert.deepEqual(
    retriedStartText(
      entry({ kernelStartRetries: ["Kernel died before replying to kernel_info (kernel stderr: code: 'EADDRINUSE')"] }),
    ),
    [
      "The kernel of chapter 3 origins answered on start 2; the first start failed: Kernel died before replying to kernel_info (kernel stderr: code: 'EADDRINUSE').",
    ],
  );
});
