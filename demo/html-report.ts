import { formatComparisonReport, MODE_NAMES } from '../compare/comparison-report.ts';
import type { ChartAssets } from '../infra/uplot/chart-assets.ts';
import type { DemoResult } from './run-demo.ts';
import { formatTimelineSummary } from './timeline-summary.ts';

/** The charts every report has, by element id; besides them, one error and one ledger chart per view (`error-<view>`, `ledger-<view>`). */
export const REPORT_CHARTS = ['correctness', 'freshness', 'horizon', 'ledger', 'backfill', 'cost'] as const;

/** One chart: uPlot's column format (first column x), series labels and colours. */
export interface ChartSpec {
  readonly title: string;
  readonly x: string;
  readonly y: string;
  /** The x axis is time (epoch seconds), read in UTC. */
  readonly time?: boolean;
  readonly bars?: boolean;
  /** Bars of named categories, at x = 1..n. */
  readonly categories?: string[];
  readonly series: Array<{ label: string; color: string }>;
  readonly data: Array<Array<number | null>>;
}

const MINUTE_S = 60;

const COLORS: Record<string, string> = { lambda: '#1f77b4', kappa: '#d62728', batch: '#2ca02c', speed: '#ff7f0e' };

/** Quantiles 0..100 of some samples (nearest rank), for a distribution chart with one x axis for every mode. */
function quantiles(samples: readonly number[], steps: number): Array<number | null> {
  const sorted = [...samples].sort((a, b) => a - b);
  return Array.from({ length: steps + 1 }, (_, i) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor((i / steps) * (sorted.length - 1)))]));
}

