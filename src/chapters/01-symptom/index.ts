/**
 * Chapter 1, the symptom: what the 2015 post's users saw. Chromium tabs on the 2015 stack emit a
 * changing canvas picture as a PNG data URL several times a second, while a chat tab on the same
 * server emits short lines at the same rate; who loses their socket (a new id after a reconnect),
 * how often, and when. Then the same size, rate and client count from the Node fragmenting client.
 */
import { showChart, showTable } from '../../show/display';
import type { Params } from '../../core/params';
import { loadAverageText } from '../../core/meta';
import { replaySteps } from '../../core/replay';
import { replayable } from '../replayable';
import {
  classifiedDisconnects,
  failureReasons,
  classifyScenario,
  zeroFailureBlockers,
} from '../../traffic/failure-rule';
import type { ScenarioRecord } from '../../traffic/scenario';
import { formatBytes } from '../../core/units';
import { plural, showFinding } from '../show-finding';
import {
  deadlinePassedSentence,
  existenceJudgement,
  NOT_SHOWN,
  secondsText,
  sendingText,
  untilFailure,
  untilFailureSentence,
} from '../until-failure';
import type { Judgement } from '../../core/verdict';
import {
  measureSymptom,
  RUN_LABEL,
  SYMPTOM_BURST,
  symptomPlan,
  symptomSize,
  symptomSpec,
  unfragmentedSentence,
  type SymptomClient,
} from '../symptom-run';

export { symptomParams } from '../symptom-run';

const step = replaySteps('symptom');

/** What this chapter does with the sizes it was given, in a sentence. */
export function sizesSentence(params: Params): string {
  const size = formatBytes(symptomSize(params));
  if (params.frameSizes.length === 1) return `Picture size: ${size}.`;
  return (
    `Sizes given: ${params.frameSizes.map(formatBytes).join(', ')}. This chapter runs its tabs at the largest, ${size}, only: ` +
    'each size would start its own Chromium tabs for a whole send window, and the symptom needs messages large enough for Chromium to fragment, which the largest is the likeliest to be.'
  );
}

/** Says which of the given sizes the chapter runs. */
export function showSizes(params: Params): void {
  showFinding(sizesSentence(params));
}

/** How long each run sends, in this mode and the other, in sentences. */
export function sendingPlanSentences(params: Params): string[] {
  return [
    untilFailureSentence('symptom pages', params.quick, 'The Chromium pages send'),
    untilFailureSentence(
      'symptom Node client',
      params.quick,
      `The Node client, ${SYMPTOM_BURST.fragmenting} messages back to back per tick, sends`,
    ),
  ];
}

/** Shows how long each run sends: until the first failure and a tail, at most a deadline. */
export function showSendingPlan(params: Params): void {
  showFinding(sendingPlanSentences(params));
}

/**
 * Runs one client kind with a live progress line, recording the run; throws if the run itself
 * could not complete. Under `--from-data` it replays the latest recorded run of the same
 * parameters instead.
 */
export async function runSymptom(params: Params, client: SymptomClient): Promise<ScenarioRecord> {
  const plan = symptomPlan(params, client);
  return replayable(step(`${client}-run`, { ...params, untilFailure: plan, burst: SYMPTOM_BURST[client] }), () =>
    measureSymptom(symptomSpec(params, client, plan), { quick: params.quick }),
  );
}

// ---- figures -------------------------------------------------------------------------------------

interface Group {
  run: SymptomClient;
  kind: 'image' | 'chat' | 'Node';
  clients: string[];
}

function groupsOf(record: ScenarioRecord): Group[] {
  const client = record.spec.client as SymptomClient;
  const pages = record.result.browser?.pages;
  if (pages) {
    return (['image', 'chat'] as const)
      .map((kind) => ({ run: client, kind: kind, clients: pages.filter((p) => p.kind === kind).map((p) => p.client) }))
      .filter((g) => g.clients.length > 0);
  }
  const clients = [...new Set(record.result.clientConnects.map((c) => c.client))].sort();
  return [{ run: client, kind: 'Node', clients: clients }];
}

/** The disconnects the failure rule counts as failures, with their side and phase. */
function failingDisconnects(record: ScenarioRecord) {
  return classifiedDisconnects(record.result).filter((j) => j.verdict === 'failure');
}

/** Whether a failure came before sending stopped (else it surfaced later, while the backlog drained). */
function whileSending(phase: string): boolean {
  return phase === 'before sending' || phase === 'sending';
}

