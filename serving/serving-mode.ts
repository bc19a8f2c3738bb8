import { BadRequestError } from '../shared/errors.ts';

/**
 * Which views a query reads. `lambda`: batch below the horizon merged with speed from it on (the
 * Lambda answer). `kappa`: the Kappa version the `kappa` alias points at. `batch` and `speed`: one
 * Lambda layer alone, to inspect what each contributes.
 */
export type ServingMode = 'lambda' | 'kappa' | 'batch' | 'speed';

export const SERVING_MODES: readonly ServingMode[] = ['lambda', 'kappa', 'batch', 'speed'];

/** Parses a mode name; throws BadRequestError (naming `parameter`) listing the valid modes. */
export function parseServingMode(value: string, parameter = 'mode'): ServingMode {
  if ((SERVING_MODES as readonly string[]).includes(value)) return value as ServingMode;
  throw new BadRequestError(parameter, `must be one of ${SERVING_MODES.join(', ')}; got ${JSON.stringify(value.slice(0, 40))}`);
}
