import type { ViewStore } from '../shared/ports/view-store.ts';

/** The alias serving reads in Kappa mode. */
export const KAPPA_ALIAS = 'kappa';
const VERSION = /^kappa_v(\d+)$/;

/** The number of a Kappa version's namespace (kappa_v3: 3), undefined for other names. */
export function kappaVersionNumber(namespace: string): number | undefined {
  const m = VERSION.exec(namespace);
  return m ? Number(m[1]) : undefined;
}

/** The next free Kappa version name (kappa_v1, kappa_v2, ...). */
export async function nextKappaVersion(views: ViewStore): Promise<string> {
  let max = 0;
  for (const ns of await views.listNamespaces()) max = Math.max(max, kappaVersionNumber(ns) ?? 0);
  return `kappa_v${max + 1}`;
}
