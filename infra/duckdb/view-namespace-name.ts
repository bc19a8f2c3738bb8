import { BadRequestError } from '../../shared/errors.ts';

/** The ViewStore port's rule for namespace and alias names; they become part of table names. */
const NAME = /^[a-z][a-z0-9_]{0,40}$/;

/** Throws BadRequestError unless `name` is a valid namespace (or alias) name. */
export function assertViewNamespaceName(name: string, what: 'namespace' | 'alias' = 'namespace'): void {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new BadRequestError(what, `"${name}" is not a valid ${what} name: use a lowercase letter, then up to 40 lowercase letters, digits or '_' (e.g. speed, kappa_v2)`);
  }
}
