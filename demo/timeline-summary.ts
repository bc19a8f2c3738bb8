import { formatDuration } from '../shared/metrics/format-duration.ts';
import type { DemoResult } from './run-demo.ts';
import { MODE_NAMES } from '../compare/comparison-report.ts';

const n = (x: number) => Math.round(x).toLocaleString('en-US');
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const hm = (iso: string | number | null) => (iso === null ? 'none' : new Date(iso).toISOString().slice(11, 16));

/** The timeline, ledger, freshness, backfill and cost as text for the terminal (after the comparison table). */
export function formatTimelineSummary(r: DemoResult): string {
  const t = r.timeline;
  const lines: string[] = [];
  lines.push(`Timeline: ${t.simStart.slice(0, 16)} to ${t.simEnd.slice(0, 16)} UTC simulated, ${t.speedup === Number.POSITIVE_INFINITY ? 'as fast as the work allows' : `${t.speedup}x`} (${s(t.wallMs)} wall); hourly batch at minute ${t.hourlyRunMinute}, daily at 00:30.`);
  lines.push(`Batch runs: ${t.batchRuns.map((b) => `${hm(b.at)} ${b.kind} ${b.buckets.length}h→horizon ${hm(b.horizon)}`).join('; ') || 'none'}.`);
  lines.push('', 'at     horizon  ' + MODE_NAMES.map((m) => `${m} exact`.padStart(14)).join('') + '   lambda windows from batch / speed');
  for (const i of t.instants) {
    const cells = MODE_NAMES.map((m) => {
      const mi = i.modes[m];
      if (!mi?.available) return '-'.padStart(14);
      const w = Object.values(mi.views).reduce((a, c) => a + c.windows, 0);
      const e = Object.values(mi.views).reduce((a, c) => a + c.exact, 0);
      return `${w === 0 ? '100.0' : ((100 * e) / w).toFixed(1)}%`.padStart(14);
    });
    const l = i.modes.lambda;
    lines.push(`${hm(i.at)}  ${hm(i.horizon).padStart(7)}  ${cells.join('')}   ${l ? `${n(l.layers.batch)} / ${n(l.layers.speed)}` : '-'}`);
  }
  const led = r.ledger;
  lines.push(
    '',
    `Late-event ledger: ${n(led.totals.onTime)} on time, ${n(led.totals.lateWithin)} late within the allowed lateness, ${n(led.totals.tooLate)} too late (side output only), ${n(led.totals.absorbed)} absorbed by a later batch run` +
      ` = ${n(led.events)} events; ${led.reconciled ? 'reconciled with the truth, the speed layer and the late topic' : `NOT reconciled: ${led.checks.filter((c) => c.expected !== c.actual).map((c) => `${c.what}: ${c.expected} expected, ${c.actual} found`).join('; ')}`}.`,
  );
  const perWindow = Object.entries(led.byWindow).map(([view, ws]) => {
    const late = ws.filter((w) => w.tooLate + w.absorbed > 0).length;
    const e = r.errorByWindow[view];
    const measure = e?.counts[0] ?? e?.measures[0];
    // Batch below its horizon only: above it, it has nothing yet (its staleness, not a window's error).
    const horizon = r.batchHorizon === null ? null : Date.parse(r.batchHorizon);
    const scored = (m: (typeof MODE_NAMES)[number], i: number) => m !== 'batch' || (horizon !== null && e!.ends[i] <= horizon);
    const worst = e && measure ? MODE_NAMES.filter((m) => e.modes[m]).map((m) => `${m} ${n(Math.max(0, ...e.modes[m]![measure].filter((_, i) => scored(m, i))))}`).join(', ') : '';
    return `${view} ${n(ws.length)} windows, ${n(late)} with a too-late event (${n(ws.filter((w) => w.tooLate > 0).length)} of them never absorbed)${worst ? `, largest |${measure} - truth| at one window start (batch: below its horizon): ${worst}` : ''}`;
  });
  lines.push(`Per window (JSON ledger.byWindow, errorByWindow): ${perWindow.join('; ')}.`);
  const f = r.freshness;
  const fresh = MODE_NAMES.map((m) => (f.perMode[m] ? `${m} p50 ${formatDuration(f.perMode[m]!.p50Ms)} p99 ${formatDuration(f.perMode[m]!.p99Ms)}` : `${m} -`)).join('; ');
  lines.push(`Freshness (probes, append to visible through HTTP, wall clock): ${fresh}.`);
  if (f.batchSchedule) lines.push(`Batch staleness on the simulated schedule (append to the run that published it): p50 ${formatDuration(f.batchSchedule.p50Ms)}, max ${formatDuration(f.batchSchedule.maxMs)}.`);
  const b = r.backfill;
  if (b.timeline) lines.push(`Kappa backfill on the timeline: at ${hm(b.timeline.at)}, ${n(b.timeline.records)} records replayed in ${s(b.timeline.replayWallMs)}, servable (caught up, cut over) after ${s(b.timeline.servableAfterWallMs)}.`);
  lines.push(
    `Backfill of the whole history (quiet): Kappa replay ${s(b.kappa.wallMs)} wall, ${s(b.kappa.cpuMs)} CPU; Lambda batch recompute ${s(b.lambdaBatch.wallMs)} wall, ${s(b.lambdaBatch.cpuMs)} CPU (${b.lambdaBatch.buckets} hours).`,
  );
  const c = r.cost;
  lines.push(`CPU-seconds per million events: ${Object.entries(c.cpuSecondsPerMillionEvents).map(([k, v]) => `${k} ${v}`).join('; ')}.`);
  const st = c.storage;
  const kb = (x: number | null) => (x === null ? 'n/a' : `${n(x / 1024)} KiB`);
  lines.push(
    `Stored: log ${n(st.log.records)} records ${kb(st.log.bytes)}; master ${n(st.master.rows)} rows ${kb(st.master.bytes)}; batch views ${n(st.batchViews.rows)} panes ${kb(st.batchViews.bytes)}; view store ${Object.entries(st.viewStore.rows).map(([ns, x]) => `${ns} ${n(x)} panes`).join(', ')} ${kb(st.viewStore.bytes)}.`,
  );
  return lines.join('\n');
}
