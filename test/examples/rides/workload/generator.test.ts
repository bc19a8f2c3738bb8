import { describe, expect, it } from 'vitest';
import rides, { type Ping } from '../../../../examples/rides/pipeline.ts';
import { generatePings } from '../../../../examples/rides/workload/generator.ts';
import { pipelineConfigOf } from '../../../../shared/compute/define-pipeline.ts';
import { compileValidator } from '../../../../shared/model/validation.ts';
import { messyWorkloadLaws } from '../../../support/messy-workload-laws.ts';

const config = pipelineConfigOf(rides);
const validator = compileValidator(config.schema, config.limits);

messyWorkloadLaws('rides', config, (o) => generatePings({ drivers: 60, zones: 9, ...o }, config));

describe('the rides workload', () => {
  // 100 drivers pinging about every 20 s (with offline breaks) over two hours.
  const w = generatePings({ seed: 4, events: 30_000, spanMs: 2 * 3_600_000, drivers: 100, zones: 16 }, config);
  const pings: Ping[] = [];
  for (const r of w.records) {
    const v = validator.validateRecord(r.value, r.timestamp);
    if (v.ok && r.kind === 'on_time') pings.push(v.event as Ping);
  }
  pings.sort((a, b) => a.event_time - b.event_time);

  it('looks like drivers in a city: every zone visited, drivers coming and going, speeds by status', () => {
    const zones = new Set(pings.map((p) => p.zone));
    expect(zones.size).toBe(16);
    // Active drivers per five minutes vary: some go offline for a while.
    const active = new Map<number, Set<string>>();
    for (const p of pings) {
      const slot = Math.floor(p.event_time / 300_000);
      active.set(slot, (active.get(slot) ?? new Set()).add(p.driver_id));
    }
    const counts = [...active.values()].map((s) => s.size);
    expect(Math.min(...counts.slice(1, -1))).toBeLessThan(100);
    expect(Math.max(...counts)).toBeGreaterThan(80);
    for (const p of pings) {
      expect(p.trip_id === null).toBe(p.status === 'idle');
      expect(p.lat).toBeGreaterThan(52_000_000);
      expect(p.lat).toBeLessThan(53_000_000);
    }
    const onTrip = pings.filter((p) => p.status === 'on_trip');
    expect(onTrip.length).toBeGreaterThan(pings.length / 5);
    expect(Math.max(...onTrip.map((p) => p.speed_kmh))).toBeGreaterThan(700);
  });

  it('keeps a trip within the two-minute session gap and trips of a driver further apart: one session, one trip', () => {
    const byDriver = new Map<string, Ping[]>();
    for (const p of pings) if (p.status === 'on_trip') byDriver.set(p.driver_id, [...(byDriver.get(p.driver_id) ?? []), p]);
    let sessions = 0;
    let oneTrip = 0;
    for (const list of byDriver.values()) {
      let trips = new Set<string>([list[0].trip_id!]);
      for (let i = 1; i <= list.length; i++) {
        if (i === list.length || list[i].event_time - list[i - 1].event_time >= 120_000) {
          sessions++;
          if (trips.size === 1) oneTrip++;
          if (i < list.length) trips = new Set();
        }
        if (i < list.length) trips.add(list[i].trip_id!);
      }
    }
    expect(sessions).toBeGreaterThan(300);
    expect(oneTrip).toBeGreaterThan(0.95 * sessions);
  });
});