function seconds(ms: number): number {
  return Number((ms / 1000).toFixed(1));
}

/** What one kind of client went through in one run. */
export interface KindFigures {
  run: string;
  kind: string;
  clients: number;
  /** Mean characters per message (pages measure theirs; the Node client sends the set size). */
  messageChars: number | null;
  sent: number;
  acked: number;
  /** Client-side disconnects the failure rule counts, before sending stopped. */
  disconnects: number;
  /** Client-side failures after sending stopped, while the server still read what was queued. */
  laterDisconnects: number;
  perMinute: number;
  /** Distinct socket ids (engine.io session ids) the clients had, over the whole run. */
  ids: number;
  /** Seconds from the start of sending to the kind's first disconnect; null when none. */
  firstDisconnectS: number | null;
  /** Largest send backlog a page saw (WebSocket bufferedAmount); null for the Node client. */
  maxBacklog: number | null;
}

function figuresOf(record: ScenarioRecord, group: Group): KindFigures {
  const { result } = record;
  const mine = (client: string) => group.clients.includes(client);
  const failing = failingDisconnects(record).flatMap((j) => (j.side === 'client' && mine(j.d.client) ? [j] : []));
  const drops = failing.filter((j) => whileSending(j.phase)).map((j) => j.d);
  const pages = result.browser?.pages.filter((p) => mine(p.client));
  const sent = pages ? pages.reduce((n, p) => n + p.sent, 0) : result.sent;
  const chars = pages ? pages.reduce((n, p) => n + (p.meanLength ?? 0) * p.sent, 0) : null;
  return {
    run: RUN_LABEL[group.run],
    kind: group.kind === 'Node' ? 'picture frames' : `${group.kind} page`,
    clients: group.clients.length,
    messageChars: chars === null ? record.spec.frameSize : sent > 0 ? Math.round(chars / sent) : null,
    sent: sent,
    acked: pages ? pages.reduce((n, p) => n + p.acked, 0) : result.acked,
    disconnects: drops.length,
    laterDisconnects: failing.filter((j) => !whileSending(j.phase)).length,
    perMinute: Number((drops.length / Math.max(result.loadMs / 60_000, 1e-9)).toFixed(1)),
    ids: new Set(result.clientConnects.filter((c) => mine(c.client)).map((c) => c.sid)).size,
    firstDisconnectS: drops.length > 0 ? seconds(Math.min(...drops.map((d) => d.t)) - result.sendWindow.start) : null,
    maxBacklog: pages ? Math.max(...pages.map((p) => p.maxBacklog)) : null,
  };
}

/** Figures per client kind, browser run first. */
export function symptomFigures(runs: readonly ScenarioRecord[]): KindFigures[] {
  return runs.flatMap((record) => groupsOf(record).map((group) => figuresOf(record, group)));
}

/** The table of who lost their socket, by client kind. */
export function showSymptomTable(runs: readonly ScenarioRecord[]): void {
  const rows = symptomFigures(runs).map((f) => ({
    run: f.run,
    kind: f.kind,
    clients: f.clients,
    'message size': f.messageChars === null ? '' : formatBytes(f.messageChars),
    sent: f.sent,
    acked: f.acked,
    'disconnects while sending': f.disconnects,
    'per minute': f.perMinute,
    'disconnects after': f.laterDisconnects,
    'socket ids': f.ids,
    'first disconnect (s)': f.firstDisconnectS,
    'largest send backlog': f.maxBacklog === null ? '' : formatBytes(f.maxBacklog),
  }));
  const window = runs
    .map(
      (r) =>
        `${RUN_LABEL[r.spec.client as SymptomClient]} ${sendingText(r.spec, r.result.loadMs, classifyScenario(r.result).firstFailureMs)}`,
    )
    .join(', ');
  showTable(rows, {
    caption: `socket.io ${runs[0]?.stack.versions['socket.io'] ?? ''}, ws ${runs[0]?.stack.versions.ws ?? ''}; sending for ${window}`,
  });
}

function imageAndChat(figures: KindFigures[]): { image?: KindFigures; chat?: KindFigures; node?: KindFigures } {
  return {
    image: figures.find((f) => f.kind === 'image page'),
    chat: figures.find((f) => f.kind === 'chat page'),
    node: figures.find((f) => f.kind === 'picture frames'),
  };
}

