/** The forked load generator never outlives the process that forked it. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { LOOPBACK } from '../../src/core/net';
import { alive } from '../support/process';

const LOADGEN = path.join(__dirname, '..', '..', 'src', 'run', 'loadgen.js');

async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('a load generator whose parent dies while its clients still try to connect exits at once', async () => {
  // Nothing listens on the port, so the clients keep retrying and no progress is ever sent: only
  // the closed IPC channel can tell the child that its parent is gone.
  const url = `http://${LOOPBACK}:${await unusedPort()}`;
  const spec = {
    stack: 'today',
    client: 'fragmenting',
    payload: 'json',
    frameSize: 1024,
    fragmentSize: 512,
    rate: 5,
    clients: 1,
    burst: 1,
    duration: 60_000,
    seed: 1,
  };
  const parent = `
    const child = require('node:child_process').fork(${JSON.stringify(LOADGEN)}, [], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    child.send({ type: 'start', url: ${JSON.stringify(url)}, spec: ${JSON.stringify(spec)} });
    setTimeout(() => { console.log(child.pid); process.exit(0); }, 1000);`;
  const pid = Number(execFileSync(process.execPath, ['-e', parent], { encoding: 'utf8' }).trim());
  assert.ok(pid > 0);
  const until = Date.now() + 3000;
  while (alive(pid) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
  const survived = alive(pid);
  if (survived) process.kill(pid, 'SIGKILL');
  assert.equal(survived, false, 'the orphaned load generator was still running 3 s after its parent exited');
});
