/**
 * The symptom's run, shared by chapter 1 (which shows it) and chapter 2 (which runs it again with
 * DEBUG on): the 2015 stack at its defaults, Chromium pages or the Node fragmenting client, at the
 * largest size given, sending until the first failure and a tail (./until-failure).
 */
import { progress } from '../show/display';
import { resolveParams, type Params, type RawParams, type StackName } from '../core/params';
import { runScenario, type ScenarioRecord, type ScenarioSpec } from '../traffic/scenario';
import { formatBytes } from '../core/units';
import { FAILING_SCENARIO } from '../traffic/presets';
import { plural } from './show-finding';
import { secondsText, untilFailure, untilFailureSpec, type UntilFailure } from './until-failure';

/** The stack the post ran: socket.io 1.3.7, engine.io 1.5.4, ws 0.8.0. */
export const SYMPTOM_STACK: StackName = '2015';
/** Chat pages beside the image pages: the post's contrast case. */
export const SYMPTOM_CHAT_PAGES = 1;
/**
 * Messages sent back to back per tick: a page sends one (the post's pages had no bursts), the Node
 * client the reproducer's burst. The failure needs fragmented compressed messages and a send
 * backlog, so that the server reads a message while an earlier one still waits for zlib. The pages
 * build that backlog by themselves (several MB of bufferedAmount); the Node client writes each
 * message at once, and at one per tick the server reads them one at a time (no failure within
 * 3 s in 3 of 3 quick runs, nor within 20 s in 2 of 5).
 */
export const SYMPTOM_BURST: Record<SymptomClient, number> = { browser: 1, fragmenting: FAILING_SCENARIO.burst };

/** Which client a run used, as the chapter names it. */
export type SymptomClient = 'browser' | 'fragmenting';

/** How the chapters name each client's run. */
export const RUN_LABEL: Record<SymptomClient, string> = {
  browser: 'Chromium pages',
  fragmenting: 'Node fragmenting client',
};

/** Checks the notebook's parameters (the same model and errors as the CLI); any number of sizes. */
export function symptomParams(raw: RawParams): Params {
  return resolveParams(raw);
}

/**
 * The picture size the tabs draw: the largest given. Chromium starts its own tabs for a run's whole
 * send window, so each extra size would cost a full run; and the symptom needs messages Chromium
 * fragments, which the largest size is the likeliest to be.
 */
export function symptomSize(params: Params): number {
  return Math.max(...params.frameSizes);
}

/** Chapter 1's times for a client: the pages' tail outlasts the chat page's contrast, the Node client's its reconnect. */
export function symptomPlan(params: Params, client: SymptomClient): UntilFailure {
  return untilFailure(client === 'browser' ? 'symptom pages' : 'symptom Node client', params.quick);
}

/**
 * The run's spec: the stack left at its defaults (deflate on, as in 2015), the client's burst,
 * sending until the first failure and the plan's tail, at most its deadline.
 */
export function symptomSpec(
  params: Params,
  client: SymptomClient,
  plan: UntilFailure = symptomPlan(params, client),
): ScenarioSpec {
  return {
    stack: SYMPTOM_STACK,
    client: client,
    payload: 'data-url',
    frameSize: symptomSize(params),
    fragmentSize: params.fragmentSize,
    rate: params.rate,
    clients: params.clients,
    burst: SYMPTOM_BURST[client],
    seed: params.seed,
    deflate: 'default',
    placement: 'in-process',
    ...untilFailureSpec(plan),
    ...(client === 'browser' ? { chatPages: SYMPTOM_CHAT_PAGES } : {}),
  };
}

/** One symptom run of `spec`, measured (chapter 1's runSymptom records and replays it); `record: false` keeps the run out of data/scenario/. */
export async function measureSymptom(
  spec: ScenarioSpec,
  options: { quick: boolean; record?: boolean },
): Promise<ScenarioRecord> {
  const client = spec.client as SymptomClient;
  const bar = progress(
    `${RUN_LABEL[client]} on ${SYMPTOM_STACK}, ${formatBytes(spec.frameSize)} at ${spec.rate}/s${spec.burst > 1 ? ` × ${spec.burst} back to back` : ''}, until the first failure (at most ${secondsText(spec.duration)})`,
  );
  let record: ScenarioRecord;
  try {
    record = await runScenario(spec, {
      record: options.record,
      quick: options.quick,
      onProgress: (p) =>
        bar.set(
          `${(p.elapsedMs / 1000).toFixed(0)} s: ${p.sent} sent, ${p.delivered} delivered, ${p.failures} failures`,
        ),
    });
  } catch (error) {
    bar.done(`failed: ${(error as Error).message}`);
    throw error;
  }
  const { result } = record;
  bar.done(`${result.sent} sent, ${result.delivered} delivered, ${plural(result.failures, 'failure')}; server closed`);
  if (result.status !== 'completed')
    throw new Error(`the ${RUN_LABEL[client]} run did not complete: ${result.runError}`);
  return record;
}

/**
 * When a run put no fragmented message on the wire, a sentence saying so with the counts: Chromium
 * fragments only large messages (about 166 KB and up), and the 2015 failure needs fragmented ones.
 * Null when some message was fragmented, or none was read.
 */
export function unfragmentedSentence(record: ScenarioRecord): string | null {
  const { wire } = record.result;
  if (wire.messages === 0 || wire.fragmentedMessages > 0) return null;
  return `None of the ${wire.messages.toLocaleString('en-US')} messages the server read was fragmented (0 continuation frames): the ${formatBytes(record.spec.frameSize)} pictures went as one frame each, and the 2015 failure needs fragmented messages, so this size cannot show it.`;
}
