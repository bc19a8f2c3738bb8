import type { ServingMode } from './serving-mode.ts';

/**
 * Whether a served window is final: no event can change it any more.
 *
 * - Below the horizon the batch layer has read the whole master dataset, so a window that ends by
 *   the horizon is final in Lambda mode whatever the stream does.
 * - Anything the stream serves, or may still serve, is final once the window ends by the stream's
 *   lateness bound (min over partitions of watermark - allowedLateness; see shared/compute/stream-position.ts):
 *   later events for it are too late and go to the late output instead.
 * - In batch mode a window that runs past the horizon is never final: the events after the
 *   horizon are missing from it by definition.
 */
export function isWindowFinal(mode: ServingMode, windowEnd: number, horizon: number | null, streamLateBefore: number): boolean {
  const batchCovers = horizon !== null && windowEnd <= horizon;
  switch (mode) {
    case 'batch':
      return batchCovers;
    case 'lambda':
      return batchCovers || windowEnd <= streamLateBefore;
    case 'speed':
    case 'kappa':
      return windowEnd <= streamLateBefore;
  }
}
