import { randomUuid } from '../../../workload/random-uuid.ts';
import type { Random } from '../../../workload/random.ts';
import type { Ping } from '../pipeline.ts';
import type { City } from './city.ts';

/** One ping as a driver's phone sends it, before its time is set and it is written as JSON. */
export interface PingDraft {
  readonly ping_id: string;
  readonly driver_id: string;
  readonly status: Ping['status'];
  readonly trip_id: string | null;
  readonly zone: string;
  /** Micro-degrees. */
  readonly lat: number;
  readonly lon: number;
  /** Tenths of km/h. */
  readonly speed_tenths: number;
}

/** How often drivers ping, and how often they go offline for a while. */
export interface PingTiming {
  /** Mean time between two pings of a driver while online. */
  readonly pingMeanMs: number;
  /** Chance, at each idle ping, that the driver goes offline for 10 to 40 minutes. */
  readonly offlineChance: number;
}

const OFFLINE_MIN_MS = 10 * 60_000;
const OFFLINE_MAX_MS = 40 * 60_000;
/** A driver rests this long after a trip before the next pickup, so two trips never share a session (gap 2 minutes). */
const REST_AFTER_TRIP_MS = 3 * 60_000;

/**
 * Ping gaps such that `drivers` drivers together send about `events` pings over `spanMs`:
 * a driver's mean cycle (pings and offline breaks) is drivers * spanMs / events. Offline breaks
 * take at most half of it. Keep the cycle under a minute or so for trips to look like trips
 * (a gap of two minutes ends a trip session).
 */
export function calibratePingTiming(drivers: number, events: number, spanMs: number): PingTiming {
  const cycleMs = (drivers * spanMs) / events;
  const offMean = (OFFLINE_MIN_MS + OFFLINE_MAX_MS) / 2;
  const offlineChance = Math.min(0.01, cycleMs / 2 / offMean);
  return { pingMeanMs: Math.max(1_000, (cycleMs - offlineChance * offMean) / (1 - offlineChance)), offlineChance };
}

/** Kilometres per micro-degree of latitude; of longitude at the city's latitude (about 52.5°). */
const KM_PER_MICRO_LAT = 111.32 / 1e6;
const KM_PER_MICRO_LON = (111.32 * Math.cos((52.5 * Math.PI) / 180)) / 1e6;

/**
 * One simulated driver: cruises while idle, is sometimes assigned a trip (drives to the pickup,
 * then the trip at city speeds), rests a little after each, and goes offline now and then, so
 * the drivers active in a zone change over the day.
 */
export class Driver {
  readonly id: string;
  nextWake: number;
  #lat: number;
  #lon: number;
  #heading: number;
  #speed = 0;
  #status: Ping['status'] = 'idle';
  #trip: string | null = null;
  #trips = 0;
  #pingsLeft = 0;
  #restUntil = Number.NEGATIVE_INFINITY;

  constructor(rng: Random, id: string, city: City, firstWake: number) {
    this.id = id;
    this.#lat = city.south + rng.int(0, city.height - 1);
    this.#lon = city.west + rng.int(0, city.width - 1);
    this.#heading = rng.next() * 2 * Math.PI;
    this.nextWake = firstWake;
  }

  /** The ping the driver's phone sends now; the trip state moves on. */
  ping(rng: Random, city: City): PingDraft {
    this.#advanceTrip(rng);
    this.#speed = this.#pickSpeed(rng);
    return {
      ping_id: randomUuid(rng),
      driver_id: this.id,
      status: this.#status,
      trip_id: this.#trip,
      zone: city.zoneOf(this.#lat, this.#lon),
      lat: this.#lat,
      lon: this.#lon,
      speed_tenths: this.#speed,
    };
  }

  /** Moves `nextWake` to the next ping (after an offline break sometimes) and the driver along its heading meanwhile. */
  scheduleNext(rng: Random, t: PingTiming, city: City): void {
    const gap = Math.round(t.pingMeanMs * (0.5 + rng.next()));
    this.#move(gap, rng, city);
    this.nextWake += gap;
    if (this.#status === 'idle' && rng.chance(t.offlineChance)) this.nextWake += rng.int(OFFLINE_MIN_MS, OFFLINE_MAX_MS);
  }

  #advanceTrip(rng: Random): void {
    if (this.#status === 'idle') {
      if (this.nextWake >= this.#restUntil && rng.chance(0.15)) {
        this.#status = 'to_pickup';
        this.#trip = `${this.id}-t${this.#trips++}`;
        this.#pingsLeft = rng.int(2, 6);
      }
      return;
    }
    if (--this.#pingsLeft > 0) return;
    if (this.#status === 'to_pickup') {
      this.#status = 'on_trip';
      this.#pingsLeft = rng.int(8, 40);
      return;
    }
    this.#status = 'idle';
    this.#trip = null;
    this.#restUntil = this.nextWake + REST_AFTER_TRIP_MS;
  }

  #pickSpeed(rng: Random): number {
    if (this.#status === 'idle') return rng.chance(0.3) ? 0 : rng.int(20, 300);
    if (this.#status === 'to_pickup') return rng.int(150, 500);
    // Mostly city speeds, now and then a stretch of motorway.
    return rng.chance(0.1) ? rng.int(700, 1_200) : rng.int(200, 700);
  }

  #move(gapMs: number, rng: Random, city: City): void {
    this.#heading += (rng.next() - 0.5) * 1.0;
    const km = (this.#speed / 10) * (gapMs / 3_600_000);
    let lat = this.#lat + Math.round((km * Math.cos(this.#heading)) / KM_PER_MICRO_LAT);
    let lon = this.#lon + Math.round((km * Math.sin(this.#heading)) / KM_PER_MICRO_LON);
    // Bounce off the city's edge: turn around and stay inside.
    if (lat < city.south || lat >= city.south + city.height || lon < city.west || lon >= city.west + city.width) {
      this.#heading += Math.PI;
      lat = Math.min(city.south + city.height - 1, Math.max(city.south, lat));
      lon = Math.min(city.west + city.width - 1, Math.max(city.west, lon));
    }
    this.#lat = lat;
    this.#lon = lon;
  }
}
