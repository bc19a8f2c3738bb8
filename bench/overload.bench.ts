import { setTimeout as sleep } from 'node:timers/promises';
import { formatCount, Progress } from '../cli/progress.ts';
import { openAdapters, openEventLog, type Adapters } from '../infra/adapters.ts';
import { compilePipeline } from '../shared/compute/pipeline.ts';
import type { PlatformConfig } from '../shared/config.ts';
import type { AppendRecord, EventLog } from '../shared/ports/event-log.ts';
import { LkError, NotFoundError } from '../shared/errors.ts';
import type { GeneratedRecord } from '../workload/messy-workload.ts';
import { streamWorkload } from '../examples/ecommerce/workload/generator.ts';
import { StreamJob } from '../speed/stream-job.ts';
import { differingViews } from './differing-views.ts';
import type { Figure } from './figure.ts';
import { groupLag } from './group-lag.ts';
import { LkProcess } from './lk-process.ts';

export interface OverloadOptions {
  /** How long the producer appends at twice the measured capacity. */
  readonly seconds: number;
  /** Records appended at once first, whose drain measures the speed layer's capacity. */
  readonly calibrationRecords: number;
  /** Another build's cli/main.ts to run as lk speed (a before/after comparison). */
  readonly speedCli?: string;
  /** More `lk speed` arguments (e.g. `--max-buffered-records 20000`). */
  readonly speedArgs: readonly string[];
  /**
   * lk speed's CPU priority (0 normal, 19 lowest): on a small shared machine the producer in this
   * process cannot outpace a speed layer at normal priority; a lower one makes 2C reachable.
   */
  readonly speedNice: number;
}

export const DEFAULT_OVERLOAD: Omit<OverloadOptions, 'speedArgs'> = { seconds: 60, calibrationRecords: 300_000, speedNice: 0 };

/** How often lag and memory are sampled. */
const SAMPLE_MS = 250;
/** Records per append call at most. */
const APPEND_RECORDS = 20_000;
/** The steady phase at C/2 before the burst. */
const STEADY_MS = 5_000;
/** The recovery phase ends after this many burst lengths even when the job has not caught up. */
const RECOVERY_LIMIT = 6;
/** Generated records the producer cycles through, and the processing time they span. */
const POOL_RECORDS = 100_000;
const POOL_SPAN_MS = 20_000;
/** Appends the paced producer has in flight at most. */
const APPENDS_IN_FLIGHT = 4;
/** The namespace of the unloaded run the overloaded views are compared with. */
const UNLOADED = 'bench_unloaded';

interface Sample {
  readonly at: number;
  readonly appended: number;
  readonly lag: number;
  readonly rssKb: number;
}

/**
 * Overload, as a user would meet it: `lk speed` runs as a child process (as deployed; its memory is
 * its own). First a backlog of `calibrationRecords` is appended and drained: its drain rate is the
 * speed layer's capacity C on this machine now. Then the producer appends at C/2 for 5 s (the lag
 * of a job keeping up), at 2C for `seconds`, then at C/2 until the lag is back to the steady one
 * ("caught up"), then stops. Sampled every
 * 250 ms: the lag (end offsets minus the stored checkpoints) and lk speed's RSS. Then an unloaded
 * in-process run over the same topic builds a second namespace; the two must hold the same windows.
 */
