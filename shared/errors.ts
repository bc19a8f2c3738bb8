/**
 * The platform's errors, in one place (as kafkajs keeps its hierarchy). Every error says what to
 * do; `retriable` tells a retry loop (shared/retry-within.ts) whether trying again can help.
 */
export class LkError extends Error {
  readonly retriable: boolean;

  constructor(message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

/** A setting is missing or wrong. The message names the setting and the fix. */
export class ConfigError extends LkError {}

/** A service the configuration names cannot be reached. */
export class ServiceUnavailableError extends LkError {
  readonly service: string;

  constructor(service: string, message: string, cause?: unknown) {
    super(`${service}: ${message}`, { cause, retriable: true });
    this.service = service;
  }
}

/**
 * The view store is down for now (connection refused or lost, server shutting down or starting):
 * the adapter's error mapping decides which of its errors these are, so a runner can wait and try
 * again without knowing the store's error codes.
 */
export class StoreUnavailableError extends ServiceUnavailableError {}

export class ObjectNotFoundError extends LkError {
  readonly key: string;

  constructor(key: string) {
    super(`object not found: ${key}`);
    this.key = key;
  }
}

/** A query or command argument is invalid; the HTTP layer maps it to 400. */
export class BadRequestError extends LkError {
  readonly parameter: string;

  constructor(parameter: string, message: string) {
    super(`${parameter}: ${message}`);
    this.parameter = parameter;
  }
}

/** The thing asked for does not exist (unknown view, no published batch); HTTP 404. */
export class NotFoundError extends LkError {}

/** What a request continues changed under it (a page cursor of a batch run no longer served); HTTP 409: start again. */
export class ConflictError extends LkError {}

/** A namespace whose bulk load (a Kappa replay) stopped before it finished: it has no checkpoints and is never resumed. */
export class UnfinishedLoadError extends LkError {
  readonly namespace: string;

  constructor(namespace: string) {
    super(
      `view namespace "${namespace}" is an unfinished bulk load (a Kappa replay that stopped before its end): it cannot be served, resumed or written; ` +
        'run lk replay again (its cut-over drops it) or drop it',
    );
    this.namespace = namespace;
  }
}

/**
 * This member's work on a partition was taken over by another (a consumer-group rebalance it learnt
 * of late) and refused with nothing of it applied; the job must restart from the stored state (lk
 * speed does so by itself, as a Kafka Streams thread after TaskMigratedException).
 */
export class FencedError extends LkError {}

/**
 * A commit built on a checkpoint the store no longer holds: another member of the consumer group
 * committed the partition after this one restored it (a rebalance moved it while this member still
 * had uncommitted work). This member's work on it is void, never applied; it must restore the
 * partition from the store again (lk speed rejoins the group by itself).
 */
export class PartitionFencedError extends FencedError {
  readonly namespace: string;
  readonly partitions: readonly number[];

  constructor(namespace: string, partitions: readonly number[]) {
    super(
      `partition${partitions.length === 1 ? '' : 's'} ${partitions.join(', ')} of view namespace "${namespace}" ${partitions.length === 1 ? 'was' : 'were'} committed by another member since this one restored ${partitions.length === 1 ? 'it' : 'them'} (a consumer-group rebalance): ` +
        "this member's uncommitted work there is dropped; restart the job to restore from the stored checkpoints",
    );
    this.namespace = namespace;
    this.partitions = partitions;
  }
}

/** beginLoad on a namespace that exists, or a NamespaceLoad used after its finish or its namespace's drop. */
export class LoadStateError extends LkError {
  static exists(namespace: string): LoadStateError {
    return new LoadStateError(`view namespace "${namespace}" already exists: a bulk load builds a new one (drop it first, or load into another name)`);
  }

  static notLoading(namespace: string): LoadStateError {
    return new LoadStateError(`view namespace "${namespace}" is not being loaded (finished already, or dropped)`);
  }
}

/** What is known of the batch an ingest stopped at. */
export interface IngestStopDetail {
  /** Lines of that batch found in the log after a failed send (in `appended`). */
  readonly found: number;
  /** Lines of that batch not known to be in the log. */
  readonly notAppended: number;
  /** Of those, lines sent by an append that failed and not read back since: some may be in the log. */
  readonly inDoubt: number;
  /** The run's id, which starts those records' `lk-ingest` header. */
  readonly runId: string;
}

/**
 * An ingest stopped before its input's end: the log failed to take a batch (it stayed unavailable
 * for the retry time, or refused it). Says exactly what is in the log, so the user can resume.
 */
export class IngestIncompleteError extends LkError {
  /** Records appended and acknowledged: every non-empty line before `resumeLine`, and `found` lines after it. */
  readonly appended: number;
  /** 1-based number of the first line not known to be appended: resume the input there. */
  readonly resumeLine: number;
  readonly found: number;
  readonly notAppended: number;
  readonly inDoubt: number;

  constructor(appended: number, resumeLine: number, cause: unknown, detail: IngestStopDetail = { found: 0, notAppended: 0, inDoubt: 0, runId: '' }) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const found = detail.found > 0 ? `, and ${detail.found} lines after it, found in the log after a failed send` : '';
    const doubt =
      detail.inDoubt > 0
        ? `; ${detail.inDoubt} lines from line ${resumeLine} on were sent by an append that failed and may be in the log too (their lk-ingest header starts with run ${detail.runId})`
        : '';
    super(`${appended} records appended (every non-empty line before line ${resumeLine}${found}); ${detail.found > 0 ? 'the other lines' : 'lines'} from line ${resumeLine} on were not${doubt}: ${reason}`, { cause });
    this.appended = appended;
    this.resumeLine = resumeLine;
    this.found = detail.found;
    this.notAppended = detail.notAppended;
    this.inDoubt = detail.inDoubt;
  }
}

/**
 * A stored or SQL-built measure state that is not the encoding of its measure kind (a corrupt
 * file, a column of another measure, a sketch of another precision): the view must be rebuilt
 * from the master dataset (lk batch) or replayed (lk replay).
 */
export class MeasureStateError extends LkError {
  readonly kind: string;

