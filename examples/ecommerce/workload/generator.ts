import type { PipelineConfig } from '../../../shared/compute/pipeline.ts';
import { collectWorkload, type Workload } from '../../../workload/collect-workload.ts';
import { messyWorkload, type GeneratedRecord, type WorkloadFacts } from '../../../workload/messy-workload.ts';
import { Random } from '../../../workload/random.ts';
import { WakeQueue } from '../../../workload/wake-queue.ts';
import { countOption, resolveWorkloadOptions, type WorkloadOptions } from '../../../workload/workload-options.ts';
import { Catalog } from './catalog.ts';
import { calibrateSessionTiming } from './session-timing.ts';
import { SHOP_MALFORMER, type Malformation } from './shop-malformations.ts';
import { Shopper, type EventDraft } from './shopper.ts';

/** The shop's own knobs, beside the shared ones. */
export interface ShopOptions {
  readonly users: number;
  readonly products: number;
}

/** Enough shoppers for ~14 events/s that most of them come back after more than 30 minutes. */
export const DEFAULT_SHOP: ShopOptions = { users: 5_000, products: 500 };

const DEFAULT_SESSION_GAP_MS = 30 * 60_000;

/** Generates a whole shop workload into memory (tests, small demos). */
export function generateWorkload(options: Partial<WorkloadOptions & ShopOptions>, config: PipelineConfig): Workload<Malformation> {
  return collectWorkload(streamWorkload(options, config));
}

/**
 * The seeded shop workload (messyWorkload around shoppers): the same options and pipeline config
 * give the same records, byte for byte. Each slot goes to the shopper who most wants to act (by
 * their session model, calibrated to the pipeline's session view gap), so one user's events
 * come in bursts.
 */
export function streamWorkload(options: Partial<WorkloadOptions & ShopOptions>, config: PipelineConfig): Generator<GeneratedRecord<Malformation>, WorkloadFacts<Malformation>> {
  const o = resolveWorkloadOptions(options, config);
  const users = countOption(options, 'users', DEFAULT_SHOP.users);
  const rng = new Random(o.seed);
  const catalog = new Catalog(rng, countOption(options, 'products', DEFAULT_SHOP.products));
  const sessionView = config.views.find((v) => v.window.kind === 'session');
  const gapMs = sessionView?.window.kind === 'session' ? sessionView.window.gapMs : DEFAULT_SESSION_GAP_MS;
  const timing = calibrateSessionTiming(users, o.events, o.spanMs, gapMs);
  const queue = new WakeQueue<Shopper>();
  const width = String(users - 1).length;
  // First wakes spread over one shopper cycle, so the run starts in a steady state rather than a rush.
  for (let u = 0; u < users; u++) queue.push(new Shopper(`u-${String(u).padStart(width, '0')}`, o.startTime + Math.floor(rng.next() * timing.cycleMs)));

  return messyWorkload(o, config, rng, {
    next(r) {
      const shopper = queue.pop();
      const draft = shopper.act(r, catalog);
      shopper.scheduleNext(r, timing);
      queue.push(shopper);
      return draft;
    },
    wire: wireFields,
    malformer: SHOP_MALFORMER,
  });
}

/** The wire fields of an event, in the order producers write them. */
function wireFields(d: EventDraft, eventTime: string | number): Record<string, unknown> {
  const o: Record<string, unknown> = { event_id: d.event_id, event_type: d.event_type, user_id: d.user_id, product_id: d.product_id };
  // Cents to a two-decimal number: c / 100 is the double nearest that decimal, and prints as it.
  if (d.price_cents !== null) o.price = d.price_cents / 100;
  if (d.quantity !== null) o.quantity = d.quantity;
  o.event_time = eventTime;
  o.session_id = d.session_id;
  return o;
}
