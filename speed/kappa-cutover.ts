import { NotFoundError } from '../shared/errors.ts';
import type { ViewStore } from '../shared/ports/view-store.ts';
import { type CutoverGateDeps, type CutoverThresholds, type CutoverVerdict, DEFAULT_CUTOVER_THRESHOLDS, gateCutover } from './cutover-gate.ts';
import { KAPPA_ALIAS, kappaVersionNumber } from './kappa-version.ts';

export interface CutoverResult {
  readonly namespace: string;
  /** What the alias pointed at before (undefined: nothing). */
  readonly previous: string | undefined;
  /** True when the alias moved. */
  readonly cutOver: boolean;
  /** The gate's verdict (absent when forced without checking). */
  readonly verdict?: CutoverVerdict;
}

/**
 * Points the `kappa` alias at a finished version if the correctness gate passes (gateCutover),
 * or whatever it says with `force` (the verdict is still computed and returned, so the diff is
 * printed). A refused version is left in place for a look, or a forced cut-over later.
 */
export async function cutOverTo(deps: CutoverGateDeps, namespace: string, options: { readonly force?: boolean; readonly thresholds?: CutoverThresholds } = {}): Promise<CutoverResult> {
  const { views } = deps;
  await requireVersion(views, namespace);
  const previous = await views.getAlias(KAPPA_ALIAS);
  const verdict = await gateCutover(deps, namespace, previous, options.thresholds ?? DEFAULT_CUTOVER_THRESHOLDS);
  if (!verdict.ok && !options.force) return { namespace, previous, cutOver: false, verdict };
  await views.setAlias(KAPPA_ALIAS, namespace);
  return { namespace, previous, cutOver: true, verdict };
}

/**
 * Switches the `kappa` alias back to the newest finished version older than the one it serves,
 * in one atomic step (lk replay keeps the version it replaced for this). No gate: going back is
 * how a person undoes a cut-over they regret.
 */
export async function rollback(views: ViewStore): Promise<{ readonly from: string; readonly to: string }> {
  const from = await views.getAlias(KAPPA_ALIAS);
  if (from === undefined) throw new NotFoundError(`the ${KAPPA_ALIAS} alias points at no version yet: nothing to roll back`);
  const unfinished = new Set(await views.unfinishedLoads());
  const older = (await views.listNamespaces())
    .filter((ns) => kappaVersionNumber(ns) !== undefined && kappaVersionNumber(ns)! < (kappaVersionNumber(from) ?? 0) && !unfinished.has(ns))
    .sort((a, b) => kappaVersionNumber(b)! - kappaVersionNumber(a)!);
  if (older.length === 0) throw new NotFoundError(`${KAPPA_ALIAS} serves ${from} and no older finished version is kept: nothing to roll back to (lk replay --keep-older keeps more)`);
  await views.setAlias(KAPPA_ALIAS, older[0]);
  return { from, to: older[0] };
}

async function requireVersion(views: ViewStore, namespace: string): Promise<void> {
  const exists = (await views.listNamespaces()).includes(namespace) && !(await views.unfinishedLoads()).includes(namespace);
  if (!exists || kappaVersionNumber(namespace) === undefined) throw new NotFoundError(`no finished Kappa version "${namespace}" (build one with lk replay)`);
}