/** The findings, worded from the runs' numbers. */
export function symptomFindings(browser: ScenarioRecord, node?: ScenarioRecord): string[] {
  const { image, chat } = imageAndChat(symptomFigures([browser]));
  const sentences: string[] = [];
  const secs = seconds(browser.result.loadMs);
  if (image) {
    if (image.disconnects + image.laterDisconnects > 0) {
      const backlog = 'after they stopped, while the server still read their backlog';
      const lost =
        image.disconnects === 0
          ? `did not lose their socket while sending, but lost it ${plural(image.laterDisconnects, 'time')} ${backlog}`
          : `lost their socket ${plural(image.disconnects, 'time')} (${image.perMinute} per minute)` +
            (image.laterDisconnects > 0 ? `, and ${plural(image.laterDisconnects, 'more time')} ${backlog}` : '');
      sentences.push(
        `In ${secs} s of sending, the ${plural(image.clients, 'image page')} ${lost}; they came back under new ids: ${image.ids} ids for ${image.clients} pages.`,
      );
    } else {
      // The run's controls count every page: the image pages' messages too must have gone out.
      const blockers = [...zeroFailureBlockers(browser), ...(image.sent === 0 ? ['the image pages sent nothing'] : [])];
      sentences.push(
        blockers.length === 0
          ? deadlinePassedSentence(
              browser.spec.stack,
              browser.spec.duration,
              'the tables and the timeline below have no failure in them, although deflate was negotiated and every message delivered',
            )
          : `No image page lost its socket in this run's ${secs} s of sending, and the run could not have shown the failure (${blockers.join('; ')}); the tables and the timeline below have no failure in them.`,
      );
    }
  }
  if (chat) {
    const head = `The chat page sent ${plural(chat.sent, 'line')} of ${chat.messageChars ?? 0} characters at the same rate, on the same server,`;
    const clean =
      browser.result.status === 'completed' &&
      chat.disconnects + chat.laterDisconnects === 0 &&
      chat.acked === chat.sent &&
      chat.sent > 0 &&
      browser.result.controls.deflateNegotiated;
    const firstMs = classifyScenario(browser.result).firstFailureMs;
    const afterFirst =
      firstMs !== null && browser.result.loadMs > firstMs
        ? `, the ${seconds(browser.result.loadMs - firstMs)} s of sending after the first failure included`
        : '';
    sentences.push(
      clean
        ? `${head} and kept its one id throughout${afterFirst}, with all ${chat.sent} acknowledged over a connection that had negotiated permessage-deflate.`
        : chat.disconnects + chat.laterDisconnects > 0
          ? `${head} and lost its socket ${plural(chat.disconnects + chat.laterDisconnects, 'time')} (${chat.acked} of ${chat.sent} acknowledged).`
          : `${head}; that is not evidence of a clean chat page: ${chat.acked} of ${chat.sent} acknowledged, deflate ${browser.result.controls.deflateNegotiated ? '' : 'not '}negotiated${browser.result.status === 'completed' ? '' : `, and the run failed (${browser.result.runError})`}.`,
    );
  }
  const reasons = Object.entries(failureReasons(browser.result)).map(([reason, n]) => `${reason} ×${n}`);
  if (reasons.length > 0)
    sentences.push(`Failures the scenario counted, by side and socket.io's reason: ${reasons.join(', ')}.`);
  if (node) {
    const nodeFigures = imageAndChat(symptomFigures([node])).node;
    const nodeFirst = classifyScenario(node.result).firstFailureMs;
    const pageFirst = classifyScenario(browser.result).firstFailureMs;
    // "No failure" only beside the run's own controls; an errored or empty run says nothing.
    const first = (ms: number | null, run: ScenarioRecord) =>
      ms !== null
        ? `the first failure after ${seconds(ms)} s`
        : zeroFailureBlockers(run).length === 0
          ? `no failure within ${secondsText(run.spec.duration)} (${NOT_SHOWN})`
          : `no failure, nor a run that could have shown one (${zeroFailureBlockers(run).join('; ')})`;
    const backlog =
      node.spec.burst > 1
        ? `, ${node.spec.burst} messages back to back per tick for the send backlog the pages build by themselves,`
        : '';
    let comparison = `The Node fragmenting client, with the same size, rate and number of clients${backlog} had ${first(nodeFirst, node)}; the pages had ${first(pageFirst, browser)}`;
    if (nodeFirst !== null && pageFirst !== null)
      comparison +=
        nodeFirst < pageFirst
          ? ' (the Node client failed sooner).'
          : ' (the Node client did not fail sooner in this run).';
    else comparison += '.';
    sentences.push(comparison);
    if (nodeFigures)
      sentences.push(
        `It lost its socket ${plural(nodeFigures.disconnects, 'time')} in ${sendingText(node.spec, node.result.loadMs, nodeFirst)} of sending.`,
      );
    const errors = (r: ScenarioRecord) => Object.keys(r.result.underlyingErrors).sort().join(', ') || 'none';
    sentences.push(
      errors(browser) === errors(node)
        ? `On the server, both runs' sessions ended with the same error underneath: ${errors(browser)}.`
        : `On the server, the errors underneath differed: pages ${errors(browser)}; Node client ${errors(node)}.`,
    );
  }
  return sentences;
}