/** The chart data per element id, in report order: the fixed charts (REPORT_CHARTS) with the per-view ones after the horizon. */
export function reportCharts(r: DemoResult): Record<string, ChartSpec> {
  const t = r.timeline;
  const at = t.instants.map((i) => i.at / 1000);
  const pct = (mode: string) =>
    t.instants.map((i) => {
      const m = i.modes[mode as keyof typeof i.modes];
      if (!m?.available) return null;
      const w = Object.values(m.views).reduce((a, c) => a + c.windows, 0);
      return w === 0 ? 100 : (100 * Object.values(m.views).reduce((a, c) => a + c.exact, 0)) / w;
    });
  const probes = (mode: string) => r.freshness.perMode[mode as keyof typeof r.freshness.perMode];
  const stream = MODE_NAMES.filter((m) => probes(m));
  const samples = (mode: string) => t.probeSamples[mode] ?? [];
  const points = [...t.batchRuns.map((b) => ({ x: Date.parse(b.at), h: b.horizon === null ? null : Date.parse(b.horizon) })), ...t.instants.map((i) => ({ x: i.at, h: i.horizon }))].sort((a, b) => a.x - b.x);
  const ledger = r.ledger.byBucket;
  const cum = (keys: ReadonlyArray<'onTime' | 'lateWithin' | 'tooLate' | 'absorbed'>) => ledger.map((b) => keys.reduce((a, k) => a + b[k], 0));
  const cpu = Object.entries(r.cost.cpuSecondsPerMillionEvents);
  const perView: Record<string, ChartSpec> = {};
  const horizon = r.batchHorizon === null ? null : Date.parse(r.batchHorizon);
  for (const [view, e] of Object.entries(r.errorByWindow)) {
    // Counts first: the ledger's unit (events); a view with sums only shows its first sum.
    const measure = e.counts[0] ?? e.measures[0];
    if (measure === undefined) continue;
    const modes = MODE_NAMES.filter((m) => e.modes[m]);
    perView[`error-${view}`] = {
      title: `${view}: absolute error of ${measure} per window start, summed over keys, in the final state (batch: the windows ending at or before its horizon)`,
      x: 'window start',
      y: `|${measure} - truth|`,
      time: true,
      series: modes.map((m) => ({ label: m, color: COLORS[m] })),
      // Batch alone has nothing above its horizon: that is its staleness (the horizon chart), not an error per window.
      data: [e.starts.map((s) => s / 1000), ...modes.map((m) => e.modes[m]![measure].map((v, i) => (m === 'batch' && (horizon === null || e.ends[i] > horizon) ? null : v)))],
    };
  }
  for (const [view, windows] of Object.entries(r.ledger.byWindow)) {
    // Sessions start at event times: grouped by the minute they start in, so that bars stay readable.
    const session = windows.some((w) => w.key !== undefined);
    const rows = new Map<number, { lateWithin: number; absorbed: number; tooLate: number; onTime: number }>();
    for (const w of windows) {
      const x = session ? Math.floor(w.start / 1000 / MINUTE_S) * MINUTE_S : w.start / 1000;
      const row = rows.get(x) ?? { lateWithin: 0, absorbed: 0, tooLate: 0, onTime: 0 };
      row.lateWithin += w.lateWithin;
      row.absorbed += w.absorbed;
      row.tooLate += w.tooLate;
      row.onTime += w.onTime;
      rows.set(x, row);
    }
    const xs = [...rows.keys()].sort((a, b) => a - b);
    const onTime = xs.reduce((a, x) => a + rows.get(x)!.onTime, 0);
    perView[`ledger-${view}`] = {
      title: `Late-event ledger of ${view} per ${session ? 'session (by the minute it starts)' : 'window start'} (stacked): late within the allowed lateness, absorbed by a batch run, too late; the other ${onTime.toLocaleString('en-US')} event-windows on time`,
      x: session ? 'session start (minute)' : 'window start',
      y: 'events',
      time: true,
      bars: true,
      series: [
        { label: 'late within', color: '#3182bd' },
        { label: '+ absorbed by batch', color: '#31a354' },
        { label: '+ too late', color: '#e6550d' },
      ],
      data: [
        xs,
        xs.map((x) => rows.get(x)!.lateWithin + rows.get(x)!.absorbed + rows.get(x)!.tooLate),
        xs.map((x) => rows.get(x)!.absorbed + rows.get(x)!.tooLate),
        xs.map((x) => rows.get(x)!.tooLate),
      ],
    };
  }
  return {
    correctness: { title: 'Windows exact against the final truth, per query instant (scored: windows ending in the last 30 min, at least the allowed lateness before the instant)', x: 'simulated time', y: '% exact', time: true, series: MODE_NAMES.map((m) => ({ label: m, color: COLORS[m] })), data: [at, ...MODE_NAMES.map(pct)] },
    freshness: { title: 'Freshness: probe append to first visible through HTTP (wall ms), distribution', x: 'percentile', y: 'ms', series: stream.map((m) => ({ label: m, color: COLORS[m] })), data: [Array.from({ length: 21 }, (_, i) => i * 5), ...stream.map((m) => quantiles(samples(m), 20))] },
    horizon: { title: 'The batch horizon advancing with the simulated clock', x: 'simulated time', y: 'time', time: true, series: [{ label: 'clock', color: '#888' }, { label: 'batch horizon', color: COLORS.batch }], data: [points.map((p) => p.x / 1000), points.map((p) => p.x / 1000), points.map((p) => (p.h === null ? null : p.h / 1000))] },
    ...perView,
    ledger: {
      title: 'Late-event ledger per hour, every event once (stacked): on time, late within the allowed lateness, absorbed by a later batch run, too late',
      x: 'event hour',
      y: 'events',
      time: true,
      bars: true,
      series: [
        { label: 'on time (total)', color: '#9ecae1' },
        { label: '+ late within', color: '#3182bd' },
        { label: '+ absorbed by batch', color: '#31a354' },
        { label: '+ too late', color: '#e6550d' },
      ],
      data: [ledger.map((b) => b.bucket / 1000), cum(['onTime', 'lateWithin', 'absorbed', 'tooLate']), cum(['lateWithin', 'absorbed', 'tooLate']), cum(['absorbed', 'tooLate']), cum(['tooLate'])],
    },
    backfill: {
      title: 'Backfill of the whole history: Kappa replay against a Lambda batch recompute (seconds)',
      x: 'backfill',
      y: 's',
      bars: true,
      categories: ['Kappa replay', 'Lambda batch recompute'],
      series: [{ label: 'wall s', color: '#6baed6' }, { label: 'CPU s', color: '#fd8d3c' }, { label: 'until servable s', color: '#74c476' }],
      data: [[1, 2], [r.backfill.kappa.wallMs / 1000, r.backfill.lambdaBatch.wallMs / 1000], [r.backfill.kappa.cpuMs / 1000, r.backfill.lambdaBatch.cpuMs / 1000], [r.backfill.kappa.servableAfterMs / 1000, r.backfill.lambdaBatch.servableAfterMs / 1000]],
    },
    cost: {
      title: 'CPU-seconds per million events, per layer',
      x: 'layer',
      y: 'CPU-s / M events',
      bars: true,
      categories: cpu.map(([k]) => k),
      series: [{ label: 'CPU-s per M events', color: '#756bb1' }],
      data: [cpu.map((_, i) => i + 1), cpu.map(([, v]) => v)],
    },
  };
}

