/** The fixture servers of test/fixtures/servers/, each started as its own process, as a user's own server would be. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/core/paths';

const FIXTURES = path.join(PROJECT_ROOT, 'test', 'fixtures', 'servers');

/** A started fixture: its URL, and a stop that ends its process. */
export interface FixtureServer {
  url: string;
  child: ChildProcess;
}

/** Starts `script` (a file of test/fixtures/servers/) on a free port and resolves with its URL once it listens. */
export async function startFixture(script: string, env: Record<string, string> = {}): Promise<FixtureServer> {
  const child = spawn(process.execPath, [path.join(FIXTURES, script), '0'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before listening`)));
  });
  return { url: `http://127.0.0.1:${port}`, child: child };
}
