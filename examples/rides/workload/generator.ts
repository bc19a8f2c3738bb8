import type { PipelineConfig } from '../../../shared/compute/pipeline.ts';
import { collectWorkload, type Workload } from '../../../workload/collect-workload.ts';
import { messyWorkload, type GeneratedRecord, type WorkloadFacts } from '../../../workload/messy-workload.ts';
import { Random } from '../../../workload/random.ts';
import { schemaMalformer, type SchemaMalformation } from '../../../workload/schema-malformer.ts';
import { WakeQueue } from '../../../workload/wake-queue.ts';
import { countOption, resolveWorkloadOptions, type WorkloadOptions } from '../../../workload/workload-options.ts';
import { City } from './city.ts';
import { calibratePingTiming, Driver, type PingDraft } from './driver.ts';

/** The rides generator's own knobs, beside the shared ones. */
export interface RideOptions {
  readonly drivers: number;
  /** About this many zones (a square grid). */
  readonly zones: number;
}

/** With the demo's three hours of 100,000 pings: a ping every 15 to 20 s per online driver. */
export const DEFAULT_RIDES: RideOptions = { drivers: 300, zones: 25 };

/** Generates a whole rides workload into memory (tests). */
export function generatePings(options: Partial<WorkloadOptions & RideOptions>, config: PipelineConfig): Workload<SchemaMalformation> {
  return collectWorkload(streamPings(options, config));
}

/**
 * The seeded rides workload (messyWorkload around drivers): each slot goes to the driver whose
 * phone pings next. Malformed records are the schema's (schemaMalformer): a missing field (a trip
 * id on a trip too), a mistyped one, a latitude past 90, a seventh decimal, an unknown status,
 * and the record-level breaks.
 */
export function streamPings(options: Partial<WorkloadOptions & RideOptions>, config: PipelineConfig): Generator<GeneratedRecord<SchemaMalformation>, WorkloadFacts<SchemaMalformation>> {
  const o = resolveWorkloadOptions(options, config);
  const drivers = countOption(options, 'drivers', DEFAULT_RIDES.drivers);
  const rng = new Random(o.seed);
  const city = new City(countOption(options, 'zones', DEFAULT_RIDES.zones));
  const timing = calibratePingTiming(drivers, o.events, o.spanMs);
  const queue = new WakeQueue<Driver>();
  const width = String(drivers - 1).length;
  for (let d = 0; d < drivers; d++) queue.push(new Driver(rng, `d-${String(d).padStart(width, '0')}`, city, o.startTime + Math.floor(rng.next() * timing.pingMeanMs)));

  return messyWorkload(o, config, rng, {
    next(r) {
      const driver = queue.pop();
      const draft = driver.ping(r, city);
      driver.scheduleNext(r, timing, city);
      queue.push(driver);
      return draft;
    },
    wire: wireFields,
    malformer: schemaMalformer(config.schema),
  });
}

/** The wire fields of a ping, in the order the app writes them. */
function wireFields(d: PingDraft, eventTime: string | number): Record<string, unknown> {
  const o: Record<string, unknown> = { ping_id: d.ping_id, driver_id: d.driver_id, status: d.status };
  if (d.trip_id !== null) o.trip_id = d.trip_id;
  o.zone = d.zone;
  // Integer units over a power of ten: the double nearest that decimal, which prints as it.
  o.lat = d.lat / 1e6;
  o.lon = d.lon / 1e6;
  o.speed_kmh = d.speed_tenths / 10;
  o.event_time = eventTime;
  return o;
}
