import type { Pane } from '../shared/compute/pane.ts';
import type { MergedWindow } from '../shared/compute/pane-merge.ts';
import type { CompiledView, Pipeline } from '../shared/compute/pipeline.ts';
import { BadRequestError, ConflictError, NotFoundError, ServiceUnavailableError } from '../shared/errors.ts';
import { identifierProblem } from '../shared/model/identifier.ts';
import { isAfterPosition, type PanePosition, type PaneQuery, type ViewStore } from '../shared/ports/view-store.ts';
import { generationOf, StreamStateCache } from './stream-state-cache.ts';
import { AnswerCache } from './answer-cache.ts';
import { earliestPaneStart } from '../shared/time/bucket.ts';
import { describeWindow, reachOf } from '../shared/time/window.ts';
import { KAPPA_ALIAS } from '../speed/kappa-version.ts';
import type { BatchGateFailure, BatchPaneSource, BatchSnapshot } from './batch-pane-source.ts';
import { collectWindows } from './collect-windows.ts';
import { encodeCursor } from './page-cursor.ts';
import { checkWindowCount, rowBound, type ReadLimits, type RowBound } from './read-bounds.ts';
import type { Layer, LayerPanes } from './layer-merge.ts';
import type { AlertsResult, Freshness, NamespaceStatus, QueryResult, RankedKey, ReplayStatus, ServedWindow, ServiceStatus, TopResult, ViewInfo } from './query-result.ts';
import { checkRankable, rankTotals, topKeys, type KeyTotal } from '../shared/compute/top-keys.ts';
import { presentWindow } from '../shared/compute/view-def.ts';
import { fitsBuckets, type RangeTotal } from '../shared/compute/bucket-totals.ts';
import type { PartitionCheckpoint } from '../shared/compute/partition-processor.ts';
import { SpeedPaneMirror } from './speed-pane-mirror.ts';
import type { ServingMode } from './serving-mode.ts';
import { streamPosition, type StreamPosition } from '../shared/compute/stream-position.ts';
import { isWindowFinal } from './window-finality.ts';
import type { ReplayProgress } from '../speed/replay-progress.ts';
import { alertsOf, sortAlerts, type Alert } from '../shared/compute/alert.ts';

export interface QueryServiceDeps {
  readonly pipeline: Pipeline;
  readonly viewStore: ViewStore;
  readonly batch: BatchPaneSource;
  /** Wall clock (epoch ms), for freshness. */
  readonly clock?: () => number;
  /** The latest Kappa replay's published progress (speed/replay-progress.ts), for status; absent: none shown. */
  readonly replayProgress?: () => Promise<ReplayProgress | undefined>;
}

