/** A chapter's measuring step: measured and recorded, or replayed with its provenance shown above the result. */
import { measureOrReplay, type ReplayStep } from '../core/replay';
import { showFinding } from './show-finding';

/** Runs `measure` (recording what it returns), or under `--from-data` shows where the record came from and returns it. */
export async function replayable<T>(step: ReplayStep, measure: () => Promise<T>): Promise<T> {
  const { value, provenance } = await measureOrReplay(step, measure);
  if (provenance !== undefined) showFinding(provenance);
  return value;
}
