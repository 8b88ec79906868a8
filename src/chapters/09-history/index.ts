/**
 * Chapter 9, the decade after 2015: the compression problems socket.io and ws users reported after
 * the fix, each rebuilt from published releases (the version cache) and measured on the release
 * before and the release after. Each row lives in its own file here; this one checks the chapter's
 * parameters and installs the releases a reader names before anything runs.
 */
import { InputError } from '../../core/errors';
import { fromDataDir } from '../../core/replay';
import { ensureVersion, parseVersionKey, type CachedPackage } from '../../core/version-cache';
import { ParamError, resolveParams } from '../../core/params';
import { formatBytes } from '../../core/units';
import { showFinding } from '../show-finding';
import { sizeCliffParams, MAJOR_RELEASES, QUICK_RELEASES, type SizeCliffParams } from '../../history/size-cliff';
import { showText } from '../../show/display';

export { runSizeCliff, showSizeCliff } from './cliff';
export { runEmptyFragment, showEmptyFragment } from './empty-fragment';
export { readRecordedMemory, showRecordedMemory, runMemorySpotCheck, showMemorySpotCheck } from './memory';
export { readRecordedZlib, showZlibHistory, runZlibSpotCheck, showZlibSpotCheck } from './zlib';
export { runRsv1, showRsv1 } from './rsv1';
export { runContextRow, showContextRow } from './context';

/** What each package a reader names is used for in this chapter. */
const ROWS_TAKING: Record<CachedPackage, string> = {
  'socket.io': 'the size cliff (row 3), against the socket.io-client of the same version',
  'socket.io-client':
    'installed into the version cache only: the size cliff pairs each socket.io release with its own client',
  'engine.io':
    'installed into the version cache only: every row runs engine.io through the socket.io release that pins it',
  ws: 'RSV1 misuse (row 4), beside the majors',
};

/** The chapter's checked parameters: the mode, the releases a reader named, and each row's own. */
export interface HistoryPlan {
  quick: boolean;
  /** The frame sizes the report passed on: no row depends on them (historySizesSentence says why). */
  frameSizes: number[];
  named: { name: CachedPackage; version: string }[];
  cliff: SizeCliffParams;
  /** ws releases named for row 4. */
  rsv1Named: string[];
}

/** Checks the parameters cell (`versions`: comma-separated name@version) before anything starts. */
export function historyPlan(raw: { versions: string; frameSizes: string; quick: boolean }): HistoryPlan {
  const { frameSizes } = resolveParams({ frameSizes: raw.frameSizes, quick: raw.quick });
  const keys = raw.versions
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key !== '');
  let named: HistoryPlan['named'];
  try {
    named = keys.map(parseVersionKey);
  } catch (error) {
    if (error instanceof InputError)
      throw new ParamError('versions', `${error.message}; e.g. 'socket.io@2.2.0,ws@6.0.0'`);
    throw error;
  }
  const socketIo = named.filter((r) => r.name === 'socket.io').map((r) => r.version);
  const base = raw.quick ? QUICK_RELEASES : MAJOR_RELEASES;
  return {
    quick: raw.quick,
    frameSizes: frameSizes,
    named: named,
    cliff: sizeCliffParams({ quick: raw.quick, releases: [...base, ...socketIo] }),
    rsv1Named: named.filter((r) => r.name === 'ws').map((r) => r.version),
  };
}

/** What this chapter does with the frame sizes it was given: nothing, and why, in a sentence. */
export function historySizesSentence(plan: HistoryPlan): string {
  return (
    `This chapter does not depend on frame size (${plan.frameSizes.length === 1 ? 'size' : 'sizes'} given: ${plan.frameSizes.map(formatBytes).join(', ')}). ` +
    `Each row sends what its reports describe: the size cliff a ${formatBytes(plan.cliff.overSize)} message over the 1 MB limit beside a ${formatBytes(plan.cliff.underSize)} control, the memory and zlib rows one compressible 16 KiB JSON message, the frame rows small crafted messages; ` +
    'chapters 4, 5 and 6 answer per size.'
  );
}

/** Says that the chapter's rows do not depend on the sizes given. */
export function showHistorySizes(plan: HistoryPlan): void {
  showFinding(historySizesSentence(plan));
}

/**
 * Installs every release the reader named (from the npm registry, once each) and says where each
 * is used. Under --from-data nothing is installed: the replayed rows name what they ran.
 */
export async function installNamedReleases(plan: HistoryPlan): Promise<void> {
  if (plan.named.length === 0) {
    showText('No release named in `versions`: every row runs its own pinned releases.', { title: 'releases' });
    return;
  }
  if (fromDataDir() !== undefined) {
    showText(
      `Replaying: the named releases (${plan.named.map((r) => `${r.name}@${r.version}`).join(', ')}) are not installed; each row shows what its record ran.`,
      { title: 'releases' },
    );
    return;
  }
  const lines: string[] = [];
  for (const { name, version } of plan.named) {
    const { installed } = await ensureVersion(name, version);
    lines.push(
      `${name}@${version}: ${installed ? 'installed now' : 'already in the version cache'}; ${ROWS_TAKING[name]}.`,
    );
    // The size cliff pairs a socket.io release with the client of the same version: installed, or refused, before any row runs.
    if (name === 'socket.io') {
      const client = await ensureVersion('socket.io-client', version);
      lines.push(
        `socket.io-client@${version}: ${client.installed ? 'installed now' : 'already in the version cache'}; the client of that row.`,
      );
    }
  }
  showText(lines.join('\n'), { title: 'releases you named' });
}