export async function benchOverload(config: PlatformConfig, env: Readonly<Record<string, string | undefined>>, o: OverloadOptions, runId: string): Promise<Figure[]> {
  const progress = new Progress();
  const topic = config.topics.events;
  const pipeline = compilePipeline(config.pipeline);
  const a = await openAdapters(config);
  let speed: LkProcess | undefined;
  const producers: EventLog[] = [];
  try {
    const partitions = await a.log.ensureTopic(topic, config.partitions);
    // Made here, settled before lk speed starts: a loaded broker sometimes reports a topic it just
    // created as missing to the next call (NotFoundError from ensureTopic's partition count), so retry.
    for (const side of [config.topics.deadLetter, config.topics.late]) {
      for (let attempt = 1; ; attempt++) {
        try {
          await a.log.ensureTopic(side, partitions);
          break;
        } catch (err) {
          if (!(err instanceof NotFoundError) || attempt === 10) throw err;
          await sleep(500);
        }
      }
    }
    // The generator (~30 us a record) is slower than the speed layer; a recycled pool is not.
    const pool = [...streamWorkload({ seed: 5, events: POOL_RECORDS, spanMs: POOL_SPAN_MS, startTime: Date.now() - 60_000, users: 5_000, products: 500 }, pipeline.config)];
    // Several producers: each sends one request at a time (idempotent, in order), so one alone is capped by a loaded broker's round trip.
    for (let i = 0; i < APPENDS_IN_FLIGHT; i++) producers.push(await openEventLog(config));
    const producer = new Producer(producers, topic, recycled(pool, POOL_SPAN_MS));
    // Capacity: the drain rate of a backlog that is all there before lk speed starts.
    progress.done(`overload: appending a backlog of ${formatCount(o.calibrationRecords)} records to calibrate on`);
    const backlogStart = Date.now();
    await producer.burst(o.calibrationRecords);
    const producerMax = Math.round(o.calibrationRecords / ((Date.now() - backlogStart) / 1000));
    speed = new LkProcess(['speed', '--group', `lk-bench-overload-${runId}`, '--no-retire', '--metrics-port', '0', ...o.speedArgs], { ...env, LK_TOPIC: topic }, { cli: o.speedCli, nice: o.speedNice });
    const metricsUrl = speed.waitFor(/^speed: metrics on (\S+)/, 120_000);
    await speed.waitFor(/^speed: consuming/, 120_000);
    const sampler = new Sampler(a, topic, speed, (await metricsUrl)[1]);
    const drained = await sampler.until((s) => s.lag === 0 && s.appended === producer.appended, 600_000, (s) => progress.update(`overload: calibration lag ${formatCount(s.lag)}`));
    // From the first sample that saw a commit: lk speed's start-up is not capacity.
    const moving = sampler.samples.find((s) => s.lag < s.appended) ?? drained;
    const capacity = Math.round((moving.lag + (drained.appended - moving.appended)) / Math.max(0.001, (drained.at - moving.at) / 1000));
    const afterCalibrationKb = drained.rssKb;
    progress.done(`overload: capacity ${formatCount(capacity)} events/s; ${o.seconds} s at ${formatCount(2 * capacity)}/s, then ${formatCount(capacity / 2)}/s until caught up`);

    // A steady phase at C/2 first: the lag a keeping-up job shows on this machine now (fetch wait, commit interval, commit time).
    const steadyStart = Date.now();
    await producer.paced(capacity / 2, () => Date.now() - steadyStart >= STEADY_MS, () => progress.update(`overload: steady, lag ${formatCount(sampler.last.lag)}`));
    const steadyLag = Math.max(0, ...sampler.samples.filter((s) => s.at >= steadyStart).map((s) => s.lag));
    const burstStart = Date.now();
    const burst = await producer.paced(2 * capacity, () => Date.now() - burstStart >= o.seconds * 1000, () => progress.update(`overload: burst, lag ${formatCount(sampler.last.lag)}, lk speed RSS ${mb(sampler.last.rssKb)} MB`));
    const burstEnd = Date.now();
    const burstEndKb = sampler.last.rssKb;
    const caughtUpLag = Math.max(steadyLag, Math.round(capacity / 2));
    let caughtUpAt: number | undefined;
    // C/2, or a quarter of what the burst achieved when the producer could not reach 2C: the job must have room to catch up.
    const recoveryRate = Math.min(capacity / 2, burst.records / burst.seconds / 4);
    const recovery = await producer.paced(recoveryRate, () => {
      if (sampler.last.at > burstEnd && sampler.last.lag <= caughtUpLag) caughtUpAt = sampler.last.at;
      return caughtUpAt !== undefined || Date.now() - burstEnd > RECOVERY_LIMIT * o.seconds * 1000;
    }, () => progress.update(`overload: recovery, lag ${formatCount(sampler.last.lag)}`));
    await sampler.until((s) => s.lag === 0 && s.appended === producer.appended, 600_000, (s) => progress.update(`overload: draining, lag ${formatCount(s.lag)}`));
    const memory = await speed.memoryKb();
    sampler.stop();
    const exit = await speed.stop();
    if (exit !== 0) throw new LkError(`lk speed exited with code ${exit} instead of stopping cleanly, so its figures are suspect; its output ends with:\n${speed.tail()}`);
    const during = sampler.samples.filter((s) => s.at >= burstStart);
    const maxLag = Math.max(...during.map((s) => s.lag));
    progress.done(`overload: ${formatCount(producer.appended)} records appended and committed; comparing with an unloaded run`);

    const unloaded = new StreamJob({ log: a.log, views: a.views, pipeline, topics: config.topics }, { namespace: UNLOADED, from: { kind: 'earliest' }, stopAtEnd: true, sideOutputs: false });
    await (await unloaded.start()).done;
    const differing = await differingViews(a, pipeline, 'speed', UNLOADED);
    await a.views.dropNamespace(UNLOADED);

    const ratio = (r: number) => `${(r / capacity).toFixed(2)} x capacity`;
    return [
      { name: 'overload: speed layer capacity (calibration backlog drain)', value: capacity, unit: 'events/s', note: `${formatCount(o.calibrationRecords)} records, Kafka -> lk speed -> PostgreSQL${o.speedNice ? `; lk speed at nice ${o.speedNice}` : ''}` },
      { name: 'overload: producer alone (the backlog, as fast as it goes)', value: producerMax, unit: 'events/s', note: `${APPENDS_IN_FLIGHT} kafkajs producers in the bench process, lk speed not yet running` },
      { name: `overload: ingest during the ${o.seconds} s burst`, value: Math.round(burst.records / burst.seconds), unit: 'events/s', note: `asked 2 x capacity; achieved ${ratio(burst.records / burst.seconds)}` },
      { name: 'overload: ingest after the burst', value: Math.round(recovery.records / Math.max(0.001, recovery.seconds)), unit: 'events/s', note: `asked ${formatCount(Math.round(recoveryRate))}/s (C/2, or a quarter of the burst's achieved rate if less) for ${recovery.seconds.toFixed(1)} s` },
      { name: 'overload: lk speed peak RSS', value: mb(memory?.peak ?? Number.NaN), unit: 'MB', note: `RSS ${mb(afterCalibrationKb)} MB after calibration, ${mb(burstEndKb)} MB at the end of the burst, ${mb(memory?.rss ?? Number.NaN)} MB at the end${o.speedArgs.length ? `; lk speed ${o.speedArgs.join(' ')}` : ''}${o.speedCli ? `; cli ${o.speedCli}` : ''}` },
      {
        name: 'overload: most records lk speed held (its own accounting)',
        value: sampler.maxBuffered ?? 'not reported',
        unit: sampler.maxBuffered === undefined ? undefined : 'records',
        note:
          sampler.maxBuffered === undefined
            ? 'this build has no lk_speed_buffered_records'
            : `lk_speed_buffered_records sampled every ${SAMPLE_MS} ms, bound ${formatCount(sampler.bound ?? Number.NaN)}; paused ${sampler.pauses} times, ${sampler.pausedS.toFixed(1)} s in all`,
      },
      { name: 'overload: maximum lag', value: maxLag, unit: 'records', note: `${(maxLag / capacity).toFixed(1)} s of capacity` },
      {
        name: 'overload: time to catch up after the burst',
        value: caughtUpAt === undefined ? 'not caught up' : Number(((caughtUpAt - burstEnd) / 1000).toFixed(1)),
        unit: caughtUpAt === undefined ? undefined : 's',
        note: `until the lag is back to the steady phase's at C/2 (max ${formatCount(steadyLag)}) or 1 s of the input, whichever is more (${formatCount(caughtUpLag)} records)${caughtUpAt === undefined ? ` within ${RECOVERY_LIMIT * o.seconds} s` : ''}`,
      },
      { name: 'overload: views equal an unloaded run', value: differing.length === 0 ? 'yes' : `no: ${differing.join(', ')}`, note: `every window of every view, ${formatCount(producer.appended)} records` },
    ];
  } finally {
    await speed?.stop().catch(() => undefined);
    for (const p of producers) await p.close();
    await a.close();
  }
}

