/**
 * A duration for people: whole ms below a second, seconds below 100 s, minutes below 100 min, then
 * hours, each to about three significant digits ('-' for none). A batch's staleness of an hour
 * reads as "66.0 min", not "3960.0 s".
 */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 100_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  if (ms < 6_000_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
