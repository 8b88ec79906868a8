/**
 * `npm run versions -- [install|pin] NAME@VERSION ...`: the version cache from the command line.
 * `install` puts published releases into the cache (once each); `pin` adds them to the committed
 * pinned set that scripts/setup installs; with no arguments, lists the pinned set and what is installed.
 */
import { parseArgs } from 'node:util';
import {
  ensureVersion,
  isInstalled,
  parseVersionKey,
  pinnedVersions,
  pinVersion,
  versionCacheDir,
} from '../core/version-cache';
import { failInput, inputErrorLine } from './args';

const USAGE = [
  'usage: npm run versions -- [install|pin NAME@VERSION ...]',
  '  install   install each release into the version cache (from its committed lockfile, or the npm registry)',
  '  pin       add each release to the pinned set: a lockfile under src/stacks/versions/ that set-up installs',
  '  NAME is socket.io, engine.io, socket.io-client or ws; VERSION is exact, e.g. socket.io@2.4.0',
  'exit: 0 done, 2 bad input or a release that could not be installed',
].join('\n');

async function main(argv: string[]): Promise<number> {
  let positionals: string[];
  try {
    const parsed = parseArgs({
      args: argv,
      options: { help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    if (parsed.values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    positionals = parsed.positionals;
  } catch (error) {
    return failInput('npm run versions', `${(error as Error).message.split('\n')[0]}: see npm run versions -- --help`);
  }
  const [command, ...keys] = positionals;
  if (command === undefined) {
    for (const { name, version } of pinnedVersions()) {
      process.stdout.write(`${name}@${version}\t${isInstalled(name, version) ? 'installed' : 'not installed'}\n`);
    }
    process.stdout.write(`cache: ${versionCacheDir()}\n`);
    return 0;
  }
  if (command !== 'install' && command !== 'pin')
    return failInput('npm run versions', `command "${command}": use install or pin`);
  if (keys.length === 0) return failInput('npm run versions', `${command}: name at least one release, e.g. ws@3.2.0`);
  try {
    const releases = keys.map(parseVersionKey); // every name checked before anything is installed
    for (const { name, version } of releases) {
      if (command === 'pin') process.stdout.write(`pinned ${name}@${version}: ${await pinVersion(name, version)}\n`);
      else
        process.stdout.write(
          `${name}@${version}: ${(await ensureVersion(name, version)).installed ? 'installed' : 'already installed'}\n`,
        );
    }
    return 0;
  } catch (error) {
    const line = inputErrorLine(error);
    if (line === undefined) throw error;
    return failInput('npm run versions', line);
  }
}

main(process.argv.slice(2)).then((code) => (process.exitCode = code));