/** `</script>` inside inlined text would end the element early. */
const safe = (text: string) => text.replaceAll('</', '<\\/');
const escapeHtml = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** The report as one self-contained HTML page: the chart library, the data and the summary inlined; nothing is loaded from the network. */
export function renderHtmlReport(r: DemoResult, assets: ChartAssets): string {
  const charts = reportCharts(r);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>lambdakappa: Lambda and Kappa on a timeline</title>
<style>${assets.css}
body{font:14px system-ui,sans-serif;margin:24px;max-width:1100px;color:#222}h1{font-size:20px}h2{font-size:15px;margin:28px 0 6px}pre{background:#f6f6f6;padding:12px;overflow-x:auto;font-size:12px}.chart{margin:8px 0}</style>
</head><body>
<h1>Lambda and Kappa on a simulated timeline</h1>
<p>${escapeHtml(`${r.timeline.simStart} to ${r.timeline.simEnd} simulated (${r.timeline.speedup}x). Every window is scored against the final ground truth.`)}</p>
${Object.entries(charts).map(([id, c]) => `<h2>${escapeHtml(c.title)}</h2><div class="chart" id="${id}"></div>`).join('\n')}
<h2>Summary</h2>
<pre>${escapeHtml(`${formatComparisonReport(r.report)}\n\n${formatTimelineSummary(r)}`)}</pre>
<script>${safe(assets.script)}</script>
<script type="application/json" id="chart-data">${safe(JSON.stringify(charts))}</script>
<script>
const charts = JSON.parse(document.getElementById('chart-data').textContent);
for (const [id, c] of Object.entries(charts)) {
  const bars = c.bars ? uPlot.paths.bars({ size: [0.6, 60] }) : undefined;
  // Bars of named categories sit at 1..n, labelled by name; times read in UTC, as the summary does.
  const cats = c.categories;
  // Long names are slanted so that neighbours do not overlap.
  const slant = cats && cats.some((name) => name.length > 20);
  const xAxis = cats ? { label: c.x, splits: () => cats.map((_, i) => i + 1), values: (_u, splits) => splits.map((v) => cats[v - 1] ?? ''), ...(slant ? { rotate: -12, size: 110 } : {}) } : { label: c.x };
  const opts = {
    width: 1000, height: 260,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    scales: { x: cats ? { time: false, range: () => [0.5, cats.length + 0.5] } : { time: Boolean(c.time) }, y: c.bars ? { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } : { time: id === 'horizon' } },
    axes: [xAxis, { label: c.y }],
    series: [{ label: c.x }, ...c.series.map((s) => ({ label: s.label, stroke: s.color, fill: c.bars ? s.color : undefined, width: 2, paths: bars, spanGaps: false }))],
  };
  // Several series over named categories are grouped side by side, not drawn over each other:
  // each series gets its own x next to its category's (null for the others), and a bar is sized
  // by the step between neighbouring x values.
  const grouped = cats && c.series.length > 1;
  const n = c.series.length;
  const step = 0.8 / n;
  const data = !grouped ? c.data : (() => {
    const xs = [];
    const ys = c.series.map(() => []);
    cats.forEach((_, ci) => c.series.forEach((_s, si) => {
      xs.push(ci + 1 + (si - (n - 1) / 2) * step);
      ys.forEach((col, k) => col.push(k === si ? c.data[si + 1][ci] : null));
    }));
    return [xs, ...ys];
  })();
  if (grouped) opts.series = [opts.series[0], ...opts.series.slice(1).map((s) => ({ ...s, paths: uPlot.paths.bars({ size: [0.9, 80] }) }))];
  new uPlot(opts, data, document.getElementById(id));
}
</script>
</body></html>
`;
}