/** Bounds that keep one query from exhausting the server. */
export interface QueryLimits {
  /** Longest [from, to) a query may ask for. */
  readonly maxRangeMs: number;
  /** Most windows one answer may hold (the largest `limit`). */
  readonly maxWindows: number;
  /** Most panes one query may hold in memory while merging. */
  readonly maxPanes: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = { maxRangeMs: 7 * 86_400_000, maxWindows: 10_000, maxPanes: 1_000_000 };

export interface QueryServiceOptions {
  /** The Lambda speed layer's view-store namespace. */
  readonly speedNamespace?: string;
  /** The alias naming the live Kappa version. */
  readonly kappaAlias?: string;
  readonly limits?: Partial<QueryLimits>;
  /**
   * Reuse the Kappa alias, namespaces and checkpoints for this long, and pane reads while the
   * checkpoints are unchanged (stream-state-cache.ts); 0 (the default) reads them per request.
   */
  readonly streamStateTtlMs?: number;
}

/** One view query: windows overlapping [from, to) (epoch ms, half-open). */
export interface WindowQuery {
  readonly view: string;
  /** Exact key; all keys when absent. */
  readonly key?: string;
  readonly from: number;
  readonly to: number;
  readonly mode: ServingMode;
  /** Most windows in one page (default and maximum: limits.maxWindows); the rest come with the `next` cursor. */
  readonly limit?: number;
  /** Only windows after this (key, start): where the previous page ended (page-cursor.ts). */
  readonly after?: PanePosition;
  /**
   * The state the first page read (page-cursor.ts): later pages must read the same batch run
   * (lambda, batch) and Kappa version (kappa), or are refused with ConflictError (409).
   */
  readonly pinned?: { readonly batchRun: string | null; readonly kappaVersion: string | null };
}

/** A page as kept by the answer cache: the state it was read at, its presented windows and the next cursor. */
interface ServedPage {
  readonly answer: MergedAnswer;
  readonly windows: readonly ServedWindow[];
  readonly next: string | null;
}

/** A top query: the `n` keys with the largest measure `by` over the windows overlapping [from, to). */
export interface TopQuery {
  readonly view: string;
  readonly by: string;
  readonly n: number;
  readonly from: number;
  readonly to: number;
  readonly mode: ServingMode;
}

/** An alerts query: the alerts of the final windows overlapping [from, to) in one mode, of one rule or all. */
export interface AlertQuery {
  readonly from: number;
  readonly to: number;
  readonly mode: ServingMode;
  readonly rule?: string;
}

/** The alerts of a query (epoch ms), and the state they were read at. */
export interface AlertAnswer {
  readonly alerts: readonly Alert[];
  readonly horizon: number | null;
  /** The streaming side's lateness bound (windows ending by it are final there); null in batch mode, or before the stream started. */
  readonly finalBefore: number | null;
  /** How many partitions the streaming side's bound is over (those with a checkpoint); 0 in batch mode. */
  readonly partitions: number;
}

/** The merged windows of a query with raw accumulators, and the state they were read at. */
export interface MergedAnswer {
  readonly view: CompiledView;
  readonly horizon: number | null;
  /** The batch run (manifest runId) whose panes were read; null before the first publish. */
  readonly batchRun: string | null;
  readonly kappaVersion: string | null;
  /** The streaming namespace read (null in batch mode). */
  readonly namespace: string | null;
  /** Its progress, read before its panes (so `final` is never claimed too early); null in batch mode. */
  readonly stream: StreamPosition | null;
  /** The windows, in (key, start) order (those after `after` only). */
  readonly windows: readonly MergedWindow<Layer>[];
  /** Whether windows after the last of `windows` exist that were not read (a bounded page read stopped early). */
  readonly more: boolean;
}

/** Reads of the horizon and the alias before giving up on a consistent snapshot. */
const SNAPSHOT_ATTEMPTS = 3;

/**
 * The serving layer: answers view queries in each mode by fetching panes from the batch layer and
 * the view store and merging them at the horizon (layer-merge.ts). Also lists views and reports
 * status. Knows ports only, so it runs over embedded or real services alike.
 */
export class QueryService {
  readonly #pipeline: Pipeline;
  readonly #viewStore: ViewStore;
  readonly #batch: BatchPaneSource;
  readonly #clock: () => number;
  readonly #replayProgress: (() => Promise<ReplayProgress | undefined>) | undefined;
  readonly #speedNamespace: string;
  readonly #kappaAlias: string;
  readonly #state: StreamStateCache | undefined;
  /** Lambda's speed half in memory, kept current per commit (only with the stream-state cache). */
  readonly #mirror: SpeedPaneMirror | undefined;
  /** Pages and top answers by query and state (only with the stream-state cache). */
  readonly #answers = new AnswerCache<ServedPage>({ maxEntries: 512, maxSize: 2_000, sizeOf: (p) => p.windows.length });
  readonly #tops = new AnswerCache<{ answer: MergedAnswer; keys: RankedKey[] }>({ maxEntries: 256, maxSize: 1_000, sizeOf: (t) => t.keys.length });
  readonly limits: QueryLimits;

  constructor(deps: QueryServiceDeps, options: QueryServiceOptions = {}) {
    this.#pipeline = deps.pipeline;
    this.#viewStore = deps.viewStore;
    this.#batch = deps.batch;
    this.#clock = deps.clock ?? Date.now;
    this.#replayProgress = deps.replayProgress;
    this.#speedNamespace = options.speedNamespace ?? 'speed';
    this.#kappaAlias = options.kappaAlias ?? KAPPA_ALIAS;
    this.limits = { ...DEFAULT_QUERY_LIMITS, ...options.limits };
    const ttl = options.streamStateTtlMs ?? 0;
    this.#state = ttl > 0 ? new StreamStateCache(deps.viewStore, { ttlMs: ttl }) : undefined;
    this.#mirror = ttl > 0 ? new SpeedPaneMirror(deps.viewStore, deps.pipeline, this.#speedNamespace) : undefined;
  }

  /** Panes the speed mirror has read from the store (0 without it). */
  mirrorPanesRead(): number {
    return this.#mirror?.panesRead ?? 0;
  }

