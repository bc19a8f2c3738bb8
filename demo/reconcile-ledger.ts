import type { GroundTruth, TruthWindow } from '../compare/ground-truth.ts';
import type { LateLedger } from '../shared/compute/late-ledger.ts';
import type { CompiledView, Pipeline } from '../shared/compute/pipeline.ts';

/** One reconciliation check: what it compares, the figure expected and the one found. */
export interface LedgerCheck {
  readonly what: string;
  readonly expected: number;
  readonly actual: number;
}

/** The late-event ledger, reconciled with the truth and the stream. */
export interface LedgerReport extends LateLedger {
  readonly reconciled: boolean;
  readonly checks: readonly LedgerCheck[];
}

/** The counts the ledger is held to besides the truth: the speed layer's too-late count and the late topic's records. */
export interface StreamCounts {
  readonly speedTooLate: number;
  readonly lateTopic: number;
}

/**
 * Reconciles the ledger: every distinct valid event in one state (the truth's event count); too
 * late + absorbed equal to the speed layer's too-late count and to the late topic; and per view,
 * the ledger's windows are the truth's (fixed windows summed over keys, sessions per key), and
 * where the view has a count measure without a filter, each window's events in the ledger equal
 * that measure of the truth.
 */
export function reconcileLedger(pipeline: Pipeline, ledger: LateLedger, truth: GroundTruth, stream: StreamCounts): LedgerReport {
  const t = ledger.totals;
  const checks: LedgerCheck[] = [
    { what: 'events in the ledger = distinct valid events of the truth', expected: truth.counts.events, actual: t.onTime + t.lateWithin + t.tooLate + t.absorbed },
    { what: "too late + absorbed = the speed layer's too-late count", expected: stream.speedTooLate, actual: t.tooLate + t.absorbed },
    { what: 'too late + absorbed = records in the late topic', expected: stream.lateTopic, actual: t.tooLate + t.absorbed },
  ];
  for (const view of pipeline.views) {
    const truthWindows = truth.views[view.name];
    if (!truthWindows) continue;
    const expected = truthByLedgerWindow(view, truthWindows);
    const mine = ledger.byWindow[view.name] ?? [];
    const matched = mine.filter((w) => expected.has(idOf(w)));
    checks.push({ what: `${view.name}: windows in the ledger = windows of the truth`, expected: expected.size, actual: mine.length });
    checks.push({ what: `${view.name}: ledger windows with the bounds of a truth window`, expected: mine.length, actual: matched.length });
    const count = view.measures.find((m) => m.op === 'count' && m.filter === undefined);
    if (!count) continue;
    const equal = matched.filter((w) => w.onTime + w.lateWithin + w.tooLate + w.absorbed === expected.get(idOf(w))!.get(count.name));
    checks.push({ what: `${view.name}: events per window in the ledger = the truth's ${count.name}`, expected: expected.size, actual: equal.length });
  }
  return { ...ledger, reconciled: checks.every((c) => c.expected === c.actual), checks };
}

/** A window as the ledger names it: its bounds, and the key for a session. */
function idOf(w: { readonly start: number; readonly end: number; readonly key?: string }): string {
  return w.key === undefined ? `${w.start}-${w.end}` : `${w.key}\u0000${w.start}-${w.end}`;
}

/** The truth's windows grouped as the ledger's are (fixed ones summed over keys), with their measures summed. */
function truthByLedgerWindow(view: CompiledView, windows: readonly TruthWindow[]): Map<string, Map<string, number>> {
  const session = view.def.window.kind === 'session';
  const out = new Map<string, Map<string, number>>();
  for (const w of windows) {
    const id = idOf(session ? w : { start: w.start, end: w.end });
    let sums = out.get(id);
    if (!sums) out.set(id, (sums = new Map()));
    for (const [name, v] of Object.entries(w.values)) sums.set(name, (sums.get(name) ?? 0) + v);
  }
  return out;
}
