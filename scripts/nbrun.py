#!/usr/bin/python3
"""Execute one notebook on Debian's nbclient, bounded in time, and say plainly what went wrong.

Why not `jupyter nbconvert --execute`: tslab sends a failing cell's real error on the cell's
stderr stream and nbconvert prints an empty traceback; nbconvert can neither rerun the cells in
the same kernel nor report the kernel's memory; and on a hang it does not name the cell.

Usage (the TS side, src/report/execute.ts, passes every limit; nothing is defaulted here, so
each limit is defined once, over there):

  nbrun.py IN.ipynb --output OUT.ipynb --kernel tslab --ip 127.0.0.1 \
      --cell-timeout S --notebook-timeout S --startup-timeout S --shutdown-grace S \
      [--inject-source SRC] [--rerun]

Human-readable lines go to stderr. The last line on stdout is one JSON object (the summary).
Exit status: 0 when every cell ran, 1 when a cell failed, timed out or the kernel died, 2 for
bad input (no such notebook, no `parameters` cell to inject after, unknown kernel).
"""
import argparse
import copy
import json
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time

import nbformat
from jupyter_client.kernelspec import NoSuchKernel
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbclient.util import run_sync

PARAMETERS_TAG = 'parameters'
INJECTED_TAG = 'injected-parameters'


class BadInput(Exception):
    """Input the caller must fix; reported as one line, exit 2, nothing written."""


def tags(cell):
    return cell.get('metadata', {}).get('tags', [])


def inject_parameters(nb, source):
    """Papermill's convention: drop any earlier injected cell, insert ours right after `parameters`."""
    nb.cells = [cell for cell in nb.cells if INJECTED_TAG not in tags(cell)]
    at = next((i for i, cell in enumerate(nb.cells) if PARAMETERS_TAG in tags(cell)), None)
    if at is None:
        raise BadInput(f'no cell tagged "{PARAMETERS_TAG}" to inject parameters after: tag the cell that declares the parameters')
    cell = nbformat.v4.new_code_cell(source=source, metadata={'tags': [INJECTED_TAG]})
    # nbformat 5.5 gives new cells a random id; a stable one keeps executed copies diffable.
    cell['id'] = INJECTED_TAG
    nb.cells.insert(at + 1, cell)


# Stack frames inside tslab and node:vm say nothing about the notebook; they bury the message.
KERNEL_FRAME = re.compile(r'^\s+at .*(\(node:vm:|/tslab/dist/|node:internal/|sigintHandlersWrap)')


def without_kernel_frames(text):
    return '\n'.join(line for line in text.splitlines() if not KERNEL_FRAME.search(line)).strip()


def peak_rss_kib(pid):
    """The kernel's high-water RSS (VmHWM): the kernel may be gone by the time anyone asks later."""
    try:
        with open(f'/proc/{pid}/status') as status:
            for line in status:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


# tslab binds the kernel's ports after it starts, and a bind that fails (EADDRINUSE: another
# process took a port between Jupyter choosing it and tslab binding it) is only logged as an
# unhandled rejection: the kernel lives on, answers nothing, and the client would wait out the whole
# start-up limit. So the kernel's stderr is watched while it starts, and a kernel on fresh ports
# gets one more try. A kernel that never answered ran no cell, so a second start changes no result.
PORT_TAKEN = 'EADDRINUSE'
START_ATTEMPTS = 2
STDERR_TAIL_LINES = 8


class KernelStderr:
    """Passes the kernel's stderr on to ours, keeps its last lines to explain a failed start, and
    calls on_port_taken if, while the kernel is starting, it reports a port already in use."""

    def __init__(self, stream, on_port_taken):
        self.tail = []
        self.starting = True
        self.port_taken = False
        self.on_port_taken = on_port_taken
        self.thread = threading.Thread(target=self.pump, args=(stream,), daemon=True)
        self.thread.start()

    def pump(self, stream):
        for raw in iter(stream.readline, b''):
            line = raw.decode('utf-8', 'replace')
            sys.stderr.write(line)
            self.tail = (self.tail + [line.strip()])[-STDERR_TAIL_LINES:]
            if self.starting and PORT_TAKEN in line and not self.port_taken:
                self.port_taken = True
                self.on_port_taken()
        stream.close()

    def explain(self):
        """The kernel's last stderr lines on one line, or '' when it printed nothing."""
        text = ' '.join(line for line in self.tail if line)
        return f' (kernel stderr: {text[:300]})' if text else ''


