import { BadRequestError } from '../../shared/errors.ts';

/** The names the ViewStore port allows for namespaces and aliases (see shared/ports/view-store.ts). */
const NAME = /^[a-z][a-z0-9_]{0,40}$/;

/** Throws BadRequestError unless `name` is a valid namespace or alias name; nothing else reaches SQL as a name. */
export function assertViewStoreName(kind: 'namespace' | 'alias', name: string): void {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new BadRequestError(kind, `"${name}" is not a valid ${kind} name: use a lowercase letter, then up to 40 lowercase letters, digits or _ (e.g. speed, kappa_v2)`);
  }
}

/** Quotes an identifier for PostgreSQL. Names are validated before; quoting also keeps keywords such as "end" usable. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
