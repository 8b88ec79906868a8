/**
 * The ws releases installed side by side as npm aliases (`"ws-0.8.0": "npm:ws@0.8.0"`), read from
 * the project's package.json so the list lives in one place, and checked against what is really
 * under node_modules.
 */
import fs from 'node:fs';
import path from 'node:path';
import { NODE_MODULES, PROJECT_ROOT } from '../core/paths';
import { compareVersions } from '../core/version-cache';

/** One installed ws release. */
export interface WsRelease {
  version: string;
  /** The dependency name it is installed under, e.g. `ws-0.8.0`. */
  alias: string;
  dir: string;
}

const ALIAS = /^npm:ws@(\d+\.\d+\.\d+)$/;

/** Every `ws-x.y.z` alias in package.json's dependencies, oldest first; throws if one is not installed as declared. */
export function installedWsReleases(): WsRelease[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const releases: WsRelease[] = [];
  for (const [alias, spec] of Object.entries(manifest.dependencies ?? {})) {
    const version = ALIAS.exec(spec)?.[1];
    if (!alias.startsWith('ws-') || version === undefined) continue;
    const dir = path.join(NODE_MODULES, alias);
    const file = path.join(dir, 'package.json');
    const installed = fs.existsSync(file)
      ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: string }).version
      : undefined;
    if (installed !== version) {
      throw new Error(
        `${alias}: package.json asks for ws@${version} but node_modules has ${installed ?? 'nothing'}: run scripts/setup`,
      );
    }
    releases.push({ version, alias, dir });
  }
  return releases.sort((a, b) => compareVersions(a.version, b.version));
}

/** The installed release of one version; the error lists the installed ones. */
export function wsRelease(version: string): WsRelease {
  const releases = installedWsReleases();
  const release = releases.find((r) => r.version === version);
  if (!release)
    throw new Error(
      `ws ${version} is not installed side by side: use one of ${releases.map((r) => r.version).join(', ')}`,
    );
  return release;
}
