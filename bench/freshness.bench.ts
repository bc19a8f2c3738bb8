import { setTimeout as sleep } from 'node:timers/promises';
import { formatCount, Progress } from '../cli/progress.ts';
import { openEventLog } from '../infra/adapters.ts';
import { partitionOfKey } from '../infra/embedded/murmur2-partitioner.ts';
import { compilePipeline } from '../shared/compute/pipeline.ts';
import type { PlatformConfig } from '../shared/config.ts';
import { LkError } from '../shared/errors.ts';
import type { EventLog } from '../shared/ports/event-log.ts';
import { streamWorkload } from '../examples/ecommerce/workload/generator.ts';
import type { Figure, Target } from './figure.ts';
import { LkProcess } from './lk-process.ts';
import { PacedSource } from './paced-source.ts';
import { latencyStats } from './percentiles.ts';
import { ProbeLedger } from './probe-ledger.ts';

export interface FreshnessOptions {
  /** How long probes are sent (after the warm-up). */
  readonly seconds: number;
  /** Background load before and while probing, events/s. */
  readonly rate: number;
  /** Background load alone first, so start-up (JIT, first commits, plans) is not measured. */
  readonly warmupSeconds: number;
  /** One probe event every this many ms. */
  readonly probeMs: number;
  /** A partition with pending probes is queried again this long after its previous answer. */
  readonly pollMs: number;
}

export const DEFAULT_FRESHNESS: FreshnessOptions = { seconds: 30, rate: 10_000, warmupSeconds: 5, probeMs: 50, pollMs: 10 };

/** Issue 3's target: event produced to visible through the HTTP API. */
export const FRESHNESS_P99_TARGET: Target = { op: '<=', value: 1_000 };

/** The background producer's tick: appends whatever the schedule says is due. */
const TICK_MS = 10;
/** Probes not visible this long after the last one was sent count as lost (and the run says so). */
const PROBE_TIMEOUT_MS = 30_000;
/** The view counting probes: product_activity, keyed by product_id, `views` counts page_view events. */
const PROBE_VIEW = 'product_activity';

/**
 * Freshness as a user sees it: `lk speed` and `lk serve` run as child processes, as deployed (each
 * with its own event loop and core share, so the probe clock in this process is not held up by the
 * speed layer's CPU work, and serving's queries compete with the speed layer as they would in
 * production). A paced producer appends `rate` events/s of generated shop traffic; every `probeMs`
 * a probe event (event time now) is appended, round robin over the partitions, and
 * `GET /v1/views/product_activity?key=<partition's probe product>&mode=speed` is polled until it
 * counts it (see probe-ledger.ts). Latency = the first answer counting it - the time just before
 * its append. Speed mode reads the namespace `lk speed` writes (`speed`); Lambda mode would read
 * the same panes plus a batch manifest, which this run has none of.
 */