/**
 * The pool's records over and over, pass k shifted k spans later in time (append and event time)
 * with event ids of its own, so each pass is new traffic after the one before: a record
 * duplicate, too late or malformed in the pool stays so in every pass.
 */
function* recycled(pool: readonly GeneratedRecord[], spanMs: number): Generator<AppendRecord, never> {
  for (let k = 0; ; k++) {
    const shift = k * spanMs;
    for (const r of pool) {
      let value = r.value;
      if (k > 0) {
        try {
          const e = JSON.parse(value) as Record<string, unknown>;
          const t = typeof e.event_time === 'string' ? Date.parse(e.event_time) : Number.NaN;
          if (typeof e.event_id === 'string' && Number.isFinite(t)) value = JSON.stringify({ ...e, event_id: `${e.event_id}-${k}`, event_time: new Date(t + shift).toISOString() });
        } catch {
          // Malformed in the pool: malformed in every pass.
        }
      }
      yield { key: r.key, value, timestamp: r.timestamp + shift };
    }
  }
}

/** Appends generated records through the EventLog port: a backlog at once, or paced at a rate. */
class Producer {
  appended = 0;
  readonly #logs: readonly EventLog[];
  readonly #topic: string;
  readonly #source: Iterator<AppendRecord, unknown>;
  #turn = 0;

  constructor(logs: readonly EventLog[], topic: string, source: Iterator<AppendRecord, unknown>) {
    this.#logs = logs;
    this.#topic = topic;
    this.#source = source;
  }

  /** Appends `n` records as fast as the log takes them. */
  async burst(n: number): Promise<void> {
    await this.paced(Number.POSITIVE_INFINITY, () => this.appended >= n, () => undefined, n);
  }

