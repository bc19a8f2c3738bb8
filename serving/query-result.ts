import type { MeasureResults } from '../shared/compute/aggregate.ts';
import type { PartitionStats } from '../shared/compute/partition-processor.ts';
import type { PresentedValues } from '../shared/compute/view-def.ts';
import type { ServingMode } from './serving-mode.ts';
import type { ReplayProgress } from '../speed/replay-progress.ts';

/**
 * The serving layer's answers, JSON-ready: every time is ISO-8601 UTC (null when there is none
 * yet), so the HTTP layer returns them as they are.
 */

/** One window of a view, as served. */
export interface ServedWindow {
  readonly key: string;
  readonly start: string;
  readonly end: string;
  /** Its provenance: the Lambda layers (batch, speed) whose panes were merged into it, or in kappa mode the Kappa version (e.g. kappa_v3). */
  readonly layers: readonly string[];
  /** The view's presentation of its measures. */
  readonly value: PresentedValues;
  /** Its measures by name (counts, cents, epoch ms as stored; the other kinds' answers): what a comparison with another source needs. */
  readonly measures: MeasureResults;
  /** No event can change it any more (see QueryService.query). */
  readonly final: boolean;
}

/** How current the answer is. */
export interface Freshness {
  /** When the answer was computed (the service's clock). */
  readonly asOf: string;
  /** Events before this are served from batch (exclusive bound). */
  readonly batchHorizon: string | null;
  /** The streaming side's watermark (min over partitions); null for batch mode or before every partition saw an event. */
  readonly watermark: string | null;
  /** Windows ending at or before this are final on the streaming side. */
  readonly finalBefore: string | null;
  /** Latest event time the streaming side has seen. */
  readonly maxEventTime: string | null;
  /** asOf minus maxEventTime: how far the newest served event is behind the clock. */
  readonly lagMs: number | null;
}

/** What every answer says about where its data came from. */
export interface Provenance {
  readonly view: string;
  readonly mode: ServingMode;
  readonly from: string;
  readonly to: string;
  readonly batchHorizon: string | null;
  /** The batch run (manifest runId) that published the batch panes read (null before the first publish). */
  readonly batchRun: string | null;
  /** The namespace the `kappa` alias points at (null before the first replay). */
  readonly kappaVersion: string | null;
  readonly freshness: Freshness;
}

export interface QueryResult extends Provenance {
  readonly key: string | null;
  /** One page of the windows, in (key, start) order. */
  readonly windows: readonly ServedWindow[];
  /** The cursor of the next page (pass it as `cursor`), or null on the last page. */
  readonly next: string | null;
}

/** One key of a top answer. */
export interface RankedKey {
  readonly key: string;
  /** The view's presentation of the key's measures over all its windows in the range. */
  readonly value: PresentedValues;
  /** How many windows were merged into it. */
  readonly windows: number;
  /** The layers (or the Kappa version) that served them. */
  readonly layers: readonly string[];
}

/** The answer of a top query: keys by descending measure. */
/** One alert as served (shared/compute/alert.ts), its window in ISO-8601. */
export interface ServedAlert {
  readonly id: string;
  readonly rule: string;
  readonly view: string;
  readonly key: string;
  readonly start: string;
  readonly end: string;
  readonly measures: MeasureResults;
}

/** `GET /v1/alerts`: the alerts of final windows overlapping [from, to) in one mode. */
export interface AlertsResult {
  readonly mode: ServingMode;
  readonly from: string;
  readonly to: string;
  readonly rule: string | null;
  readonly batchHorizon: string | null;
  /** Windows ending at or before this are final on the streaming side (null in batch mode or before the stream started). */
  readonly finalBefore: string | null;
  /** Sorted by window start, rule, key; one per id. */
  readonly alerts: readonly ServedAlert[];
}

export interface TopResult extends Provenance {
  readonly by: string;
  readonly n: number;
  readonly keys: readonly RankedKey[];
}

/** A view as listed by the API. */
export interface ViewInfo {
  readonly name: string;
  readonly description: string;
  /** e.g. "sliding 10m every 1m". */
  readonly window: string;
  /** The event field(s) that key it (several comma-separated: a composite key, key-encoding.ts); null for a global view (its one key is `*`). */
  readonly keyField: string | null;
  readonly measures: readonly string[];
}

/** One streaming namespace's progress, from its checkpoints. */
export interface NamespaceStatus {
  readonly namespace: string;
  readonly partitions: number;
  readonly recordsRead: number;
  readonly maxEventTime: string | null;
  readonly watermark: string | null;
  readonly finalBefore: string | null;
  readonly totals: PartitionStats;
}

export interface ServiceStatus {
  readonly asOf: string;
  readonly views: readonly string[];
  readonly batchHorizon: string | null;
  /** The batch run being served (the manifest's runId); null before the first publish. */
  readonly batchRun: string | null;
  /**
   * The last batch run whose quality gate rejected hours (their previous versions keep serving):
   * when, and each failed check with its hour; null when no rejection is recorded.
   */
  readonly batchQuality: { readonly lastFailure: { readonly runId: string; readonly at: string; readonly failures: readonly { readonly view: string | null; readonly hour: string; readonly check: string; readonly detail: string }[] } | null };
  readonly speedNamespace: string;
  readonly kappa: { readonly alias: string; readonly namespace: string | null };
  readonly namespaces: readonly NamespaceStatus[];
  /** The latest Kappa replay (`lk replay`) as it published its progress: the version it builds while the alias's keeps serving; null when none did. */
  readonly replay: ReplayStatus | null;
}

/** A replay's published progress, with how old that is and how far the version is behind the one serving. */
export interface ReplayStatus extends ReplayProgress {
  /** asOf minus updatedAt: a replay that stopped without saying so stops updating. */
  readonly ageMs: number;
  /** While it builds: the serving version's latest event time minus the new version's (ms); null otherwise. */
  readonly behindServingMs: number | null;
}