  /** Pane reads of the streaming side answered from the stream-state cache, and sent to the store (zeros without it). */
  streamCacheStats(): { hits: number; misses: number } {
    return { hits: this.#state?.hits ?? 0, misses: this.#state?.misses ?? 0 };
  }

  /** Answers served from the answer caches (same query, same state), and computed. */
  answerCacheStats(): { hits: number; misses: number } {
    return { hits: this.#answers.hits + this.#tops.hits, misses: this.#answers.misses + this.#tops.misses };
  }

  /**
   * What an answer of this mode is computed from, as a cache key: the batch run and horizon, the
   * Kappa version, and the generation of the streaming namespace read (stream-state-cache.ts).
   * Undefined without the stream-state cache (answers are then computed per request).
   */
  async #stateKey(mode: ServingMode): Promise<string | undefined> {
    const state = this.#state;
    if (!state) return undefined;
    const [batch, kappa] = await Promise.all([this.#batch.snapshot(), this.#kappaVersion()]);
    const namespace = mode === 'kappa' ? kappa : mode === 'batch' ? null : this.#speedNamespace;
    const streaming = namespace !== null && (mode === 'kappa' || (await state.listNamespaces()).includes(namespace));
    const generation = streaming ? generationOf(await state.checkpoints(namespace), null) : null;
    return JSON.stringify([batch.runId, batch.horizon, kappa, namespace, generation]);
  }

  /** The service's clock (epoch ms): what `now` means in requests. */
  now(): number {
    return this.#clock();
  }

  /** Names of the pipeline's views. */
  viewNames(): string[] {
    return this.#pipeline.views.map((v) => v.name);
  }

  /** The pipeline's views, described for people. */
  views(): ViewInfo[] {
    return this.#pipeline.views.map((v) => ({
      name: v.name,
      description: v.def.description,
      window: describeWindow(v.def.window),
      keyField: v.keyFields.length === 0 ? null : v.keyFields.join(', '),
      measures: v.def.measures.map((m) => m.name),
    }));
  }

  /**
   * One page of the windows of a view overlapping [from, to) in one mode, in (key, start) order,
   * presented, each with whether it is final (window-finality.ts): at most `limit` windows after
   * `q.after`, and `next`, the cursor of the following page (null on the last one). A page may hold
   * fewer than `limit` windows and still have a next one (read-bounds.ts).
   */
  async query(q: WindowQuery): Promise<QueryResult> {
    const limit = q.limit ?? this.limits.maxWindows;
    if (!(Number.isInteger(limit) && limit >= 1 && limit <= this.limits.maxWindows)) {
      throw new BadRequestError('limit', `must be a whole number from 1 to ${this.limits.maxWindows}; got ${limit}`);
    }
    const compute = async (): Promise<ServedPage> => {
      const answer = await this.#merged(q, this.limits, limit);
      const { view, horizon, stream } = answer;
      const lateBefore = stream?.lateBefore ?? Number.NEGATIVE_INFINITY;
      const page = answer.windows.slice(0, limit);
      const last = page[page.length - 1];
      const next =
        last !== undefined && (answer.windows.length > limit || answer.more)
          ? encodeCursor({ view: view.name, key: q.key ?? null, from: q.from, to: q.to, mode: q.mode, after: { key: last.key, start: last.start }, batchRun: answer.batchRun, kappaVersion: answer.kappaVersion })
          : null;
      const windows: ServedWindow[] = page.map((w) => {
        const measures = view.aggregate.named(w.acc, w.states);
        return {
        key: w.key,
        start: iso(w.start)!,
        end: iso(w.end)!,
        // Kappa serves one version, not a Lambda layer: name the version the window came from.
        layers: q.mode === 'kappa' && answer.namespace !== null ? [answer.namespace] : w.tags,
        value: presentWindow(view.def, measures, { start: w.start, end: w.end }),
        measures,
        final: isWindowFinal(q.mode, w.end, horizon, lateBefore),
      };
      });
      // Kept presented (finality depends only on the state the key names), without the raw windows.
      return { answer: { ...answer, windows: [] }, windows, next };
    };
    const stateKey = await this.#stateKey(q.mode);
    const { answer, windows, next } = stateKey === undefined ? await compute() : await this.#answers.get(`w${JSON.stringify([q.view, q.key, q.from, q.to, q.mode, limit, q.after, q.pinned])}${stateKey}`, compute);
    const { view, horizon } = answer;
    return {
      view: view.name,
      mode: q.mode,
      key: q.key ?? null,
      from: iso(q.from)!,
      to: iso(q.to)!,
      batchHorizon: iso(horizon),
      batchRun: answer.batchRun,
      kappaVersion: answer.kappaVersion,
      freshness: this.#freshness(answer),
      windows,
      next,
    };
  }

