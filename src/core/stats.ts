/**
 * The statistics deflate-lab uses, from simple-statistics. Its package ships a CommonJS build under
 * the `require` condition but only ESM type declarations, which TypeScript will not import into a
 * CommonJS module (and import attributes that would allow it break tslab's TypeScript 5.0): the
 * build is required and the two functions used are typed here.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const stats = require('simple-statistics') as {
  quantileSorted(sorted: number[], p: number): number;
  median(values: number[]): number;
};

/** The p-quantile of an ascending array (p in 0..1). */
export const quantileSorted = stats.quantileSorted;
/** The median of a non-empty array. */
export const median = stats.median;

/**
 * How many items fall under each key, keys in first-seen order; an item whose key is undefined is
 * not counted.
 */
export function countBy<T>(items: readonly T[], key: (item: T) => string | undefined): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const k = key(item);
    if (k !== undefined) counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}
