/**
 * Safety: the Jupyter server `npm run notebook` starts, and the kernels it starts, listen on
 * 127.0.0.1 only (read from /proc, not from the command line we passed); the token is required.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { KERNEL_NAME } from '../../src/jupyter/env';
import { assertPortFree, startNotebookServer } from '../../src/jupyter/server';
import { LOOPBACK, PortInUseError } from '../../src/core/net';
import { PROJECT_ROOT } from '../../src/core/paths';
import { listeners } from '../support/listening';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('npm run notebook: Jupyter and its kernels bind 127.0.0.1 only, and the API wants the token', async () => {
  const server = await startNotebookServer({
    port: await freePort(),
    notebookDir: path.join(PROJECT_ROOT, 'test', 'fixtures', 'notebooks'),
  });
  try {
    const base = `http://${LOOPBACK}:${server.port}`;
    const auth = { Authorization: `token ${server.token}` };
    assert.equal((await fetch(`${base}/api/kernels`)).status, 403, 'no token, no access');

    const own = listeners(server.pid);
    assert.ok(
      own.some((l) => l.port === server.port),
      `the server listens on its port: ${JSON.stringify(own)}`,
    );
    assert.deepEqual(
      own.filter((l) => l.address !== LOOPBACK),
      [],
      'server sockets',
    );

    const started = await fetch(`${base}/api/kernels`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: KERNEL_NAME }),
    });
    assert.equal(started.status, 201);
    const kernel = (await started.json()) as { id: string };
    // A kernel binds its five channels (shell, iopub, stdin, control, heartbeat) as it starts.
    const deadline = Date.now() + 60_000;
    let all = listeners(server.pid);
    while (all.filter((l) => l.pid !== server.pid).length < 5 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      all = listeners(server.pid);
    }
    const kernelSockets = all.filter((l) => l.pid !== server.pid);
    assert.ok(kernelSockets.length >= 5, `kernel sockets: ${JSON.stringify(all)}`);
    assert.deepEqual(
      all.filter((l) => l.address !== LOOPBACK),
      [],
      'every socket of the server and its kernel',
    );
    assert.equal((await fetch(`${base}/api/kernels/${kernel.id}`, { method: 'DELETE', headers: auth })).status, 204);
  } finally {
    await server.stop();
  }
  assert.deepEqual(listeners(server.pid), [], 'nothing left listening');
});

test('a port in use is one line that says what to do', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, LOOPBACK, resolve));
  const { port } = blocker.address() as net.AddressInfo;
  try {
    await assert.rejects(
      assertPortFree(port),
      (e: Error) => e instanceof PortInUseError && /in use: pass --port/.test(e.message),
    );
    await assert.rejects(startNotebookServer({ port: port, notebookDir: PROJECT_ROOT }), PortInUseError);
  } finally {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  }
});