export async function benchFreshness(config: PlatformConfig, env: Readonly<Record<string, string | undefined>>, o: FreshnessOptions, runId: string): Promise<Figure[]> {
  const progress = new Progress();
  const topic = config.topics.events;
  const childEnv = { ...env, LK_TOPIC: topic, LK_PORT: '0' };
  const pipeline = compilePipeline(config.pipeline);
  const background = await openEventLog(config);
  // Probes get their own producer: kafkajs sends one request at a time, and a probe queued behind
  // a background batch would measure the benchmark's producer, not the pipeline.
  const probeLog = await openEventLog(config);
  const children: LkProcess[] = [];
  const stopLoad = new AbortController();
  try {
    await background.ensureTopic(topic, config.partitions);
    const partitions = await background.partitionCount(topic);
    const spawned = Date.now();
    const speed = new LkProcess(['speed'], childEnv);
    children.push(speed);
    await speed.waitFor(/^speed: consuming/, 120_000);
    const serve = new LkProcess(['serve'], childEnv);
    children.push(serve);
    const url = (await serve.waitFor(/listening on (http:\/\/\S+)/, 60_000))[1];
    progress.done(`freshness: lk speed and lk serve (${url}) running; ${o.warmupSeconds} s warm-up at ${formatCount(o.rate)} events/s, then ${o.seconds} s of probes every ${o.probeMs} ms`);

    const load = new BackgroundLoad(background, topic, pipeline.config, o, stopLoad.signal);
    await sleep(o.warmupSeconds * 1000);

    const probeStart = Date.now();
    const ledger = new ProbeLedger(partitions);
    const probes = Array.from({ length: partitions }, (_, p) => new PartitionProbes(probeLog, topic, url, runId, p, partitions, { from: probeStart - 120_000, to: probeStart + (o.seconds + 120) * 1000 }));
    const sending = { done: false, lastAt: probeStart };
    const followers = probes.map((pp) => pp.follow(ledger, o.pollMs, () => sending));
    let sent = 0;
    for (let i = 0; ; i++) {
      const at = probeStart + i * o.probeMs;
      if (at >= probeStart + o.seconds * 1000) break;
      const wait = at - Date.now();
      if (wait > 0) await sleep(wait);
      sending.lastAt = probes[i % partitions].send(ledger, i);
      sent++;
      if (i % 20 === 0) progress.update(`freshness: ${i} probes sent, ${ledger.seen} visible, background ${formatCount(load.appended)} events`);
    }
    sending.done = true;
    await Promise.all(followers);
    const failedAppends = probes.flatMap((pp) => pp.failedAppends);
    const queryMs = probes.flatMap((pp) => pp.queryMs);
    const queryErrors = probes.reduce((n, pp) => n + pp.errors, 0);
    const probeSeconds = (Date.now() - probeStart) / 1000;
    stopLoad.abort();
    const bg = await load.done;
    const [speedCpu, serveCpu] = await Promise.all([speed.cpuSeconds(), serve.cpuSeconds()]);
    const childSeconds = ((Date.now() - spawned) / 1000).toFixed(0);
    const speedExit = await speed.stop();
    // lk speed's last line: its own freshness histogram, append -> view-store commit (no HTTP).
    const own = /freshness p50 (\S+ m?s), p99 (\S+ m?s)/.exec(speed.tail());
    await serve.stop();
    if (speedExit !== 0) throw new LkError(`lk speed exited with code ${speedExit} instead of stopping cleanly, so its figures are suspect; its output ends with:\n${speed.tail()}`);

    const inOrder = ledger.latencies();
    const latencies = inOrder.filter((l): l is number => l !== undefined);
    const s = latencyStats(latencies);
    const q = latencyStats(queryMs);
    const lost = sent - latencies.length;
    progress.done(`freshness: ${latencies.length}/${sent} probes visible; background ${formatCount(bg.records)} events in ${bg.seconds.toFixed(1)} s`);
    const sample = `${latencies.length} of ${sent} probes visible${lost ? ` (${lost} not within ${PROBE_TIMEOUT_MS / 1000} s of the last)` : ''}${failedAppends.length ? `; ${failedAppends.length} probe appends failed: ${failedAppends[0]}` : ''}`;
    return [
      { name: 'freshness p50, produced -> visible via HTTP (mode=speed)', value: s?.p50 ?? 'none visible', unit: 'ms', note: `${sample}; ${trend(inOrder, o.seconds)}` },
      { name: 'freshness p95', value: s?.p95 ?? 'none visible', unit: 'ms' },
      { name: 'freshness p99', value: s?.p99 ?? 'none visible', unit: 'ms', target: FRESHNESS_P99_TARGET },
      { name: 'freshness max', value: s?.max ?? 'none visible', unit: 'ms' },
      {
        name: 'freshness background load achieved',
        value: Math.round(bg.records / bg.seconds),
        unit: 'events/s',
        note: `asked ${formatCount(o.rate)}/s; ${bg.behindMs > 1_000 ? `fell ${(bg.behindMs / 1000).toFixed(1)} s behind schedule` : 'kept to schedule'}`,
      },
      {
        name: 'freshness, lk speed append -> commit p50 / p99',
        value: own ? `${own[1]} / ${own[2]}` : 'not reported',
        note: `every record, incl. warm-up (lk speed's own histogram, ~4% buckets)${speedCpu === undefined ? '' : `; lk speed used ${speedCpu.toFixed(1)} CPU-s in ${childSeconds} s`}`,
      },
      {
        name: 'freshness HTTP queries',
        value: Math.round(queryMs.length / probeSeconds),
        unit: 'queries/s',
        note: `one loop per partition (${partitions}) while it has pending probes, ${o.pollMs} ms between answer and next query; query p50 ${q?.p50.toFixed(1) ?? '-'} ms, p99 ${q?.p99.toFixed(1) ?? '-'} ms${queryErrors ? `; ${queryErrors} failed requests` : ''}${serveCpu === undefined ? '' : `; lk serve used ${serveCpu.toFixed(1)} CPU-s in ${childSeconds} s`}`,
      },
    ];
  } finally {
    stopLoad.abort();
    for (const c of children) await c.stop().catch(() => undefined);
    await probeLog.close();
    await background.close();
  }
}

interface BackgroundResult {
  readonly records: number;
  readonly seconds: number;
  /** How far the producer was behind the schedule at the end. */
  readonly behindMs: number;
}

/** The paced background producer: generated shop traffic with current times, appended as it falls due. */
class BackgroundLoad {
  appended = 0;
  /** Resolves once stopped; rejects if an append failed. */
  readonly done: Promise<BackgroundResult>;

