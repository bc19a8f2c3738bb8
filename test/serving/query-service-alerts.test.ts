import { describe, expect, it } from 'vitest';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { QueryService } from '../../serving/query-service.ts';
import { parseAlertRequest } from '../../serving/window-request.ts';
import { BadRequestError } from '../../shared/errors.ts';
import { InMemoryBatchPaneSource } from '../support/in-memory-batch-pane-source.ts';
import { InMemoryViewStore } from '../support/in-memory-view-store.ts';
import { batchPanesBefore, commitStream, expectedWindows, HOUR, randomEvents, T0 } from './support/layer-fixtures.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';

// Two rules over the reference pipeline: a busy product minute, and revenue over 10 minutes.
const pipeline = compilePipeline(
  ecommerceConfig({
    alerts: [
      { name: 'busy_product', view: 'product_activity', when: 'views + carts >= 3' },
      { name: 'big_revenue', view: 'revenue', when: 'revenue_cents > 60000' },
    ],
  }),
);
const NOW = T0 + 6 * HOUR;
const events = randomEvents(7, 1_500, T0, 4 * HOUR);
const lastEventTime = Math.max(...events.map((e) => e.event_time));

/** The alerts every event folded at once gives, of windows ending by `finalBy`: (rule, key, start), sorted as served. */
function expectedAlerts(finalBy: number) {
  const out: { rule: string; key: string; start: number }[] = [];
  for (const rule of pipeline.alerts) {
    const view = pipeline.view(rule.view);
    for (const w of expectedWindows(pipeline, rule.view, events)) {
      if (w.end <= finalBy && rule.test(view.aggregate.named(w.acc))) out.push({ rule: rule.name, key: w.key, start: w.start });
    }
  }
  return out.sort((a, b) => a.start - b.start || a.rule.localeCompare(b.rule) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

async function setup(horizon?: number) {
  const store = new InMemoryViewStore();
  const batch = new InMemoryBatchPaneSource();
  if (horizon !== undefined) batch.publish(horizon, batchPanesBefore(pipeline, events, horizon));
  await commitStream(store, 'speed', pipeline, events);
  return new QueryService({ pipeline, viewStore: store, batch, clock: () => NOW });
}

const served = (r: { alerts: readonly { rule: string; key: string; start: string }[] }) => r.alerts.map((a) => ({ rule: a.rule, key: a.key, start: Date.parse(a.start) }));

describe('QueryService.alerts', () => {
  it('raises the rules on the final windows of speed, lambda and batch alike, and nothing on a window not final yet', async () => {
    const horizon = T0 + 2 * HOUR;
    const service = await setup(horizon);
    const q = { from: T0, to: NOW };
    const speed = await service.alerts({ ...q, mode: 'speed' });
    const finalBefore = Date.parse(speed.finalBefore!);
    // The stream's last minute or so is not final: its windows raise nothing yet.
    expect(finalBefore).toBeLessThan(lastEventTime);
    const want = expectedAlerts(finalBefore);
    expect(new Set(want.map((a) => a.rule))).toEqual(new Set(['busy_product', 'big_revenue']));
    expect(served(speed)).toEqual(want);
    expect(served(await service.alerts({ ...q, mode: 'lambda' }))).toEqual(want);
    // Batch alone is final below its horizon only.
    expect(served(await service.alerts({ ...q, mode: 'batch' }))).toEqual(expectedAlerts(horizon));
    expect(speed.alerts[0]).toMatchObject({ id: JSON.stringify([want[0].rule, pipeline.alerts.find((r) => r.name === want[0].rule)!.view, want[0].key, want[0].start]) });
  });

  it('answers one rule, and refuses an unknown one naming the rules', async () => {
    const service = await setup();
    const r = await service.alerts({ from: T0, to: NOW, mode: 'speed', rule: 'big_revenue' });
    expect(r.alerts.length).toBeGreaterThan(0);
    expect(r.alerts.every((a) => a.rule === 'big_revenue' && a.view === 'revenue')).toBe(true);
    await expect(service.alerts({ from: T0, to: NOW, mode: 'speed', rule: 'nope' })).rejects.toThrow(/no alert rule "nope"; the rules are busy_product, big_revenue/);
  });

  it('parses the request with the shared parameter table', () => {
    expect(parseAlertRequest({ mode: 'kappa', from: '0', to: '1000', rule: 'busy_product' }, NOW)).toEqual({ mode: 'kappa', from: 0, to: 1000, rule: 'busy_product' });
    expect(parseAlertRequest({}, NOW)).toEqual({ mode: 'lambda', from: NOW - HOUR, to: NOW, rule: undefined });
    expect(() => parseAlertRequest({ mod: 'speed' }, NOW)).toThrow(BadRequestError);
  });
});
