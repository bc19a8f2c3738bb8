/**
 * When a streaming job hands a view's panes to the store (Kafka Streams' `EmitStrategy`):
 *
 * - `onWindowUpdate`: every flush reports the panes changed since the previous one and the ids of
 *   sessions merged away, so the store always holds the current results. The live jobs (speed
 *   layer, live Kappa) use it: queries see a window before it closes.
 * - `onWindowClose`: a flush reports only the panes whose bucket closed (the watermark passed it
 *   by the allowed lateness, so nothing can change them any more), each exactly once, and no
 *   deletes; `PartitionProcessor.flushAll` then reports what is still open. A backfill into a
 *   version nobody reads yet uses it: each pane is written once, as a plain append, instead of
 *   being upserted every time it changes.
 *
 * Both give the same final panes: the processor folds the same events either way; only what a
 * flush reports differs.
 */
export type EmitStrategy = 'onWindowUpdate' | 'onWindowClose';