/** Shows the findings as a paragraph. */
export function showSymptomFindings(browser: ScenarioRecord, node?: ScenarioRecord): void {
  showFinding(symptomFindings(browser, node));
}

// ---- timeline and ids --------------------------------------------------------------------------

const LANE_PREFIX: Record<SymptomClient, string> = { browser: 'Chromium', fragmenting: 'Node' };

function lane(record: ScenarioRecord, client: string): string {
  return `${LANE_PREFIX[record.spec.client as SymptomClient]} ${client}`;
}

/** Charts every connect and disconnect per client, in seconds from the start of sending. */
export async function showSymptomTimeline(runs: readonly ScenarioRecord[]): Promise<void> {
  const lanes: string[] = [];
  const events: Array<{ lane: string; t: number; event: 'connect' | 'disconnect'; detail: string }> = [];
  const bars: Array<{ lane: string; start: number; end: number }> = [];
  for (const record of runs) {
    const { result } = record;
    for (const group of groupsOf(record)) {
      for (const client of group.clients) {
        const name = lane(record, client);
        lanes.push(name);
        bars.push({ lane: name, start: 0, end: seconds(result.loadMs) });
        for (const c of result.clientConnects.filter((e) => e.client === client)) {
          events.push({
            lane: name,
            t: seconds(c.t - result.sendWindow.start),
            event: 'connect',
            detail: `id ${c.sid ?? '?'}`,
          });
        }
        for (const d of result.clientDisconnects.filter((e) => e.client === client)) {
          events.push({ lane: name, t: seconds(d.t - result.sendWindow.start), event: 'disconnect', detail: d.reason });
        }
      }
    }
  }
  const y = { field: 'lane', type: 'nominal', title: null, sort: lanes, axis: { labelLimit: 240 } };
  await showChart(
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      width: 560,
      height: { step: 26 },
      layer: [
        {
          data: { values: bars },
          mark: { type: 'rule', color: '#ccc', strokeWidth: 8 },
          encoding: {
            y: y,
            x: { field: 'start', type: 'quantitative', title: 'seconds since sending started' },
            x2: { field: 'end' },
          },
        },
        {
          data: { values: events },
          mark: { type: 'point', filled: true, size: 80, opacity: 0.9 },
          encoding: {
            y: y,
            x: { field: 't', type: 'quantitative' },
            shape: {
              field: 'event',
              type: 'nominal',
              scale: { domain: ['connect', 'disconnect'], range: ['circle', 'cross'] },
              title: null,
            },
            color: {
              field: 'event',
              type: 'nominal',
              scale: { domain: ['connect', 'disconnect'], range: ['#2a7d4f', '#c0392b'] },
              title: null,
            },
            tooltip: [{ field: 'lane' }, { field: 't' }, { field: 'detail' }],
          },
        },
      ],
    },
    {
      caption:
        'Connects and disconnects per client (grey: while sending). A connect after a disconnect is a new socket id.',
    },
  );
}

/** Items listed per table cell; the Node client can reconnect dozens of times in a run. */
const LIST_SHOWN = 8;

function shortList(items: string[], separator: string): string {
  const shown = items.slice(0, LIST_SHOWN).join(separator);
  return items.length > LIST_SHOWN ? `${shown}${separator}… (${items.length - LIST_SHOWN} more)` : shown;
}