  constructor(log: EventLog, topic: string, config: PlatformConfig['pipeline'], o: FreshnessOptions, signal: AbortSignal) {
    const start = Date.now();
    // A span well beyond the run, so the generator never runs dry before it is stopped.
    const spanMs = (o.warmupSeconds + o.seconds) * 1000 + 3_600_000;
    const source = new PacedSource(streamWorkload({ seed: 11, ratePerSecond: o.rate, spanMs, startTime: start, users: 20_000, products: 2_000 }, config));
    this.done = (async () => {
      let behindMs = 0;
      while (!signal.aborted) {
        const due = source.due(Date.now());
        if (due.length > 0) {
          await log.append(topic, due.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp })));
          this.appended += due.length;
        }
        const next = source.nextTimestamp ?? Date.now() + TICK_MS;
        behindMs = Math.max(0, Date.now() - next);
        await sleep(Math.max(0, Math.min(TICK_MS, next - Date.now())));
      }
      return { records: this.appended, seconds: (Date.now() - start) / 1000, behindMs };
    })();
    // Awaited only at the end of the run; until then a failure must not crash the process unhandled.
    this.done.catch(() => undefined);
  }
}

/**
 * The probes of one partition: a user key Kafka's partitioner maps to that partition and a product
 * of their own, so the product's `views` in product_activity count exactly the partition's probes
 * that the speed layer has committed.
 */
class PartitionProbes {
  readonly queryMs: number[] = [];
  /** Why probe appends failed (a probe never appended is never visible). */
  readonly failedAppends: string[] = [];
  errors = 0;
  readonly #log: EventLog;
  readonly #topic: string;
  readonly #partition: number;
  readonly #userKey: string;
  readonly #productId: string;
  readonly #query: string;
  /** Appends one after the other, so the partition's probes reach it in the order they were counted as sent. */
  #appends: Promise<unknown> = Promise.resolve();

  constructor(log: EventLog, topic: string, url: string, runId: string, partition: number, partitions: number, range: { from: number; to: number }) {
    this.#log = log;
    this.#topic = topic;
    this.#partition = partition;
    this.#productId = `lk-bench-${runId}-probe-p${partition}`;
    let n = 0;
    while (partitionOfKey(`lk-bench-${runId}-probe-user-${n}`, partitions) !== partition) n++;
    this.#userKey = `lk-bench-${runId}-probe-user-${n}`;
    const q = new URLSearchParams({ key: this.#productId, from: String(range.from), to: String(range.to), mode: 'speed' });
    this.#query = `${url}/v1/views/${PROBE_VIEW}?${q}`;
  }

  /** Appends probe `i` (event time now) and records it as sent; returns the send time. */
  send(ledger: ProbeLedger, i: number): number {
    const at = Date.now();
    ledger.sent(this.#partition, at);
    const value = JSON.stringify({ event_id: `lk-bench-probe-${i}-${at}`, event_type: 'page_view', user_id: this.#userKey, product_id: this.#productId, event_time: new Date(at).toISOString(), session_id: this.#userKey });
    this.#appends = this.#appends.then(() =>
      this.#log.append(this.#topic, [{ key: this.#userKey, value, timestamp: at }]).catch((err: unknown) => {
        this.failedAppends.push(err instanceof Error ? err.message : String(err));
      }),
    );
    return at;
  }

  /** Polls while the partition has pending probes, until all are seen or the last was sent PROBE_TIMEOUT_MS ago. */
  async follow(ledger: ProbeLedger, pollMs: number, sending: () => { done: boolean; lastAt: number }): Promise<void> {
    for (;;) {
      const { done, lastAt } = sending();
      if (done && (ledger.pending(this.#partition) === 0 || Date.now() > lastAt + PROBE_TIMEOUT_MS)) break;
      if (ledger.pending(this.#partition) > 0) {
        const count = await this.#count();
        if (count !== undefined) ledger.observe(this.#partition, count, Date.now());
      }
      await sleep(pollMs);
    }
    await this.#appends;
  }

  /** The partition's probes the API counts now; undefined when the request failed or the namespace is not there yet (404 before lk speed's first commit). */
  async #count(): Promise<number | undefined> {
    const t0 = performance.now();
    try {
      const res = await fetch(this.#query);
      const body = (await res.json()) as { windows?: Array<{ value?: { views?: number } }> };
      this.queryMs.push(performance.now() - t0);
      return res.ok ? (body.windows ?? []).reduce((n, w) => n + (w.value?.views ?? 0), 0) : undefined;
    } catch {
      this.errors++;
      return undefined;
    }
  }
}

/**
 * p50 of the first and the last fifth of the probes (in send order): a latency that keeps growing
 * means the speed layer does not keep up with the load, a flat one that it does.
 */
function trend(inOrder: ReadonlyArray<number | undefined>, seconds: number): string {
  const fifth = Math.max(1, Math.floor(inOrder.length / 5));
  const p50 = (xs: ReadonlyArray<number | undefined>) => latencyStats(xs.filter((l): l is number => l !== undefined))?.p50 ?? '-';
  return `p50 of the first ${(seconds / 5).toFixed(0)} s ${p50(inOrder.slice(0, fifth))} ms, of the last ${p50(inOrder.slice(-fifth))} ms`;
}
