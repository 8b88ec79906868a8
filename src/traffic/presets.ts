/**
 * Scenario presets. The failing scenario makes the 2015 failure happen within seconds, fixed once
 * and shared by the tests, the benchmark and the chapters: two fragmenting clients sending 1 MiB
 * data-URL frames as 100 KiB compressed fragments, three back to back every 200 ms. Only the stack
 * and the deflate setting vary between a failing run and its controls.
 */
import { KiB, MiB, type Params } from '../core/params';
import type { ClientPlacement, ScenarioSpec } from './scenario';

export const FAILING_SCENARIO: Omit<ScenarioSpec, 'stack' | 'deflate'> = {
  client: 'fragmenting',
  payload: 'data-url',
  frameSize: 1 * MiB,
  fragmentSize: 100 * KiB,
  rate: 5,
  clients: 2,
  burst: 3,
  duration: 5000,
  seed: 1,
  placement: 'in-process',
  // Above the frame on every stack: socket.io 4's 1e6 default is chapter 7's subject, not a
  // confounder here.
  maxHttpBufferSize: 8 * MiB,
};

/** How long the failing scenario gets to fail on 2015 before the run counts as not failing. */
export const FAILURE_DEADLINE_MS = 10_000;

/**
 * The socket.io scenario a chapter's parameters describe, at one of its frame sizes, with the
 * stack's default deflate: the load every chapter that sends through socket.io's own client runs.
 */
export function socketIoScenario(
  params: Params,
  stack: ScenarioSpec['stack'],
  frameSize: number,
  placement: ClientPlacement,
): ScenarioSpec {
  return {
    stack,
    client: 'socket.io',
    payload: params.payload[0],
    frameSize,
    fragmentSize: params.fragmentSize,
    rate: params.rate,
    clients: params.clients,
    burst: params.burst,
    deflate: 'default',
    duration: params.duration,
    seed: params.seed,
    placement,
  };
}