/** Each client's socket ids in the order they appeared, and how each session ended. */
export function socketIdRows(runs: readonly ScenarioRecord[]) {
  return runs.flatMap((record) => {
    const { result } = record;
    return groupsOf(record).flatMap((group) =>
      group.clients.map((client) => {
        const connects = result.clientConnects.filter((c) => c.client === client);
        const drops = result.clientDisconnects.filter((d) => d.client === client);
        return {
          client: lane(record, client),
          'ids seen': new Set(connects.map((c) => c.sid)).size,
          'ids, with the second they appeared': shortList(
            connects.map((c) => `${c.sid ?? '?'} (${seconds(c.t - result.sendWindow.start)} s)`),
            ' → ',
          ),
          'disconnects (second, reason)':
            shortList(
              drops.map((d) => `${seconds(d.t - result.sendWindow.start)} s ${d.reason}`),
              '; ',
            ) || 'none',
        };
      }),
    );
  });
}

/** Shows the ids table. */
export function showSocketIds(runs: readonly ScenarioRecord[]): void {
  showTable(socketIdRows(runs), {
    caption: 'Socket ids per client (engine.io session ids; negative seconds: connected before sending started)',
  });
}

// ---- what crossed the wire -------------------------------------------------------------------------

/** Per run: the deflate negotiation, how messages crossed the wire, and the bundle the pages ran. */
export function wireRows(runs: readonly ScenarioRecord[]) {
  return runs.map((record) => {
    const { result } = record;
    const offers = [...new Set(result.handshakes.map((h) => `${h.offer || '(none)'} → ${h.answer || '(none)'}`))];
    const bundles = result.browser?.bundles ?? [];
    return {
      run: RUN_LABEL[record.spec.client as SymptomClient],
      'extensions offered → accepted': offers.join('; '),
      handshakes: result.wire.handshakes,
      messages: result.wire.messages,
      compressed: result.wire.compressedMessages,
      fragmented: result.wire.fragmentedMessages,
      'frames per fragmented message':
        result.wire.fragmentedMessages > 0
          ? Number((1 + result.wire.continuationFrames / result.wire.fragmentedMessages).toFixed(1))
          : null,
      'client bundle':
        bundles.length === 0
          ? ''
          : bundles.every((b) => b.sha256 === b.stackSha256)
            ? `${bundles.length} pages ran ${bundles[0].bytes.toLocaleString('en-US')} bytes, sha256 ${bundles[0].sha256.slice(0, 12)}…, identical to socket.io-client ${record.stack.versions['socket.io-client']}'s socket.io.js`
            : `differs from the stack's file: ${bundles.map((b) => b.sha256.slice(0, 12)).join(', ')}`,
    };
  });
}

/** Shows the wire table: proof that deflate was on and large messages went fragmented. */
export function showSymptomWire(runs: readonly ScenarioRecord[]): void {
  showTable(wireRows(runs), { caption: "Counted at the server's sockets, client to server" });
}

