import { readMasterRecords } from '../batch/master-records.ts';
import type { DuckDb } from '../infra/duckdb/duckdb-database.ts';
import type { Pipeline } from '../shared/compute/pipeline.ts';
import type { TopicNames } from '../shared/config.ts';
import type { EventLog } from '../shared/ports/event-log.ts';
import type { ObjectStore } from '../shared/ports/object-store.ts';
import type { QueryService } from '../serving/query-service.ts';
import { WindowExplainer } from '../serving/window-explainer.ts';
import { readLateRecords } from '../speed/late-events.ts';

/**
 * The window explainer over the platform's adapters, as `lk serve` (GET /v1/explain) and
 * `lk explain` both build it: the late topic from the log (opened by `log` when first needed),
 * the master dataset from the object store, read with DuckDB.
 */
export function windowExplainerOf(deps: { service: QueryService; pipeline: Pipeline; topics: TopicNames; log: () => Promise<EventLog>; objects: ObjectStore; db: DuckDb }): WindowExplainer {
  const { service, pipeline, topics, objects, db } = deps;
  return new WindowExplainer({
    service,
    pipeline,
    lateRecords: async () => readLateRecords(await deps.log(), topics, pipeline),
    masterRecords: (from, to) => readMasterRecords(objects, db, from, to),
  });
}
