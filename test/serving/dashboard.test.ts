import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedLog } from '../../infra/embedded/embedded-log.ts';
import { readChartAssets } from '../../infra/uplot/chart-assets.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import type { TopicNames } from '../../shared/config.ts';
import { dashboardPage } from '../../serving/dashboard-page.ts';
import { startHttpServer, type HttpServer } from '../../serving/http-server.ts';
import { QueryService } from '../../serving/query-service.ts';
import { runKappaReplay } from '../../speed/kappa-replay.ts';
import { readReplayProgress, ReplayProgressReporter } from '../../speed/replay-progress.ts';
import { LocalObjectStore } from '../../infra/embedded/local-object-store.ts';
import { StreamJob } from '../../speed/stream-job.ts';
import { generateWorkload } from '../../examples/ecommerce/workload/generator.ts';
import { InMemoryBatchPaneSource } from '../support/in-memory-batch-pane-source.ts';
import { InMemoryViewStore } from '../support/in-memory-view-store.ts';
import { systemChromium } from '../support/system-chromium.ts';

const topics: TopicNames = { events: 'events', deadLetter: 'events.dead-letter', late: 'events.late' };
const pipeline = compilePipeline(ecommerceConfig());
const dirs: string[] = [];
let server: HttpServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('the live dashboard', () => {
  it('loads in headless Chromium, draws every view in both modes, and its numbers change while events are ingested', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lk-dashboard-'));
    dirs.push(dir);
    const log = await EmbeddedLog.open(join(dir, 'log'));
    await log.ensureTopic(topics.events, 2);
    // The last hour of the wall clock, which is the dashboard's default range.
    const w = generateWorkload({ seed: 31, events: 6_000, users: 300, products: 30, spanMs: 50 * 60_000, startTime: Date.now() - 55 * 60_000 }, pipeline.config);
    const half = Math.floor(w.records.length / 2);
    const append = (from: number, to: number) => log.append(topics.events, w.records.slice(from, to).map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp })));
    await append(0, half);
    const views = new InMemoryViewStore();
    const objects = new LocalObjectStore(join(dir, 'objects'));
    await runKappaReplay({ log, views, pipeline, topics }, { progress: new ReplayProgressReporter(objects) });
    const speed = new StreamJob({ log, views, pipeline, topics }, { namespace: 'speed', from: { kind: 'earliest' }, sideOutputs: false });
    const sub = await speed.start();
    const batch = new InMemoryBatchPaneSource();
    const service = new QueryService({ pipeline, viewStore: views, batch, replayProgress: () => readReplayProgress(objects) });
    server = await startHttpServer(service, { host: '127.0.0.1', port: 0, dashboard: dashboardPage(await readChartAssets()) });

    const browser = await chromium.launch({ executablePath: systemChromium(), args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      const errors: string[] = [];
      page.on('console', (m) => void (m.type() === 'error' && !m.text().includes('404') && errors.push(m.text())));
      page.on('pageerror', (e) => void errors.push(String(e)));
      await page.goto(`${server.url}/`);
      const records = async () => Number((await page.locator('[data-namespace="speed"] [data-records]').textContent({ timeout: 30_000 }))!.replaceAll(',', ''));
      await expect.poll(records, { timeout: 30_000 }).toBe(half);

      // Every view has a card; the global one a drawn chart, the keyed tumbling one a ranking in both modes.
      for (const v of pipeline.views) await page.locator(`[data-view="${v.name}"]`).waitFor({ timeout: 10_000 });
      const painted = await page.evaluate(() => {
        const canvas = document.querySelector<HTMLCanvasElement>('[data-view="revenue"] canvas');
        if (!canvas || canvas.width === 0) return 0;
        const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) n++;
        return n;
      });
      expect(painted).toBeGreaterThan(0);
      for (const mode of ['lambda', 'kappa']) expect(await page.locator(`[data-view="product_activity"] [data-mode="${mode}"][data-value]`).count()).toBeGreaterThan(0);
      const topBefore = await page.locator('[data-view="product_activity"] [data-mode="lambda"][data-value]').allTextContents();
      expect(await page.locator('#kappa-version').textContent()).toBe('kappa_v1');
      // The replay that built it, as it published its progress: done, nothing left to read.
      expect(await page.locator('#replay [data-replay-state]').textContent()).toBe('served');
      expect(await page.locator('#replay [data-replay-lag]').textContent()).toBe('0');
      expect(Number((await page.locator('#replay [data-replay-read]').textContent())!.replaceAll(',', ''))).toBe(half);

      expect(await page.locator('#batch-quality').textContent()).toBe('batch quality gate: no hour rejected');
      const hour = Date.UTC(2026, 2, 1, 10);
      batch.gateFailures = [{ runId: 'run-9', at: new Date(hour + 7_200_000).toISOString(), view: 'revenue', bucket: hour, check: 'measures', detail: 'revenue_cents is -3, below 0' }];
      await expect.poll(() => page.locator('#batch-quality [data-gate-run]').textContent(), { timeout: 10_000 }).toBe('run-9');
      expect(await page.locator('#batch-quality').textContent()).toContain('measures of revenue at 2026-03-01T10:00:00.000Z');

      await append(half, w.records.length);
      await expect.poll(records, { timeout: 30_000 }).toBe(w.records.length);
      await expect.poll(() => page.locator('[data-view="product_activity"] [data-mode="lambda"][data-value]').allTextContents(), { timeout: 10_000 }).not.toEqual(topBefore);
      // Lambda serves the live speed layer, Kappa a version replayed from the first half: Lambda is fresher.
      const lag = async (mode: string) => Number((await page.locator(`[data-lag="${mode}"]`).textContent())!.replace(/[, s]/g, ''));
      await expect.poll(async () => (await lag('kappa')) - (await lag('lambda')), { timeout: 10_000 }).toBeGreaterThan(10 * 60);
      expect(errors).toEqual([]);
      const shot = join(process.env.LK_TEST_OUTPUT ?? dir, 'dashboard.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect((await stat(shot)).size).toBeGreaterThan(0);
    } finally {
      await browser.close();
      await sub.stop();
      await log.close();
    }
  });
});
