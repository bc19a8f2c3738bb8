import { definePipeline, field, type EventOf, type WorkloadGenerator } from 'lambdakappa/pipeline';
import { streamPings } from './workload/generator.ts';

/**
 * Ride hailing: GPS pings from drivers' phones, every few seconds while they are online, with
 * the trip they are on (if any). Views: per zone, five-minute activity (distinct active drivers,
 * pings, speeds); per driver, sessions of on-trip pings (a gap of two minutes ends one: the
 * generator keeps a driver's trips further apart, so each session is one trip). Its seeded workload is ./workload/
 * (drivers moving over a grid of zones, around the shared disorder, duplicates and malformed
 * records). Run it: `npm start -- --pipeline examples/rides/pipeline.ts`.
 */
export const schema = {
  fields: {
    ping_id: field.string({ minLength: 1 }),
    driver_id: field.string({ minLength: 1 }),
    status: field.enum(['idle', 'to_pickup', 'on_trip']),
    // Set while a trip is assigned (to_pickup, on_trip).
    trip_id: field.string({ minLength: 1, presence: { requiredWhen: { field: 'status', in: ['to_pickup', 'on_trip'] } } }),
    zone: field.string({ minLength: 1, maxLength: 16 }),
    // Degrees to the micro-degree (about 11 cm): stored as integers, compared exactly.
    lat: field.decimal(6, { min: -90, max: 90 }),
    lon: field.decimal(6, { min: -180, max: 180 }),
    // km/h to a tenth, as the phone reports it.
    speed_kmh: field.decimal(1, { min: 0, max: 250 }),
    event_time: field.timestamp(),
  },
  id: 'ping_id',
  time: 'event_time',
  // A driver's pings stay in order in one partition.
  logKey: 'driver_id',
} as const;

/** One validated ping (coordinates in micro-degrees, speed in tenths of km/h). */
export type Ping = EventOf<typeof schema>;

/** Tenths of km/h to km/h; a max over no pings (-Infinity) shows as null. */
const kmh = (tenths: number) => (Number.isFinite(tenths) ? tenths / 10 : null);

export default definePipeline({
  schema,
  workload: streamPings as WorkloadGenerator,
  views: [
    {
      name: 'zone_activity',
      description: 'per zone, five-minute windows: distinct active drivers, pings, pings on trips, mean and top speed',
      key: 'zone',
      window: { kind: 'tumbling', sizeMs: 5 * 60_000 },
      measures: [
        { name: 'drivers', op: 'count_distinct', input: 'driver_id' },
        { name: 'pings', op: 'count' },
        { name: 'on_trip', op: 'count', filter: "status = 'on_trip'" },
        { name: 'speed_sum', op: 'sum', input: 'speed_kmh' },
        { name: 'max_speed', op: 'max', input: 'speed_kmh' },
      ],
      // Counts, a distinct count, a sum and a max: numbers (MeasureResults covers the other kinds too).
      present: (m: Record<string, number>) => ({
        active_drivers: m.drivers,
        pings: m.pings,
        on_trip: m.on_trip,
        mean_speed_kmh: m.pings > 0 ? m.speed_sum / m.pings / 10 : null,
        max_speed_kmh: kmh(m.max_speed),
      }),
    },
    {
      name: 'trip_sessions',
      description: 'per driver, sessions of on-trip pings (gap 2 minutes: one per trip): pings, start, end, top speed',
      key: 'driver_id',
      filter: "status = 'on_trip'",
      window: { kind: 'session', gapMs: 2 * 60_000 },
      measures: [
        { name: 'pings', op: 'count' },
        { name: 'max_speed', op: 'max', input: 'speed_kmh' },
        { name: 'first_ping', op: 'min', input: 'event_time' },
        { name: 'last_ping', op: 'max', input: 'event_time' },
      ],
      present: (m: Record<string, number>, w) => ({
        pings: m.pings,
        start: new Date(w.start).toISOString(),
        end: new Date(w.end).toISOString(),
        duration_s: (m.last_ping - m.first_ping) / 1000,
        max_speed_kmh: kmh(m.max_speed),
      }),
    },
  ],
});
