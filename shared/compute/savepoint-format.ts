import { SavepointError } from '../errors.ts';
import type { LatenessPolicy } from '../time/watermark.ts';
import type { SeenIds } from './dedup.ts';
import type { Pane } from './pane.ts';
import type { PartitionCheckpoint } from './partition-processor.ts';
import type { ViewSignature } from './view-signature.ts';

/**
 * The savepoint format, version 1 (docs/architecture.md, "Savepoints"): a portable copy of one
 * view-store namespace's committed state, in two JSON objects of the object store. The
 * descriptor (`savepoint.json`, plain JSON, written last: a savepoint without it does not exist)
 * says what the savepoint holds and is all that `list` and `inspect` read; the state
 * (`state.json.gz`, gzipped JSON) holds the panes and dedup ids a job starts from.
 */
export const SAVEPOINT_FORMAT = 'lk-savepoint';
export const SAVEPOINT_STATE_FORMAT = 'lk-savepoint-state';
export const SAVEPOINT_VERSION = 1;
/** Ids are `sp_<yyyymmddhhmmss>_<4 characters>` (shared/run-id.ts): they sort by age. */
export const SAVEPOINT_ID_PATTERN = /^sp_\d{14}_[a-z0-9]{4}$/;

export interface SavepointView {
  /** viewFingerprint of the signature: equal definitions, equal fingerprints. */
  readonly fingerprint: string;
  /** The definition the panes were computed with (to say what changed when it differs). */
  readonly signature: ViewSignature;
  /** Panes stored, and how many of them are still open (a later event can change them). */
  readonly panes: number;
  readonly openPanes: number;
}

export interface SavepointPartition {
  readonly partition: number;
  /** The partition's checkpoint: next offset, watermark progress, max event and last append time, counts. */
  readonly checkpoint: PartitionCheckpoint;
  readonly panes: number;
  /** Dedup ids still remembered at the checkpoint. */
  readonly ids: number;
}

export interface SavepointDescriptor {
  readonly format: typeof SAVEPOINT_FORMAT;
  readonly version: typeof SAVEPOINT_VERSION;
  readonly id: string;
  /** ISO-8601 UTC. */
  readonly createdAt: string;
  /** The pipeline file it was taken with. */
  readonly pipeline: string;
  /** The namespace it copies (`speed`, `kappa_vN`). */
  readonly namespace: string;
  readonly topic: string;
  /** Partitions of the topic when taken: a job on a topic with another count cannot use it (keys would land elsewhere). */
  readonly partitionCount: number;
  /** The pipeline settings every view's panes and every checkpoint depend on. */
  readonly bucketMs: number;
  readonly lateness: LatenessPolicy;
  readonly dedupRetentionMs: number;
  readonly views: Readonly<Record<string, SavepointView>>;
  /** The checkpointed partitions, by partition. */
  readonly partitions: readonly SavepointPartition[];
  /** Where the state is, its size and SHA-256 (of the gzipped bytes): a damaged or swapped state is refused. */
  readonly state: { readonly key: string; readonly bytes: number; readonly sha256: string };
}

/** One partition's panes and ids (the panes as stored, every one of them: final and open). */
export interface SavepointPartitionState {
  readonly partition: number;
  readonly panes: readonly Pane[];
  readonly seen: SeenIds;
}

export interface SavepointState {
  readonly format: typeof SAVEPOINT_STATE_FORMAT;
  readonly version: typeof SAVEPOINT_VERSION;
  readonly id: string;
  readonly partitions: readonly SavepointPartitionState[];
}

/** An accumulator slot in JSON: min and max start at ±Infinity, which JSON has no number for. */
type JsonSlot = number | 'Infinity' | '-Infinity' | 'NaN';

/** The state as the JSON text that is gzipped into `state.json.gz`. */
export function stateJson(state: SavepointState): string {
  return JSON.stringify({
    ...state,
    partitions: state.partitions.map((p) => ({ ...p, panes: p.panes.map((pane) => ({ ...pane, acc: pane.acc.map(jsonSlot) })) })),
  });
}

/** The descriptor as JSON text. */
export function descriptorJson(d: SavepointDescriptor): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}

