/** A generated finding: one paragraph of prose worded from measured numbers, shown escaped. */
import { showHtml } from '../show/display';
import { escapeText } from '../show/fragments';

/** Shows sentences (already worded from the data) as one paragraph. */
export function showFinding(sentences: string | readonly string[]): void {
  const text = typeof sentences === 'string' ? sentences : sentences.join(' ');
  showHtml(`<p class="dl-finding">${escapeText(text)}</p>`, text);
}

/** `1 failure` / `3 failures`. */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? noun : nouns}`;
}
