import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { systemChromium } from '../support/system-chromium.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_CHARTS, reportCharts } from '../../demo/html-report.ts';
import { runDemo, type DemoResult } from '../../demo/run-demo.ts';
import { writeHtmlReport } from '../../demo/write-report.ts';
import { loadConfig } from '../../shared/config.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';

let dir: string;
let result: DemoResult;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lk-timeline-'));
  const config = loadConfig({ LK_DATA_DIR: join(dir, 'data'), LK_PARTITIONS: '2' }, { pipeline: ecommerceConfig() });
  result = await runDemo(config, {
    // Two and a half simulated hours of a small shop, more too-late events than by default so every hour has some.
    workload: { events: 8_000, users: 300, products: 60, spanMs: 150 * 60_000, tooLateFraction: 0.01, seed: 7 },
    speedup: Number.POSITIVE_INFINITY,
    keepData: false,
    port: 0,
    progress: () => undefined,
  });
}, 120_000);

afterAll(async () => {
  await result?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the demo on a simulated timeline (embedded services)', () => {
  it('serves Lambda from speed above the horizon and from batch below it, where it equals the truth', () => {
    // Instants where some scored windows lie below the horizon and Lambda served speed windows too.
    const both = result.timeline.instants.filter(
      (i) => Object.values(i.modes.lambda?.belowHorizon ?? {}).some((c) => c.windows > 0) && (i.modes.lambda?.layers.batch ?? 0) > 0 && (i.modes.lambda?.layers.speed ?? 0) > 0,
    );
    expect(both.length).toBeGreaterThan(0);
    // Below the horizon Lambda is the batch layer's, window for window, at every instant (against
    // the final truth it can still miss too-late events that arrived after the run of their hour:
    // the next run absorbs them, and at the end Lambda equals the truth there).
    for (const i of both) {
      expect(i.modes.lambda!.belowHorizon).toEqual(i.modes.batch!.belowHorizon);
    }
    // Above the horizon the speed layer lacks the too-late events; the horizon advanced over the timeline.
    expect(result.report.modes.speed!.allExact).toBe(false);
    expect(result.belowHorizon!.modes.lambda!.allExact).toBe(true);
    const horizons = result.timeline.batchRuns.map((r) => r.horizon).filter((h) => h !== null);
    expect(new Set(horizons).size).toBeGreaterThan(1);
  });

  it('runs the batch on its schedule: hourly at minute 6, daily at 00:30, on the simulated clock', () => {
    const runs = result.timeline.batchRuns;
    expect(runs.filter((r) => r.kind === 'hourly').every((r) => r.at.slice(14, 19) === '06:00')).toBe(true);
    expect(runs.filter((r) => r.kind === 'daily').map((r) => r.at.slice(11, 19))).toEqual(['00:30:00']);
  });

  it('keeps a ledger that reconciles: every valid event in one state; too-late events absorbed by the next batch run of their hour', () => {
    const l = result.ledger;
    expect(l.checks.map((c) => c.actual)).toEqual(l.checks.map((c) => c.expected));
    expect(l.reconciled).toBe(true);
    expect(l.events).toBe(result.report.events.valid);
    expect(l.totals.absorbed).toBeGreaterThan(0);
    const runIds = new Set(result.timeline.batchRuns.map((r) => r.runId));
    for (const id of Object.keys(l.absorbedByRun)) expect(runIds.has(id)).toBe(true);
  });

  it('keeps the ledger per view and window, reconciled with the truth window by window', () => {
    const l = result.ledger;
    expect(Object.keys(l.byWindow)).toEqual(['product_activity', 'revenue', 'user_sessions']);
    // Each view's windows are the truth's, and where a view counts every event it takes, window by window.
    const perView = l.checks.filter((c) => /^(product_activity|revenue|user_sessions): /.test(c.what));
    expect(perView.map((c) => c.what.split(':')[0])).toEqual(['product_activity', 'product_activity', 'revenue', 'revenue', 'revenue', 'user_sessions', 'user_sessions', 'user_sessions']);
    for (const c of perView) expect(c.actual, c.what).toBe(c.expected);
    // Tumbling windows hold each event once: per view, the windows' states add up to the view's share of the totals.
    const sum = (k: 'onTime' | 'lateWithin' | 'tooLate' | 'absorbed') => l.byWindow.product_activity.reduce((a, w) => a + w[k], 0);
    expect({ onTime: sum('onTime'), lateWithin: sum('lateWithin'), tooLate: sum('tooLate'), absorbed: sum('absorbed') }).toEqual(l.totals);
    expect(l.byWindow.product_activity.some((w) => w.absorbed > 0)).toBe(true);
    // The error per window in the final state: speed misses the too-late events; Lambda none below
    // the horizon (the tail run absorbed them there), where its windows are the batch layer's.
    const e = result.errorByWindow.product_activity;
    expect(e.starts.length).toBe(l.byWindow.product_activity.length);
    expect(Math.max(...e.modes.speed!.views)).toBeGreaterThan(0);
    const horizon = Date.parse(result.batchHorizon!);
    const below = e.starts.flatMap((s, i) => (s + 60_000 <= horizon ? [i] : []));
    expect(below.length).toBeGreaterThan(0);
    expect(below.map((i) => e.modes.lambda!.views[i] + e.modes.lambda!.purchases[i])).toEqual(below.map(() => 0));
    expect(below.some((i) => e.modes.speed!.views[i] > 0)).toBe(true);
  });

  it('measures freshness by probes, the backfill both ways and the cost per mode', () => {
    expect(result.timeline.probes).toBeGreaterThan(10);
    expect(result.freshness.perMode.speed!.count).toBeGreaterThan(0);
    expect(result.freshness.batchSchedule!.p50Ms).toBeGreaterThan(0);
    expect(result.backfill.timeline!.namespace).toBe('kappa_v2');
    expect(result.backfill.kappa.records).toBe(result.timeline.batchRuns.length > 0 ? result.report.events.generated + result.report.events.probes : -1);
    expect(result.cost.storage.master.bytes).toBeGreaterThan(0);
    // CPU per layer during the timeline, where they share one process: each measured, adding up to the whole.
    const cpu = result.cost.timelineCpuMs;
    for (const layer of ['speedMs', 'kappaMs', 'batchMs', 'queriesMs', 'restMs'] as const) expect(cpu[layer], layer).toBeGreaterThan(0);
    expect(cpu.speedMs + cpu.kappaMs + cpu.batchMs + cpu.queriesMs + cpu.restMs).toBe(cpu.totalMs);
    expect(Object.keys(result.cost.cpuSecondsPerMillionEvents).filter((k) => k.startsWith('timeline: '))).toHaveLength(5);
    expect(result.cost.storage.viewStore.rows.speed).toBeGreaterThan(0);
  });

  it('writes a self-contained HTML report whose every chart renders in headless Chromium', async () => {
    const file = join(dir, 'report.html');
    await writeHtmlReport(file, result);
    expect((await stat(file)).size).toBeGreaterThan(0);
    const executablePath = systemChromium();
    const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
      page.on('pageerror', (e) => void errors.push(String(e)));
      page.on('request', (r) => void (r.url().startsWith('file:') || requests.push(r.url())));
      await page.goto(`file://${file}`);
      const ids = Object.keys(reportCharts(result));
      expect(ids).toEqual(expect.arrayContaining([...REPORT_CHARTS, 'error-product_activity', 'error-revenue', 'error-user_sessions', 'ledger-product_activity', 'ledger-revenue', 'ledger-user_sessions']));
      for (const id of ids) {
        // A drawn canvas: sized and holding non-transparent pixels.
        const drawn = await page.evaluate((chart) => {
          const canvas = document.querySelector<HTMLCanvasElement>(`#${chart} canvas`);
          if (!canvas || canvas.width === 0 || canvas.height === 0) return 0;
          const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
          let painted = 0;
          for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) painted++;
          return painted;
        }, id);
        expect(drawn, id).toBeGreaterThan(0);
      }
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      const shot = join(process.env.LK_TEST_OUTPUT ?? dir, 'timeline-report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect((await stat(shot)).size).toBeGreaterThan(0);
    } finally {
      await browser.close();
    }
  });
});