/** Parses and checks a descriptor; `key` names the object in errors. */
export function parseDescriptor(text: string, key: string): SavepointDescriptor {
  const d = parseJson(text, key) as Partial<SavepointDescriptor> & { format?: unknown; version?: unknown };
  checkHeader(d, SAVEPOINT_FORMAT, key);
  const damaged = (what: string) => new SavepointError(`${key} is damaged (${what}): delete the savepoint (lk savepoint delete) and take another`);
  if (typeof d.id !== 'string' || !SAVEPOINT_ID_PATTERN.test(d.id)) throw damaged('id');
  if (typeof d.namespace !== 'string' || typeof d.topic !== 'string' || typeof d.createdAt !== 'string' || typeof d.pipeline !== 'string') throw damaged('namespace, topic, pipeline or createdAt');
  if (!Number.isInteger(d.partitionCount) || d.partitionCount! < 1 || !Number.isInteger(d.bucketMs) || typeof d.dedupRetentionMs !== 'number' || typeof d.lateness !== 'object') throw damaged('partitionCount, bucketMs, lateness or dedupRetentionMs');
  if (typeof d.views !== 'object' || d.views === null || Object.values(d.views).some((v) => typeof v?.fingerprint !== 'string' || typeof v.signature !== 'object')) throw damaged('views');
  if (!Array.isArray(d.partitions) || d.partitions.some((p) => !Number.isInteger(p?.partition) || !Number.isInteger(p.checkpoint?.nextOffset) || p.checkpoint.partition !== p.partition)) throw damaged('partitions');
  if (typeof d.state?.key !== 'string' || typeof d.state.sha256 !== 'string') throw damaged('state');
  return d as SavepointDescriptor;
}

/** Parses and checks a state against its descriptor. */
export function parseState(text: string, descriptor: SavepointDescriptor): SavepointState {
  const key = descriptor.state.key;
  const s = parseJson(text, key) as Partial<SavepointState> & { format?: unknown; version?: unknown };
  checkHeader(s, SAVEPOINT_STATE_FORMAT, key);
  const damaged = (what: string) => new SavepointError(`${key} is damaged (${what}): delete the savepoint (lk savepoint delete) and take another`);
  if (s.id !== descriptor.id) throw damaged(`it belongs to savepoint ${String(s.id)}`);
  if (!Array.isArray(s.partitions)) throw damaged('partitions');
  const expected = descriptor.partitions.map((p) => p.partition).join(',');
  if (s.partitions.map((p) => p?.partition).join(',') !== expected) throw damaged('its partitions are not the descriptor\'s');
  const partitions = s.partitions.map((p, i): SavepointPartitionState => {
    const want = descriptor.partitions[i];
    if (!Array.isArray(p.panes) || p.panes.length !== want.panes || !Array.isArray(p.seen?.ids) || p.seen.ids.length !== want.ids || p.seen.times?.length !== want.ids) {
      throw damaged(`partition ${p.partition}: pane or id count`);
    }
    const panes = (p.panes as readonly Pane[]).map((pane) => {
      const acc = (pane.acc as unknown as JsonSlot[] | undefined)?.map(Number);
      if (typeof pane.view !== 'string' || typeof pane.key !== 'string' || !Number.isSafeInteger(pane.start) || !Number.isSafeInteger(pane.end) || !Number.isSafeInteger(pane.bucket) || !acc) {
        throw damaged(`partition ${p.partition}: a pane`);
      }
      return { view: pane.view, key: pane.key, start: pane.start, end: pane.end, bucket: pane.bucket, acc };
    });
    return { partition: p.partition, panes, seen: { ids: p.seen.ids, times: p.seen.times } };
  });
  return { format: SAVEPOINT_STATE_FORMAT, version: SAVEPOINT_VERSION, id: descriptor.id, partitions };
}

function jsonSlot(v: number): JsonSlot {
  return Number.isFinite(v) ? v : (String(v) as JsonSlot);
}

function parseJson(text: string, key: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new SavepointError(`${key} is not JSON (${(err as Error).message}): delete the savepoint (lk savepoint delete) and take another`);
  }
}

function checkHeader(o: { format?: unknown; version?: unknown } | null, format: string, key: string): void {
  if (typeof o !== 'object' || o === null || o.format !== format) throw new SavepointError(`${key} is not a savepoint (no "format": "${format}"): delete it, or point at a savepoint's id`);
  if (o.version !== SAVEPOINT_VERSION) {
    throw new SavepointError(`${key} has format version ${String(o.version)}; this build reads version ${SAVEPOINT_VERSION}: take a new savepoint with this build (or start with the build that wrote it)`);
  }
}
