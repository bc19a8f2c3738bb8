import { describe, expect, it } from 'vitest';
import { alertId, alertsOf, sortAlerts } from '../../../shared/compute/alert.ts';
import { compileAlertRules } from '../../../shared/compute/alert-rule.ts';
import { compilePipeline } from '../../../shared/compute/pipeline.ts';
import { ConfigError } from '../../../shared/errors.ts';
import { ecommerceConfig } from '../../support/ecommerce.ts';

const views = [{ name: 'card_minute', measures: [{ name: 'transactions', op: 'count' as const }, { name: 'amount_cents', op: 'sum' as const }, { name: 'avg_cents', op: 'avg' as const }, { name: 'top_merchants', op: 'top_k' as const }] }];
const rule = (when: string, name = 'card_velocity') => compileAlertRules([{ name, view: 'card_minute', when }], views)[0];

describe('alert rules', () => {
  it('test a window by its measures, in their stored units', () => {
    const velocity = rule('transactions > 5');
    expect(velocity.test({ transactions: 6, amount_cents: 0 })).toBe(true);
    expect(velocity.test({ transactions: 5, amount_cents: 0 })).toBe(false);
    // amount_cents is a plain integer measure: 500 means 500 cents, not 500.00.
    const big = rule('amount_cents >= 500 and not transactions in (0, 1)');
    expect(big.test({ transactions: 2, amount_cents: 500 })).toBe(true);
    expect(big.test({ transactions: 1, amount_cents: 9_999 })).toBe(false);
    expect(big.test({ transactions: 3, amount_cents: 499 })).toBe(false);
  });

  it('read an avg over no events as null (no alert), and refuse a top_k list in a condition, naming it', () => {
    const r = rule('avg_cents > 1000');
    expect(r.test({ transactions: 2, amount_cents: 2_400, avg_cents: 1_200, top_merchants: [] })).toBe(true);
    expect(r.test({ transactions: 0, amount_cents: 0, avg_cents: null, top_merchants: [] })).toBe(false);
    expect(() => rule('top_merchants > 1')).toThrow(/alert card_velocity, when: top_merchants is a top_k/);
  });

  it('compare measures with each other and with arithmetic', () => {
    const r = rule('amount_cents > transactions * 100 + 50');
    expect(r.test({ transactions: 2, amount_cents: 251 })).toBe(true);
    expect(r.test({ transactions: 2, amount_cents: 250 })).toBe(false);
  });

  it('refuse an unknown view, an unknown measure, a non-condition, a bad or repeated name, naming the rule', () => {
    expect(() => compileAlertRules([{ name: 'a', view: 'card_hour', when: 'transactions > 1' }], views)).toThrow(/alert a, view: no view card_hour \(views: card_minute\)/);
    expect(() => rule('transaction > 5')).toThrow(/alert card_velocity, when .*no field transaction/);
    expect(() => rule('transactions + 1')).toThrow(/must be a condition/);
    expect(() => rule('transactions > 1', 'Card')).toThrow(ConfigError);
    expect(() => compileAlertRules([{ name: 'a', view: 'card_minute', when: 'transactions > 1' }, { name: 'a', view: 'card_minute', when: 'transactions > 2' }], views)).toThrow(/defined twice/);
  });

  it('raise one alert per window that satisfies the rule, with an id of rule, view, key and start', () => {
    const velocity = rule('transactions > 5');
    const windows = [
      { key: 'c1', start: 0, end: 60_000, measures: { transactions: 6, amount_cents: 1 } },
      { key: 'c1', start: 10_000, end: 70_000, measures: { transactions: 5, amount_cents: 1 } },
      { key: 'c|2', start: 10_000, end: 70_000, measures: { transactions: 9, amount_cents: 1 } },
    ];
    const alerts = alertsOf(velocity, windows);
    expect(alerts.map((a) => [a.key, a.start, a.end])).toEqual([
      ['c1', 0, 60_000],
      ['c|2', 10_000, 70_000],
    ]);
    expect(alerts[0]).toEqual({ id: '["card_velocity","card_minute","c1",0]', rule: 'card_velocity', view: 'card_minute', key: 'c1', start: 0, end: 60_000, measures: { transactions: 6, amount_cents: 1 } });
    expect(alertId('r', 'v', 'a","b', 1)).not.toBe(alertId('r', 'v', 'a', 1));
  });

  it('sort alerts by start, rule and key, keeping one per id (a repeat is dropped)', () => {
    const velocity = rule('transactions > 5');
    const w = (key: string, start: number) => ({ key, start, end: start + 60_000, measures: { transactions: 6, amount_cents: 0 } });
    const first = alertsOf(velocity, [w('b', 10_000), w('a', 10_000), w('a', 0)]);
    const sorted = sortAlerts([...first, ...alertsOf(velocity, [w('a', 10_000)])]);
    expect(sorted.map((a) => [a.key, a.start])).toEqual([
      ['a', 0],
      ['a', 10_000],
      ['b', 10_000],
    ]);
  });

  it('compile with the pipeline: a pipeline without alerts has none, a bad rule fails the load', () => {
    expect(compilePipeline(ecommerceConfig()).alerts).toEqual([]);
    const p = compilePipeline(ecommerceConfig({ alerts: [{ name: 'busy_product', view: 'product_activity', when: 'views >= 3' }] }));
    expect(p.alerts.map((a) => [a.name, a.view])).toEqual([['busy_product', 'product_activity']]);
    expect(() => compilePipeline(ecommerceConfig({ alerts: [{ name: 'x', view: 'product_activity', when: 'sessions > 1' }] }))).toThrow(/alert x, when .*no field sessions/);
  });
});