/** Per run: how the server saw sessions end while sending, and the error underneath. */
export function serverRows(runs: readonly ScenarioRecord[]) {
  return runs.map((record) => {
    const { result } = record;
    const byReason = (list: typeof result.serverDisconnects) => {
      const counts = new Map<string, number>();
      for (const d of list) {
        const key = d.error ? `${d.reason} ← ${d.error}` : d.reason;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return [...counts].map(([k, n]) => `${k} ×${n}`).join('; ') || 'none';
    };
    return {
      run: RUN_LABEL[record.spec.client as SymptomClient],
      'failures while sending (reason ← error)': byReason(
        failingDisconnects(record).flatMap((j) => (j.side === 'server' && whileSending(j.phase) ? [j.d] : [])),
      ),
      'failures after sending stopped': byReason(
        failingDisconnects(record).flatMap((j) => (j.side === 'server' && !whileSending(j.phase) ? [j.d] : [])),
      ),
      'teardown (the clients leaving)': byReason(
        classifiedDisconnects(result).flatMap((j) => (j.side === 'server' && j.verdict === 'teardown' ? [j.d] : [])),
      ),
      'zlib errors in decompress':
        result.zlibErrors.map((e) => `${e.message} (${e.code ?? '?'}) ×${e.count}`).join('; ') || 'none',
    };
  });
}

/** Shows the server's side of the same runs. */
export function showSymptomServer(runs: readonly ScenarioRecord[]): void {
  showTable(serverRows(runs), { caption: "The server's view of the same runs" });
}

/** When the browser reproduction first failed (or why it cannot vouch for no failure), worded from the record. */
export function browserFailureTiming(browser: ScenarioRecord): string {
  const { result, spec } = browser;
  const b = result.browser;
  const setup = b
    ? `Chromium ${b.chromium} started in ${seconds(b.launchMs)} s and its ${plural(b.pages.length, 'page')} were loaded and connected ${seconds(b.setupMs)} s later. `
    : '';
  const since = (t: number) => seconds(t - result.sendWindow.start);
  const failing = failingDisconnects(browser).sort((a, b) => a.d.t - b.d.t);
  const serverFirst = failing.flatMap((j) => (j.side === 'server' ? [j.d] : []))[0];
  const pageFirst = failing.flatMap((j) => (j.side === 'client' ? [j.d] : []))[0];
  const firstFailureMs = classifyScenario(result).firstFailureMs;
  const blockers = zeroFailureBlockers(browser);
  const sides = [
    serverFirst
      ? `the server closed a session (${serverFirst.reason}${serverFirst.error ? ` ← ${serverFirst.error}` : ''}) at ${since(serverFirst.t)} s`
      : undefined,
    pageFirst ? `a page saw its first disconnect (${pageFirst.reason}) at ${since(pageFirst.t)} s` : undefined,
  ].filter((x) => x !== undefined);
  const ttf =
    firstFailureMs !== null
      ? `The first failure came ${seconds(firstFailureMs)} s after the pages started sending${sides.length > 0 ? `: ${sides.join('; ')}` : ''}.`
      : blockers.length === 0
        ? deadlinePassedSentence(
            spec.stack,
            spec.duration,
            'the tables above have no failure in them, although deflate was negotiated and every message delivered',
          )
        : `No failure was counted in the ${seconds(result.loadMs)} s the pages sent, and the run could not have shown one: ${blockers.join('; ')}.`;
  const unfragmented = unfragmentedSentence(browser);
  return (
    `Browser reproduction (${spec.clients} image pages + ${spec.chatPages ?? 0} chat page, ${formatBytes(spec.frameSize)} pictures at ${spec.rate}/s${browser.quick ? ', quick mode' : ''}; ` +
    `${browser.meta.cpuModel} × ${browser.meta.cores}, ${loadAverageText(browser.meta)}): ${setup}${ttf}${unfragmented === null ? '' : ` ${unfragmented}`}`
  );
}

/** Shows when the browser reproduction first failed. */
export function showBrowserFailureTiming(browser: ScenarioRecord): void {
  showFinding(browserFailureTiming(browser));
}

// ---- the claim ---------------------------------------------------------------------------------

/** The command that reruns this chapter, for a claim the run did not settle. */
const RERUN = `rerun chapter 1 (npm run report -- --only symptom); a full run waits up to ${secondsText(untilFailure('symptom pages', false).deadlineMs)}`;

/**
 * The post's symptom as an existence claim: one image page losing its socket, with deflate
 * negotiated, settles it; a run without one leaves it not settled, "not shown in this run".
 */
export function symptomJudgement(browser: ScenarioRecord): Judgement {
  const { image } = imageAndChat(symptomFigures([browser]));
  const { result, spec } = browser;
  const lost = image ? image.disconnects + image.laterDisconnects : 0;
  const firstMs = classifyScenario(result).firstFailureMs;
  const blockers = zeroFailureBlockers(browser);
  const shown = lost > 0 && result.controls.deflateNegotiated;
  const basis = shown
    ? `${plural(image?.clients ?? 0, 'image page')} lost their socket ${plural(lost, 'time')}, the first failure at ${secondsText(firstMs ?? 0)}, with permessage-deflate negotiated and ${plural(result.wire.fragmentedMessages, 'message')} fragmented`
    : lost > 0
      ? `the image pages lost their socket ${plural(lost, 'time')}, but deflate was not negotiated`
      : blockers.length > 0
        ? `no image page lost its socket, and the run could not have shown it (${blockers.join('; ')})`
        : `${spec.stack} did not fail within ${secondsText(spec.duration)}`;
  return existenceJudgement(
    `On socket.io ${browser.stack.versions['socket.io'] ?? '?'} (ws ${browser.stack.versions.ws ?? '?'}), Chromium pages streaming images lose their socket`,
    { shown: shown, basis: basis },
    browser.quick ? 'quick' : 'full',
    RERUN,
  );
}
