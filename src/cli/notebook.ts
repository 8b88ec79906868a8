/**
 * `npm run notebook`: Jupyter Notebook on 127.0.0.1 with a generated token, the project's tslab
 * kernel, opened on notebooks/. No browser is launched; the URL to open is printed. Ctrl-C stops it.
 */
import { parseArgs } from 'node:util';
import { kernelSpecFile, assertKernelInstalled, JUPYTER_PATH } from '../jupyter/env';
import { NOTEBOOK_PORT, startNotebookServer, type NotebookServer } from '../jupyter/server';
import { assertWritable } from '../core/records';
import { failInput, inputErrorLine, usageError, UsageError } from './args';

const USAGE = `usage: npm run notebook -- [--port N]   (default ${NOTEBOOK_PORT}; binds 127.0.0.1 only)`;

function parsePort(raw: string | undefined): number {
  if (raw === undefined) return NOTEBOOK_PORT;
  const port = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(port >= 1024 && port <= 65535))
    throw new UsageError(`--port: '${raw}' is not a port: use a whole number from 1024 to 65535`);
  return port;
}

async function main(argv: readonly string[]): Promise<number> {
  let port: number;
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: { port: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    port = parsePort(values.port);
    assertKernelInstalled();
    // The chapters' cells write their records there: say so now, not from inside a kernel later.
    assertWritable();
  } catch (error) {
    const parseError = error as Error & { code?: string };
    const line =
      inputErrorLine(error) ??
      (parseError.code?.startsWith('ERR_PARSE_ARGS') ? usageError(parseError, 'npm run notebook').message : undefined);
    if (line === undefined) throw error;
    return failInput('npm run notebook', line);
  }
  let server: NotebookServer;
  try {
    server = await startNotebookServer({ port: port });
  } catch (error) {
    const line = inputErrorLine(error);
    if (line === undefined) throw error;
    return failInput('npm run notebook', line);
  }
  process.stdout.write(
    [
      `Jupyter Notebook is running on notebooks/ with the project's kernel (${kernelSpecFile()}).`,
      `Open: ${server.url}`,
      `Other front ends: set JUPYTER_PATH=${JUPYTER_PATH}`,
      'Stop with Ctrl-C.',
      '',
    ].join('\n'),
  );
  const stopping = new Promise<number>((resolve) => {
    const onSignal = (): void => {
      void server.stop().then(() => resolve(0));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  return Promise.race([stopping, server.exited.then((code) => code ?? 1)]);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`npm run notebook: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