  /**
   * The `n` keys of a keyed view with the largest measure `by` over the windows overlapping
   * [from, to) in one mode (shared/compute/top-keys.ts), each with its merged measures. Only
   * views whose windows are disjoint (tumbling, session): a sliding window view would count an
   * event once per window holding it. In Lambda mode with the stream-state cache, from per-bucket
   * key totals (#topFromTotals); otherwise reads every key's panes in the range, bounded by maxPanes.
   */
  async top(q: TopQuery): Promise<TopResult> {
    const found = this.#pipeline.views.find((v) => v.name === q.view);
    if (found === undefined) throw new NotFoundError(`unknown view "${q.view}"; known views: ${this.viewNames().join(', ')}`);
    const view = found;
    if (view.keyFields.length === 0) throw new BadRequestError('view', `view ${view.name} is global (one key): query its windows instead`);
    const spec = view.def.window;
    if (spec.kind === 'sliding' && spec.slideMs !== spec.sizeMs) {
      throw new BadRequestError('view', `view ${view.name} has overlapping (sliding) windows, which would count an event in several of them; rank a tumbling or session view`);
    }
    const measures = view.def.measures.map((m) => m.name);
    if (!measures.includes(q.by)) throw new BadRequestError('by', `view ${view.name} has no measure ${JSON.stringify(q.by.slice(0, 40))}; its measures are ${measures.join(', ')}`);
    checkRankable(view, q.by);
    const compute = async (): Promise<{ answer: MergedAnswer; keys: RankedKey[] }> => {
      const fast = await this.#topFromTotals(q, view);
      const merged = fast?.answer ?? (await this.#merged({ view: q.view, from: q.from, to: q.to, mode: q.mode }, this.limits, Number.POSITIVE_INFINITY));
      const ranked = (fast?.keys ?? topKeys(view, merged.windows, q.by, q.n)).map((t) => ({
        key: t.key,
        value: presentWindow(view.def, view.aggregate.named(t.acc, t.states), { start: q.from, end: q.to }),
        windows: t.windows,
        layers: q.mode === 'kappa' && merged.namespace !== null ? [merged.namespace] : t.tags,
      }));
      // Kept without the windows: the ranking is the answer.
      return { answer: { ...merged, windows: [] }, keys: ranked };
    };
    const stateKey = await this.#stateKey(q.mode);
    const { answer, keys } = stateKey === undefined ? await compute() : await this.#tops.get(`t${JSON.stringify([q.view, q.by, q.n, q.from, q.to, q.mode])}${stateKey}`, compute);
    return {
      view: view.name,
      mode: q.mode,
      by: q.by,
      n: q.n,
      from: iso(q.from)!,
      to: iso(q.to)!,
      batchHorizon: iso(answer.horizon),
      batchRun: answer.batchRun,
      kappaVersion: answer.kappaVersion,
      freshness: this.#freshness(answer),
      keys,
    };
  }

  /**
   * A Lambda top-N from per-bucket key totals (BucketTotals): the batch index's below the
   * horizon, the speed mirror's from it on, synced to the checkpoints first. Touches a total per
   * key and bucket the range covers, and panes only in the buckets it cuts. Undefined when they
   * cannot answer (another mode, windows that do not fit in buckets, no mirror, a batch source
   * without totals): the caller then merges every key's windows.
   */
  async #topFromTotals(q: TopQuery, view: CompiledView): Promise<{ answer: MergedAnswer; keys: KeyTotal<Layer>[] } | undefined> {
    const mirror = this.#mirror;
    if (q.mode !== 'lambda' || !mirror || !this.#state || !fitsBuckets(view.def.window, this.#pipeline.config.bucketMs)) return undefined;
    this.#checkQuery(q, this.limits);
    const [batch, kappaVersion] = await Promise.all([this.#batch.snapshot(), this.#kappaVersion()]);
    const horizon = batch.horizon;
    if (horizon === null || batch.rangeTotals === undefined) return undefined;
    const namespace = this.#speedNamespace;
    const streaming = (await this.#state.listNamespaces()).includes(namespace);
    const read = streaming ? await this.#stream(namespace, batch.runId) : null;
    if (read) await mirror.sync(read.checkpoints, horizon);
    const totals = new Map<string, RangeTotal<Layer>>();
    if (!batch.rangeTotals(view.name, q.from, q.to, totals as Map<string, RangeTotal<'batch'>>)) return undefined;
    if (read && !mirror.addRangeTotals(view.name, q.from, q.to, horizon, totals as Map<string, RangeTotal<'speed'>>)) return undefined;
    // A publish meanwhile (the mirror then dropped buckets): the slow path reads again.
    if ((await this.#batch.snapshot()).horizon !== horizon) return undefined;
    const answer: MergedAnswer = { view, horizon, batchRun: batch.runId, kappaVersion, namespace: streaming ? namespace : null, stream: read?.position ?? null, windows: [], more: false };
    return { answer, keys: rankTotals(view, totals, q.by, q.n) };
  }

  #freshness(answer: MergedAnswer): Freshness {
    const { horizon, stream } = answer;
    const now = this.#clock();
    const maxEventTime = stream && Number.isFinite(stream.maxEventTime) ? stream.maxEventTime : null;
    return {
      asOf: iso(now)!,
      batchHorizon: iso(horizon),
      watermark: iso(stream?.watermark),
      finalBefore: iso(stream?.lateBefore),
      maxEventTime: iso(maxEventTime),
      lagMs: maxEventTime === null ? null : now - maxEventTime,
    };
  }

  /**
   * The merged windows of a query with their raw accumulators, for comparisons over a whole
   * dataset: unlike `query` it applies no range or size limit.
   */
  mergedWindows(q: WindowQuery): Promise<MergedAnswer> {
    return this.#merged(q, { maxRangeMs: Number.POSITIVE_INFINITY, maxWindows: Number.POSITIVE_INFINITY, maxPanes: Number.POSITIVE_INFINITY }, Number.POSITIVE_INFINITY);
  }

  /**
   * Reads the horizon and the Kappa alias again after the panes: if a batch was published or a
   * cut-over happened meanwhile (after which the speed layer may expire buckets or the old version
   * may be dropped), the panes may not fit together, so it reads again.
   */
  async #merged(q: WindowQuery, limits: QueryLimits, windowLimit: number): Promise<MergedAnswer> {
    const view = this.#checkQuery(q, limits);
    // Refused before anything is read (read-bounds.ts): the range alone holds too many windows.
    checkWindowCount(view, q.key, q.from, q.to, limits.maxWindows);
    for (let attempt = 1; ; attempt++) {
      // One snapshot per attempt: every batch read of it comes from one publish.
      const [batch, kappaVersion] = await Promise.all([this.#batch.snapshot(), this.#kappaVersion()]);
      const answer = await this.#read(q, view, batch, kappaVersion, { windowLimit, maxPanes: limits.maxPanes });
      const [batchAfter, kappaAfter] = await Promise.all([this.#batch.snapshot(), this.#kappaVersion()]);
      if (batchAfter.horizon === batch.horizon && kappaAfter === kappaVersion) return answer;
      if (attempt >= SNAPSHOT_ATTEMPTS) {
        throw new ServiceUnavailableError('serving', `the batch horizon or the Kappa version changed during ${SNAPSHOT_ATTEMPTS} consecutive reads; retry the query`);
      }
    }
  }

  /**
   * The alerts of a mode: every pipeline rule (or `q.rule`) applied to the final windows
   * (window-finality.ts) of its view overlapping [from, to), one per id, sorted (alert.ts).
   * A window that is not final raises nothing yet, so each mode answers an alert once and for
   * all, and modes that serve the same final windows answer the same alerts. On the streaming
   * side final means ended by `settledBefore` (idle partitions hold it back too), stricter than
   * the `final` flag of a window query.
   */
  async finalAlerts(q: AlertQuery, limits: QueryLimits = this.limits): Promise<AlertAnswer> {
    const rules = q.rule === undefined ? this.#pipeline.alerts : this.#pipeline.alerts.filter((r) => r.name === q.rule);
    if (q.rule !== undefined && rules.length === 0) {
      const known = this.#pipeline.alerts.map((r) => r.name);
      throw new BadRequestError('rule', `no alert rule ${JSON.stringify(q.rule.slice(0, 40))}; the rules are ${known.length === 0 ? 'none (the pipeline declares no alerts)' : known.join(', ')}`);
    }
    const found: Alert[] = [];
    // Without a rule nothing is read but the horizon, so the answer still says what it stands on.
    let horizon: number | null = rules.length === 0 ? (await this.#batch.snapshot()).horizon : null;
    let finalBefore: number | null = null;
    let partitions = 0;
    // Rules over one view share its read.
    const reads = new Map<string, Promise<MergedAnswer>>();
    for (const rule of rules) {
      let read = reads.get(rule.view);
      if (!read) reads.set(rule.view, (read = this.#merged({ view: rule.view, from: q.from, to: q.to, mode: q.mode }, { ...limits, maxWindows: Number.POSITIVE_INFINITY }, Number.POSITIVE_INFINITY)));
      const answer = await read;
      const view = answer.view;
      // The strict bound: an idle partition may still change a window the usual bound calls final.
      const lateBefore = answer.stream?.settledBefore ?? Number.NEGATIVE_INFINITY;
      horizon = answer.horizon;
      finalBefore = answer.stream === null || !Number.isFinite(lateBefore) ? null : lateBefore;
      partitions = answer.stream?.partitions ?? 0;
      const final = answer.windows.filter((w) => isWindowFinal(q.mode, w.end, answer.horizon, lateBefore));
      found.push(...alertsOf(rule, final.map((w) => ({ key: w.key, start: w.start, end: w.end, measures: view.aggregate.named(w.acc, w.states) }))));
    }
    return { alerts: sortAlerts(found), horizon, finalBefore, partitions };
  }

  /** `finalAlerts` as served: times in ISO-8601. */
  async alerts(q: AlertQuery): Promise<AlertsResult> {
    const answer = await this.finalAlerts(q);
    return {
      mode: q.mode,
      from: iso(q.from)!,
      to: iso(q.to)!,
      rule: q.rule ?? null,
      batchHorizon: iso(answer.horizon),
      finalBefore: iso(answer.finalBefore),
      alerts: answer.alerts.map((a) => ({ ...a, start: iso(a.start)!, end: iso(a.end)! })),
    };
  }

  /** Views, horizon, namespaces, the Kappa alias and each namespace's checkpoints, summarised, and the latest replay's progress. */
  async status(): Promise<ServiceStatus> {
    const [batch, kappaVersion, names, replay] = await Promise.all([this.#batch.snapshot(), this.#kappaVersion(), this.#viewStore.listNamespaces(), this.#replayProgress?.() ?? undefined]);
    const horizon = batch.horizon;
    const namespaces: NamespaceStatus[] = [];
    for (const namespace of names.sort()) {
      const pos = await this.#position(namespace);
      namespaces.push({
        namespace,
        partitions: pos.partitions,
        recordsRead: pos.nextOffsets,
        maxEventTime: iso(pos.maxEventTime),
        watermark: iso(pos.watermark),
        finalBefore: iso(pos.lateBefore),
        totals: pos.totals,
      });
    }
    const now = this.#clock();
    let replayStatus: ReplayStatus | null = null;
    if (replay !== undefined) {
      // How far the version being built is behind the one serving, in event time.
      const serving = namespaces.find((n) => n.namespace === kappaVersion && n.namespace !== replay.version)?.maxEventTime ?? null;
      const building = replay.state === 'running' || replay.state === 'gating';
      replayStatus = {
        ...replay,
        ageMs: now - Date.parse(replay.updatedAt),
        behindServingMs: building && serving !== null && replay.maxEventTime !== null ? Math.max(0, Date.parse(serving) - Date.parse(replay.maxEventTime)) : null,
      };
    }
    return {
      asOf: iso(now)!,
      views: this.viewNames(),
      batchHorizon: iso(horizon),
      batchRun: batch.runId,
      batchQuality: { lastFailure: lastGateFailure(batch.gateFailures ?? []) },
      speedNamespace: this.#speedNamespace,
      kappa: { alias: this.#kappaAlias, namespace: kappaVersion },
      namespaces,
      replay: replayStatus,
    };
  }

  #checkQuery(q: WindowQuery, limits: QueryLimits): CompiledView {
    const names = this.viewNames();
    if (!names.includes(q.view)) throw new NotFoundError(`unknown view "${q.view}"; known views: ${names.join(', ')}`);
    for (const [name, t] of [['from', q.from], ['to', q.to]] as const) {
      if (!Number.isSafeInteger(t)) throw new BadRequestError(name, `must be a time in whole epoch milliseconds; got ${t}`);
    }
    if (q.to <= q.from) throw new BadRequestError('to', `must be after from (${iso(q.from)}); got ${iso(q.to)}`);
    if (q.to - q.from > limits.maxRangeMs) {
      throw new BadRequestError('from', `the range ${iso(q.from)} to ${iso(q.to)} is longer than the maximum of ${limits.maxRangeMs / 3_600_000} hours; narrow it`);
    }
    const view = this.#pipeline.view(q.view);
    if (q.key !== undefined) {
      const problem = identifierProblem(q.key);
      if (problem !== undefined) throw new BadRequestError('key', `${problem}, as event keys are; omit it for all keys`);
      // A global view has one window series and no key to match: answering no windows would read as "no data".
      if (view.keyFields.length === 0) throw new BadRequestError('key', `view ${view.name} is global (not keyed); omit key`);
    }
    return view;
  }

  async #read(q: WindowQuery, view: CompiledView, batch: BatchSnapshot, kappaVersion: string | null, limits: ReadLimits): Promise<MergedAnswer> {
    const { mode } = q;
    const { horizon } = batch;
    this.#checkPinned(q, batch.runId, kappaVersion);
    if (mode === 'batch' && horizon === null) throw new NotFoundError('no batch view is published yet; run the batch job first, or query mode=speed');
    if (mode === 'kappa' && kappaVersion === null) {
      throw new NotFoundError(`no Kappa version is live: the "${this.#kappaAlias}" alias points nowhere yet; run \`lk replay\` to build one`);
    }
    const namespace = mode === 'kappa' ? kappaVersion : mode === 'batch' ? null : this.#speedNamespace;
    // A speed layer that never started has no namespace; the adapters need not accept queries on it.
    const streaming = namespace !== null && (mode === 'kappa' || (await (this.#state ?? this.#viewStore).listNamespaces()).includes(namespace));
    if (!streaming && mode === 'speed') throw new NotFoundError(`the speed layer has not written anything yet (no "${namespace}" namespace); start \`lk speed\``);
    if (!streaming && mode === 'lambda' && horizon === null) {
      throw new NotFoundError('nothing to serve yet: no batch view is published and the speed layer has not started');
    }
    const read = streaming ? await this.#stream(namespace, batch.runId) : null;
    const stream = read?.position ?? null;
    // Lambda's speed half from memory (speed-pane-mirror.ts) when a top-N has synced it to the
    // checkpoints just read; a lookup never waits for a sync: one key's read from the store (once
    // per generation, stream-state-cache.ts) costs less than reading every key's open windows.
    const mirror =
      this.#mirror && read && mode === 'lambda' && horizon !== null && namespace === this.#speedNamespace && this.#mirror.holds(view.name) && this.#mirror.isAt(read.checkpoints, horizon) ? this.#mirror : undefined;
    const queryPanes = async (query: PaneQuery) =>
      mirror?.query(query) ?? (this.#state && read ? this.#state.queryPanes(namespace!, query, read.generation) : this.#viewStore.queryPanes(namespace!, query));
    const useBatch = (mode === 'lambda' || mode === 'batch') && horizon !== null;
    const minBucket = mode === 'lambda' && horizon !== null ? horizon : undefined;
    const bucketMs = this.#pipeline.config.bucketMs;
    const reach = reachOf(view.def.window);
    const tooManyPanes = () => new BadRequestError('from', `the range holds more than ${limits.maxPanes} partial results; narrow from/to or pass a key`);
    // Fixed windows are read as pages: rows in (key, start) order from the cursor on, bounded; a
    // window's panes all share its (key, start), so every window before the last row read is whole.
    // Session fragments start before their session, so sessions are read whole and paged in memory.
    const paged = view.def.window.kind !== 'session' && Number.isFinite(limits.windowLimit);
    const ordered = paged ? { after: q.after } : undefined;
    let cut: PanePosition | undefined;
    // Batch panes are one per (key, window, bucket); speed panes one per partition besides.
    const batchBound = rowBound(view, limits, bucketMs, 1);
    const speedBound = rowBound(view, limits, bucketMs, stream?.partitions ?? 1);
    const bounded = async (bound: RowBound, read: (maxRows: number | undefined) => Promise<Pane[]>): Promise<Pane[]> => {
      const panes = await read(bound.rows);
      if (bound.rows === undefined || panes.length < bound.rows) return panes;
      if (!paged) throw tooManyPanes();
      const lastRow = panes[panes.length - 1];
      if (cut === undefined || !isAfterPosition(lastRow.key, lastRow.start, cut)) cut = { key: lastRow.key, start: lastRow.start };
      return panes;
    };
    const fetch = async (from: number, to: number): Promise<LayerPanes> => {
      const [batchPanes, speed] = await Promise.all([
        useBatch ? bounded(batchBound, (maxRows) => batch.panes({ view: view.name, key: q.key, from, to, maxBucket: horizon, ordered, maxRows })) : [],
        streaming
          ? bounded(speedBound, (maxRows) => queryPanes({ view: view.name, key: q.key, from, to, minBucket, minStart: earliestPaneStart(from, bucketMs, reach), ordered, maxRows }))
          : [],
      ]);
      return { batch: batchPanes, speed };
    };
    const windows = await collectWindows(
      {
        view,
        mode,
        horizon,
        from: q.from,
        to: q.to,
        maxPanes: limits.maxPanes,
        tooManyPanes,
      },
      fetch,
    );
    // Whole windows only: those before the first row a bounded read did not get past.
    const whole = windows.filter((w) => isAfterPosition(w.key, w.start, q.after) && (cut === undefined || isAfterPosition(cut.key, cut.start, w)));
    if (cut !== undefined && whole.length === 0) {
      throw new BadRequestError('from', `window ${cut.key} at ${iso(cut.start)} alone has more partial results than a page may read; narrow from/to or pass a key`);
    }
    return { view, horizon, batchRun: batch.runId, kappaVersion, namespace, stream, windows: whole, more: cut !== undefined };
  }

  /**
   * A page of a cursor reads the batch run and Kappa version the first page read, or none: the
   * batch index holds one publish and a Kappa version is replaced whole, so a page of another one
   * would mix two datasets (windows counted twice or not at all across pages). Streaming panes
   * do change between pages (as with `search_after` without a point in time).
   */
  #checkPinned(q: WindowQuery, batchRun: string | null, kappaVersion: string | null): void {
    const pinned = q.pinned;
    if (pinned === undefined) return;
    if ((q.mode === 'lambda' || q.mode === 'batch') && pinned.batchRun !== batchRun) {
      throw new ConflictError(`the batch views were published again since the first page (run ${pinned.batchRun ?? 'none'}, now ${batchRun ?? 'none'}): the data changed, restart from the first page (without cursor)`);
    }
    if (q.mode === 'kappa' && pinned.kappaVersion !== kappaVersion) {
      throw new ConflictError(`the live Kappa version changed since the first page (${pinned.kappaVersion ?? 'none'}, now ${kappaVersion ?? 'none'}): the data changed, restart from the first page (without cursor)`);
    }
  }

  async #kappaVersion(): Promise<string | null> {
    return (await (this.#state ?? this.#viewStore).getAlias(this.#kappaAlias)) ?? null;
  }

  async #position(namespace: string): Promise<StreamPosition> {
    return (await this.#stream(namespace, null)).position;
  }

  /** A namespace's position, and the generation its panes are cached under (stream-state-cache.ts). */
  async #stream(namespace: string, batchRun: string | null): Promise<{ position: StreamPosition; generation: string; checkpoints: ReadonlyMap<number, PartitionCheckpoint> }> {
    const checkpoints = await (this.#state ?? this.#viewStore).checkpoints(namespace);
    return { position: streamPosition(checkpoints.values(), this.#pipeline.config.lateness), generation: generationOf(checkpoints, batchRun), checkpoints };
  }
}

/** ISO-8601 UTC, or null for no time (null, undefined, -Infinity). */
function iso(t: number | null | undefined): string | null {
  return t !== null && t !== undefined && Number.isFinite(t) ? new Date(t).toISOString() : null;
}

/** The status's summary of the last gate failure. */
function lastGateFailure(failures: readonly BatchGateFailure[]): ServiceStatus['batchQuality']['lastFailure'] {
  if (failures.length === 0) return null;
  const { runId, at } = failures[0];
  return { runId, at, failures: failures.map((f) => ({ view: f.view, hour: iso(f.bucket)!, check: f.check, detail: f.detail })) };
}