  constructor(kind: string, expected: string, got: unknown) {
    const shown = typeof got === 'string' ? got.slice(0, 80) : (JSON.stringify(got, (_, v) => (typeof v === 'bigint' ? String(v) : v)) ?? String(got)).slice(0, 80);
    super(`a ${kind} measure state must be ${expected}, got ${shown}: rebuild the view from the master dataset (lk batch) or replay it (lk replay)`);
    this.kind = kind;
  }
}

/**
 * A derived-record writer (dead-letter and late records of one source partition) was fenced: a
 * writer for the same source partition opened since (its new owner after a rebalance, or a
 * restarted process). Nothing of the refused append was written; restart the job to continue from
 * the stored checkpoints.
 */
export class WriterFencedError extends FencedError {
  readonly sourceTopic: string;
  readonly sourcePartition: number;

  constructor(sourceTopic: string, sourcePartition: number, topics: readonly string[], cause?: unknown) {
    super(
      `the writer of ${topics.join(' and ')} for partition ${sourcePartition} of ${sourceTopic} was fenced by a newer one (another member took the partition over, or another process writes these topics): ` +
        'nothing of this append was written; restart the job to continue from the stored checkpoints',
      { cause },
    );
    this.sourceTopic = sourceTopic;
    this.sourcePartition = sourcePartition;
  }
}

/** One failed check of the batch quality gate, as the error reports it. */
export interface QualityGateFailure {
  readonly view: string | null;
  /** The hour (bucket start, epoch ms). */
  readonly bucket: number;
  readonly check: string;
  readonly detail: string;
}

/**
 * The batch quality gate rejected hours of a run: they were not published and their previous
 * versions keep serving (the manifest's `rejected` list says why). `lk batch` exits 1 with it.
 */
export class QualityGateError extends LkError {
  readonly runId: string;
  readonly failures: readonly QualityGateFailure[];

  constructor(runId: string, failures: readonly QualityGateFailure[]) {
    const hours = [...new Set(failures.map((f) => f.bucket))].sort((a, b) => a - b).map((b) => new Date(b).toISOString());
    const first = failures[0];
    super(
      `batch run ${runId}: the quality gate rejected ${hours.length === 1 ? `hour ${hours[0]}` : `${hours.length} hours (${hours.slice(0, 3).join(', ')}${hours.length > 3 ? ', …' : ''})`} ` +
        `with ${failures.length} failed check${failures.length === 1 ? '' : 's'}, first ${first ? `${first.check}${first.view ? ` of view ${first.view}` : ''}: ${first.detail}` : 'none'}; ` +
        'those hours were not published and their previous versions keep serving. Fix the master dataset or the job and run lk batch again, ' +
        'or publish the hours as they are with lk batch --from/--to --skip-quality once you accept the data',
    );
    this.runId = runId;
    this.failures = failures;
  }
}

/** A savepoint cannot be read, or cannot start this job (missing, damaged, another format, a view changed). The message says what to do. */
export class SavepointError extends LkError {}

/**
 * A view of the pipeline differs from the view of the same name in the savepoint a job starts
 * from: its stored panes mean something else. Names each view and what changed in it.
 */
export class ChangedViewError extends SavepointError {
  readonly changes: Readonly<Record<string, readonly string[]>>;

  constructor(savepoint: string, changes: Readonly<Record<string, readonly string[]>>) {
    const list = Object.entries(changes).map(([view, parts]) => `${view} (${parts.join(', ')} changed)`);
    super(
      `savepoint ${savepoint}: view${list.length > 1 ? 's' : ''} ${list.join('; ')} differ${list.length > 1 ? '' : 's'} from the savepoint's definition, so its panes cannot be resumed; ` +
        'give --rebuild-changed to build them again from --new-views-from, or start from a savepoint taken with this definition',
    );
    this.changes = changes;
  }
}

/**
 * `lk run` found its embedded data dir held by another running platform (the embedded view store
 * is one process's): says which process, where it serves, and what to do instead.
 */
export class PlatformRunningError extends LkError {
  readonly holderPid: number;

  constructor(dataDir: string, lockFile: string, holder: { readonly pid: number; readonly host: string; readonly command?: string; readonly url?: string }) {
    const what = `${holder.command ?? 'lk run'} (process ${holder.pid}${holder.url ? `, serving ${holder.url}` : ''})`;
    super(
      `another ${what} already holds the embedded data dir ${dataDir}: query it at its HTTP API and append with \`lk ingest --data-dir ${dataDir}\`; ` +
        `to run a second platform give it its own --data-dir (and --port); to restart this one stop process ${holder.pid} first (kill -TERM ${holder.pid}). ` +
        `If process ${holder.pid} (on host ${holder.host}) is gone, delete ${lockFile}`,
    );
    this.holderPid = holder.pid;
  }
}