  /**
   * Appends at `rate` records/s until `stop()` says so (asked every 5 ms at least), with up to
   * APPENDS_IN_FLIGHT appends at once: one at a time, a loaded broker's acknowledgement time
   * would cap the rate. Behind schedule, it catches up in bigger appends. Returns what was acknowledged.
   */
  async paced(rate: number, stop: () => boolean, onTick: () => void, limit = Number.POSITIVE_INFINITY): Promise<{ records: number; seconds: number }> {
    const t0 = Date.now();
    const before = this.appended;
    const inFlight = new Set<Promise<unknown>>();
    let asked = 0;
    while (!stop()) {
      const due = Math.min(limit, Math.floor((rate * (Date.now() - t0)) / 1000)) - asked;
      if (due > 0 && inFlight.size < APPENDS_IN_FLIGHT) {
        const records = this.#take(Math.min(APPEND_RECORDS, due));
        if (records.length === 0) throw new LkError('the workload generator ran dry; lower --overload-seconds');
        asked += records.length;
        const p = this.#send(records).finally(() => inFlight.delete(p));
        inFlight.add(p);
      } else await Promise.race([sleep(5), ...inFlight]);
      onTick();
    }
    await Promise.all(inFlight);
    return { records: this.appended - before, seconds: (Date.now() - t0) / 1000 };
  }

  #take(n: number): AppendRecord[] {
    const records: AppendRecord[] = [];
    for (let i = 0; i < n; i++) {
      const step = this.#source.next();
      if (step.done) break;
      records.push(step.value);
    }
    return records;
  }

  async #send(records: readonly AppendRecord[]): Promise<void> {
    const log = this.#logs[this.#turn++ % this.#logs.length];
    if (records.length > 0) await log.append(this.#topic, records);
    this.appended += records.length;
  }
}

/** Samples the lag (end offsets minus the stored checkpoints of `speed`) and lk speed's RSS every SAMPLE_MS. */
class Sampler {
  readonly samples: Sample[] = [];
  /** From lk speed's /metrics (a build with backpressure metrics): the most records buffered seen, the bound, pauses and time paused. */
  maxBuffered: number | undefined;
  bound: number | undefined;
  pauses = 0;
  pausedS = 0;
  #stopped = false;
  #next: Array<(s: Sample) => void> = [];

  constructor(a: Adapters, topic: string, speed: LkProcess, metricsUrl: string) {
    void (async () => {
      while (!this.#stopped) {
        const t = Date.now();
        void this.#scrape(metricsUrl);
        try {
          const [end, checkpoints, memory] = await Promise.all([a.log.endOffsets(topic), a.views.checkpoints('speed').catch(() => new Map()), speed.memoryKb()]);
          const appended = [...end.values()].reduce((sum, e) => sum + e, 0);
          const s = { at: t, appended, lag: groupLag(end, checkpoints), rssKb: memory?.rss ?? Number.NaN };
          this.samples.push(s);
          for (const f of this.#next.splice(0)) f(s);
        } catch {
          // A sample that failed (a broker busy) is skipped; the next one is taken on time.
        }
        await sleep(Math.max(0, SAMPLE_MS - (Date.now() - t)));
      }
    })();
  }

  async #scrape(url: string): Promise<void> {
    try {
      const body = await (await fetch(url)).text();
      const value = (name: string) => {
        const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(body);
        return m ? Number(m[1]) : undefined;
      };
      const buffered = value('lk_speed_buffered_records');
      if (buffered === undefined) return;
      this.maxBuffered = Math.max(this.maxBuffered ?? 0, buffered);
      this.bound = value('lk_speed_buffered_records_limit');
      this.pauses = value('lk_speed_pauses') ?? this.pauses;
      this.pausedS = value('lk_speed_paused_seconds') ?? this.pausedS;
    } catch {
      // A scrape that failed (lk speed busy) is skipped.
    }
  }

  /** The latest sample (an empty one before the first). */
  get last(): Sample {
    return this.samples[this.samples.length - 1] ?? { at: 0, appended: 0, lag: Number.POSITIVE_INFINITY, rssKb: Number.NaN };
  }

  /** Resolves with the first sample from now on that `done` accepts. */
  async until(done: (s: Sample) => boolean, timeoutMs: number, onSample: (s: Sample) => void): Promise<Sample> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await new Promise<Sample>((resolve) => this.#next.push(resolve));
      onSample(s);
      if (done(s)) return s;
      if (Date.now() > deadline) throw new LkError(`lk speed did not catch up within ${timeoutMs / 1000} s (lag ${s.lag}); its figures would be meaningless`);
    }
  }

  stop(): void {
    this.#stopped = true;
  }
}

function mb(kb: number): number {
  return Math.round(kb / 1024);
}
