/** Error bases: every error is named after its class, takes a cause, and input errors are one CLI line. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inputErrorLine, UsageError } from '../../src/cli/args';
import { CheckInputError } from '../../src/check-server/options';
import { ExportDirError } from '../../src/check-server/artillery-export';
import { InputError, NamedError } from '../../src/core/errors';
import { BusyMachineError } from '../../src/core/machine-load';
import { PortInUseError } from '../../src/core/net';
import { ParamError } from '../../src/core/params';
import { DataDirError } from '../../src/core/records';
import { UnitError } from '../../src/core/units';
import { KernelMissingError } from '../../src/jupyter/env';
import { NotebookDirError } from '../../src/jupyter/server';
import { NotebookMissingError, ReportDirError } from '../../src/report/build';
import { ChapterSelectError } from '../../src/chapters/registry';
import { NotebookInputError } from '../../src/report/execute';
import { FindingsFileError } from '../../src/chapters/findings';
import { InjectionError } from '../../src/report/inject';
import { ReplayDirError, ReplayMeasureError } from '../../src/core/replay';
import { ChartError } from '../../src/show/charts';
import { RunTimeoutError } from '../../src/sweep/isolate';

test('InputError: named after its subclass, carries a cause, and is an Error', () => {
  class DemoInputError extends InputError {}
  const cause = new Error('underneath');
  const error = new DemoInputError('bad value: use 1 to 10', { cause: cause });
  assert.equal(error.name, 'DemoInputError');
  assert.equal(error.message, 'bad value: use 1 to 10');
  assert.equal(error.cause, cause);
  assert.ok(error instanceof DemoInputError);
  assert.ok(error instanceof InputError);
  assert.ok(error instanceof NamedError);
  assert.ok(error instanceof Error);
  assert.match(error.stack ?? '', /^DemoInputError: bad value/);
  assert.equal(String(error), 'DemoInputError: bad value: use 1 to 10');
  // The name is not an own enumerable field: the error serialises as a plain Error did.
  assert.deepEqual(Object.keys(error), []);
  assert.equal(JSON.stringify(new DemoInputError('x')), '{}');
  assert.equal('cause' in new DemoInputError('no cause'), false);
});

test('the project error classes are named after themselves, constructor arguments kept', () => {
  const param = new ParamError('rate', 'out of range');
  assert.equal(param.name, 'ParamError');
  assert.equal(param.param, 'rate');
  assert.equal(param.message, 'rate: out of range');
  const exportDir = new ExportDirError('not empty');
  assert.equal(exportDir.name, 'ExportDirError');
  assert.equal(exportDir.message, '--export: not empty');
  assert.ok(exportDir instanceof CheckInputError);
  for (const Kind of [UsageError, BusyMachineError, ChartError, RunTimeoutError, ReplayMeasureError]) {
    assert.equal(new Kind('m').name, Kind.name);
  }
});

test('every error the report and notebook commands printed as one line still is; bugs and other errors are not', () => {
  const listed = [
    new UsageError('usage'),
    new ParamError('p', 'param'),
    new ChapterSelectError('chapter'),
    new KernelMissingError('kernel'),
    new ReplayDirError('replay dir'),
    new DataDirError('data dir'),
    new ReportDirError('report dir'),
    new NotebookMissingError('notebook'),
    new InjectionError('injection'),
    new PortInUseError('port in use\n  pass --port'),
    new NotebookDirError('notebook dir'),
  ];
  for (const error of listed) assert.ok(inputErrorLine(error) !== undefined, error.name);
  assert.equal(inputErrorLine(new PortInUseError('port in use\n  pass --port')), 'port in use pass --port');
  for (const error of [new UnitError('unit'), new CheckInputError('--x', 'bad')])
    assert.ok(error instanceof InputError);
  for (const error of [
    new Error('bug'),
    new NamedError('named'),
    new BusyMachineError('busy'),
    new NotebookInputError('nbrun'),
    new FindingsFileError('findings'),
    'a string',
    undefined,
  ]) {
    assert.equal(inputErrorLine(error), undefined);
  }
});