class Run:
    """One notebook execution: the client, its kernel, the clock, and what went wrong."""

    def __init__(self, args, nb):
        self.args = args
        self.nb = nb
        self.name = args.notebook
        self.started = time.monotonic()
        self.deadline = self.started + args.notebook_timeout
        # Cell labels count from 1 in the source notebook (what an author sees in Jupyter);
        # the injected cell has no number there and is named by its tag instead.
        self.labels = []
        number = 0
        for cell in nb.cells:
            if INJECTED_TAG in tags(cell):
                self.labels.append(INJECTED_TAG)
            else:
                number += 1
                self.labels.append(f'cell {number}')
        self.client = NotebookClient(
            nb,
            kernel_name=args.kernel,
            timeout_func=self.cell_timeout,
            startup_timeout=math.ceil(args.startup_timeout),
            resources={'metadata': {'path': args.cwd}},
        )
        self.kernel_pid = None
        self.kernel_pgid = None
        self.peak_rss = None
        self.summary = {
            'notebook': args.notebook,
            'output': args.output,
            'status': 'ok',
            'kernelPid': None,
            'kernelStartMs': None,
            'kernelStartRetries': [],
            'runMs': None,
            'rerunMs': None,
            'wallMs': None,
            'peakRssKiB': None,
            'shutdown': None,
            'shutdownMs': None,
            'cellMs': [],
            'failure': None,
        }

    def cell_timeout(self, cell):
        remaining = self.deadline - time.monotonic()
        # nbclient reads 0 as "no timeout"; a spent budget must still stop the cell at once.
        return max(1, math.ceil(min(self.args.cell_timeout, remaining)))

    def describe(self, index):
        first = next((line.strip() for line in self.nb.cells[index].source.splitlines() if line.strip()), '')
        if len(first) > 80:
            first = first[:77] + '...'
        return f'{self.name} {self.labels[index]} `{first}`'

    def sample_rss(self):
        if self.kernel_pid is not None:
            rss = peak_rss_kib(self.kernel_pid)
            if rss is not None:
                self.peak_rss = max(self.peak_rss or 0, rss)

    def kill_kernel(self):
        """SIGKILL the kernel's whole process group: a hung kernel will not answer a shutdown request."""
        self.sample_rss()
        if self.kernel_pgid is not None:
            try:
                os.killpg(self.kernel_pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def fail(self, status, index, message, run_pass):
        self.summary['status'] = status
        self.summary['failure'] = {
            'pass': run_pass,
            'cell': self.labels[index] if index is not None else None,
            'cellIndex': index,
            'where': self.describe(index) if index is not None else self.name,
            'message': message,
        }

    def run_cells(self, run_pass):
        """Runs every code cell once; returns False at the first failure (recorded in the summary)."""
        for index in range(len(self.nb.cells)):
            cell = self.nb.cells[index]
            if cell.cell_type != 'code':
                continue
            budget = self.cell_timeout(cell)
            began = time.monotonic()
            try:
                self.client.execute_cell(cell, index, execution_count=self.client.code_cells_executed + 1)
            except CellTimeoutError:
                self.kill_kernel()
                if budget < self.args.cell_timeout:
                    reason = f'notebook deadline of {self.args.notebook_timeout:g} s reached'
                else:
                    reason = f'cell timeout of {self.args.cell_timeout:g} s reached'
                self.fail('timeout', index, f'{reason}; kernel killed', run_pass)
                print(f'nbrun: {self.describe(index)}: {reason}; kernel killed', file=sys.stderr)
                return False
            except DeadKernelError:
                self.fail('dead', index, 'the kernel died', run_pass)
                print(f'nbrun: {self.describe(index)}: the kernel died', file=sys.stderr)
                return False
            except CellExecutionError as error:
                failed = self.nb.cells[index]
                # tslab puts the real message on stderr; the error reply's traceback is empty.
                stderr = ''.join(out.get('text', '') for out in failed.get('outputs', [])
                                 if out.get('output_type') == 'stream' and out.get('name') == 'stderr').strip()
                message = without_kernel_frames(stderr) or f'{error.ename}: {error.evalue}'.strip(': ')
                self.fail('error', index, message, run_pass)
                print(f'nbrun: {self.describe(index)} failed:\n{message}', file=sys.stderr)
                return False
            finally:
                self.sample_rss()
            if run_pass == 1:
                self.summary['cellMs'].append({'cell': self.labels[index], 'ms': round((time.monotonic() - began) * 1000)})
        return True

    def shut_down(self):
        """Asks the kernel to exit and waits out the grace: tslab exits at once unless the notebook
        left something open (a server, a socket, a timer), so a kernel still alive is reported."""
        began = time.monotonic()
        process = self.client.km.provisioner.process
        run_sync(self.client.km.request_shutdown)()
        while process.poll() is None and time.monotonic() - began < self.args.shutdown_grace:
            time.sleep(0.05)
        if process.poll() is None:
            self.kill_kernel()
            self.summary['shutdown'] = 'forced'
            print(f'nbrun: {self.name}: the kernel did not exit within {self.args.shutdown_grace:g} s of the shutdown request: '
                  'something is left open (a server, a socket, a timer); kernel killed', file=sys.stderr)
        else:
            self.summary['shutdown'] = 'clean'
        self.summary['shutdownMs'] = round((time.monotonic() - began) * 1000)

    def start_kernel(self):
        """One start: a new kernel manager (so fresh ports), the kernel, and a client that it answers."""
        client = self.client
        # Created here, not inside setup_kernel, so the kernel's ports are bound to the address
        # the caller names (loopback) rather than to whatever the default resolves to.
        client.km = client.create_kernel_manager()
        client.km.ip = self.args.ip
        client.kc = None
        stderr = None
        try:
            client.start_new_kernel(cwd=self.args.cwd, stderr=subprocess.PIPE)
            provisioner = client.km.provisioner
            self.kernel_pid = provisioner.pid
            self.kernel_pgid = provisioner.pgid
            stderr = KernelStderr(provisioner.process.stderr, on_port_taken=self.kill_kernel)
            client.start_new_kernel_client()
        except RuntimeError as error:
            self.kill_kernel()
            first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
            if stderr is not None:
                stderr.thread.join(timeout=1)  # the last lines of a killed kernel
            raise KernelStartError(first_line + (stderr.explain() if stderr else ''))
        stderr.starting = False

    def execute(self):
        client = self.client
        begin = time.monotonic()
        for attempt in range(1, START_ATTEMPTS + 1):
            try:
                self.start_kernel()
                break
            except KernelStartError as error:
                if attempt == START_ATTEMPTS:
                    raise
                self.summary['kernelStartRetries'].append(str(error))
                print(f'nbrun: {self.name}: the kernel did not start: {error}; starting a new one on new ports', file=sys.stderr)
        self.summary['kernelPid'] = self.kernel_pid
        try:
            # The kernel and its client are already up, so this only shuts them down at the end.
            with client.setup_kernel():
                # As nbclient's own execute() does: the kernel's language_info lets nbconvert
                # pick the right highlighter even when the source notebook lacks it.
                info = client.wait_for_reply(client.kc.kernel_info())
                if info is not None and 'language_info' in info['content']:
                    self.nb.metadata['language_info'] = info['content']['language_info']
                self.summary['kernelStartMs'] = round((time.monotonic() - begin) * 1000)
                ran = time.monotonic()
                ok = self.run_cells(1)
                self.summary['runMs'] = round((time.monotonic() - ran) * 1000)
                if ok and self.args.rerun:
                    first_pass = copy.deepcopy(self.nb.cells)
                    rerun = time.monotonic()
                    self.run_cells(2)
                    self.summary['rerunMs'] = round((time.monotonic() - rerun) * 1000)
                    # The executed copy shows the first pass; the second only has to succeed.
                    self.nb.cells = first_pass
                self.sample_rss()
                if self.summary['status'] in ('ok', 'error'):  # a killed or dead kernel has nothing to say
                    self.shut_down()
        finally:
            self.summary['wallMs'] = round((time.monotonic() - self.started) * 1000)
            self.summary['peakRssKiB'] = self.peak_rss
        self.nb.metadata['nbrun'] = {key: self.summary[key] for key in ('status', 'kernelStartMs', 'kernelStartRetries', 'runMs', 'rerunMs', 'wallMs', 'peakRssKiB', 'shutdown')}


class KernelStartError(Exception):
    """The kernel did not start or never answered; nothing ran and nothing is written."""


def write_atomic(nb, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    partial = f'{path}.{os.getpid()}.partial'
    nbformat.write(nb, partial)
    os.replace(partial, path)


def parse_args(argv):
    parser = argparse.ArgumentParser(description='Execute a notebook with per-cell and per-notebook time limits.')
    parser.add_argument('notebook')
    parser.add_argument('--output', required=True)
    parser.add_argument('--kernel', required=True)
    parser.add_argument('--ip', required=True, help='address the kernel binds its ports to')
    parser.add_argument('--cell-timeout', type=float, required=True, help='seconds')
    parser.add_argument('--notebook-timeout', type=float, required=True, help='seconds, from start to last cell, rerun included')
    parser.add_argument('--startup-timeout', type=float, required=True, help='seconds for the kernel to answer')
    parser.add_argument('--shutdown-grace', type=float, required=True, help='seconds the kernel has to exit when asked')
    parser.add_argument('--inject-source', help='source of the injected-parameters cell')
    parser.add_argument('--rerun', action='store_true', help='then run every cell a second time in the same kernel')
    parser.add_argument('--cwd', help='working directory of the kernel (default: the notebook\'s folder)')
    args = parser.parse_args(argv)
    args.cwd = args.cwd or os.path.dirname(os.path.abspath(args.notebook))
    return args


def main(argv):
    args = parse_args(argv)

    def give_up(status, message, code):
        """Nothing ran, so nothing is written: one line on stderr, the summary on stdout."""
        print(f'nbrun: {args.notebook}: {message}', file=sys.stderr)
        print(json.dumps({'notebook': args.notebook, 'output': None, 'status': status,
                          'failure': {'pass': 0, 'cell': None, 'cellIndex': None, 'where': args.notebook, 'message': message}}))
        return code

    try:
        nb = nbformat.read(args.notebook, as_version=4)
        if args.inject_source is not None:
            inject_parameters(nb, args.inject_source)
    except (OSError, ValueError) as error:
        return give_up('bad-input', f'cannot read the notebook: {error}', 2)
    except BadInput as error:
        return give_up('bad-input', str(error), 2)

    run = Run(args, nb)

    def on_signal(signum, _frame):
        # The kernel runs in its own session, so killing this process alone would orphan it.
        run.kill_kernel()
        print(f'nbrun: {args.notebook}: stopped by signal {signum}; kernel killed', file=sys.stderr)
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    try:
        run.execute()
    except NoSuchKernel:
        return give_up('bad-input', f'no kernel spec named "{args.kernel}" on JUPYTER_PATH={os.environ.get("JUPYTER_PATH", "")}', 2)
    except (KernelStartError, TimeoutError) as error:
        run.kill_kernel()
        earlier = ''.join(f' (earlier attempt: {retry})' for retry in run.summary['kernelStartRetries'])
        return give_up('no-start', f'the kernel did not start: {error}{earlier}', 1)
    write_atomic(nb, args.output)
    print(json.dumps(run.summary, separators=(',', ':')))
    return 0 if run.summary['status'] == 'ok' else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
