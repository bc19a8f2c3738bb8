import type { BatchPaneSource } from '../serving/batch-pane-source.ts';
import type { Alert } from '../shared/compute/alert.ts';
import { FencedError, NotFoundError } from '../shared/errors.ts';
import type { DerivedRecord, DerivedWriter } from '../shared/ports/derived-writer.ts';
import type { EventLog } from '../shared/ports/event-log.ts';
import type { AlertAnswer, AlertQuery, QueryLimits } from '../serving/query-service.ts';

/** The topic the alerts of an events topic go to. */
export function alertsTopicOf(eventsTopic: string): string {
  return `${eventsTopic}.alerts`;
}

/** Where the publisher reads alerts: the query service's final alerts of a mode (QueryService.finalAlerts). */
export interface AlertSource {
  finalAlerts(q: AlertQuery, limits?: QueryLimits): Promise<AlertAnswer>;
}

export interface AlertPublisherDeps {
  readonly log: EventLog;
  readonly eventsTopic: string;
  readonly source: AlertSource;
  /** The streaming mode whose alerts are published: the speed layer's, or the live Kappa version's. */
  readonly mode: 'speed' | 'kappa';
  /** Windows ending at or before this are not looked at (default 0: every window the stream still holds). */
  readonly from?: number;
}

/**
 * Publishes the stream's alerts to `<topic>.alerts`, exactly once per alert id.
 *
 * An alert is a pure function of a final window (alert-rule.ts), and a window is final once it
 * ends by the stream's lateness bound, which only moves forward. So each `publish` reads the
 * alerts of windows ending in (last bound, current bound] and appends them, in window-end order,
 * through a derived writer (shared/ports/derived-writer.ts) whose "source offset" is the window's
 * end in epoch ms. Every alert of one window end is found by the same call (finality is by end
 * only) and goes in one append, which is all or nothing, so "the highest end written" means
 * "every alert of a window ending by it is written". After a crash anywhere (before, during or
 * after an append) a new publisher reads from `from` again and the writer skips every end it
 * already holds: no alert is lost or written twice. The writer also fences an older publisher of
 * the same topic. Records carry the alert id as key and header (`lk-alert-id`), so a reader of
 * the topic can check.
 */
export class AlertPublisher {
  readonly #deps: AlertPublisherDeps;
  readonly #writer: DerivedWriter;
  readonly topic: string;
  /** Windows ending by this were handled by this publisher. */
  #through: number;

  private constructor(deps: AlertPublisherDeps, writer: DerivedWriter, topic: string) {
    this.#deps = deps;
    this.#writer = writer;
    this.topic = topic;
    this.#through = deps.from ?? 0;
  }

  /** Creates the alerts topic (one partition: alerts are ordered by window end) and opens its writer, fencing any earlier one. */
  static async open(deps: AlertPublisherDeps): Promise<AlertPublisher> {
    const topic = alertsTopicOf(deps.eventsTopic);
    await deps.log.ensureTopic(topic, 1);
    const writer = await deps.log.openDerivedWriter({ sourceTopic: deps.eventsTopic, sourcePartition: 0, topics: [topic] });
    return new AlertPublisher(deps, writer, topic);
  }

  /** Appends the alerts of the windows that became final since the last call; resolves with the alerts handed to the writer (repeats it skips included). */
  async publish(): Promise<readonly Alert[]> {
    let answer: AlertAnswer;
    try {
      answer = await this.#deps.source.finalAlerts({ from: this.#through, to: END_OF_TIME, mode: this.#deps.mode }, UNBOUNDED);
    } catch (err) {
      // The stream has written nothing yet (no namespace, no live Kappa version): nothing is final.
      if (err instanceof NotFoundError) return [];
      throw err;
    }
    if (answer.finalBefore === null || answer.finalBefore <= this.#through) return [];
    // A partition without a checkpoint yet has no watermark in the bound: its events could still change windows the others finalised.
    if (answer.partitions < (await this.#deps.log.partitionCount(this.#deps.eventsTopic))) return [];
    const fresh = answer.alerts.filter((a) => a.end > this.#through && a.end <= answer.finalBefore!).sort((a, b) => a.end - b.end || (a.id < b.id ? -1 : 1));
    if (fresh.length > 0) await this.#writer.append(fresh.map((a) => alertRecord(this.topic, a)));
    this.#through = answer.finalBefore;
    return fresh;
  }

  async close(): Promise<void> {
    await this.#writer.close();
  }
}

/** Year 10000: the read has no upper bound (the stream's lateness bound is the real one). */
const END_OF_TIME = 253_402_300_800_000;
/** The publisher reads every window that became final, however many (the range is what is left since the last call). */
const UNBOUNDED: QueryLimits = { maxRangeMs: Number.POSITIVE_INFINITY, maxWindows: Number.POSITIVE_INFINITY, maxPanes: Number.POSITIVE_INFINITY };

/** One alert as a record: key the alert id, value its JSON (times in ISO-8601), timestamp the window end. */
function alertRecord(topic: string, a: Alert): DerivedRecord {
  const value = JSON.stringify({ ...a, start: new Date(a.start).toISOString(), end: new Date(a.end).toISOString() });
  return { topic, sourceOffset: a.end, record: { key: a.id, value, timestamp: a.end, headers: { 'lk-alert-id': a.id, 'lk-alert-rule': a.rule } } };
}

export interface AlertSchedule {
  /** How often to look for newly final windows (default 1 s): the lateness bound moves with every commit. */
  readonly everyMs?: number;
  readonly onPublished?: (alerts: readonly Alert[]) => void;
  /** A failed round is reported and tried again next time; a fenced publisher (another one took over) stops. */
  readonly onError?: (err: Error) => void;
}

/** Publishes now and then every `everyMs` until the returned stop is called (then closes the publisher). */
export function schedulePublishing(publisher: AlertPublisher, schedule: AlertSchedule = {}): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  let fenced = false;
  // A round still running when the next is due is not doubled: that tick is skipped.
  const round = () => {
    if (running || fenced) return;
    running = (async () => {
      try {
        const published = await publisher.publish();
        if (published.length > 0) schedule.onPublished?.(published);
      } catch (err) {
        if (err instanceof FencedError) fenced = true;
        schedule.onError?.(err as Error);
      } finally {
        running = undefined;
      }
    })();
  };
  round();
  const timer = setInterval(round, schedule.everyMs ?? 1_000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
      await publisher.close();
    },
  };
}

/** The batch side of a publisher's query service: none (it reads the streaming modes only). */
export const NO_BATCH: BatchPaneSource = { snapshot: async () => ({ runId: null, horizon: null, panes: async () => [] }) };
