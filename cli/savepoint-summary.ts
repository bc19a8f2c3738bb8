import type { SavepointDescriptor } from '../shared/compute/savepoint-format.ts';
import { formatCount } from './progress.ts';

/** One line of `lk savepoint list`: id, when, what it copies, how big. */
export function savepointLine(d: SavepointDescriptor): string {
  const panes = d.partitions.reduce((n, p) => n + p.panes, 0);
  return `${d.id}  ${d.createdAt}  ${d.namespace.padEnd(10)} ${d.partitions.length}/${d.partitionCount} partitions  ${Object.keys(d.views).length} views  ${formatCount(panes)} panes  ${formatBytes(d.state.bytes)}`;
}

/** `lk savepoint inspect`: partitions with their offsets, views with fingerprints and pane counts. */
export function savepointSummary(d: SavepointDescriptor): string[] {
  const time = (t: number | null | undefined) => (t === null || t === undefined ? '-' : new Date(t).toISOString());
  const lines = [
    `savepoint ${d.id}, taken ${d.createdAt} from namespace ${d.namespace}`,
    `pipeline ${d.pipeline}; topic ${d.topic}, ${d.partitionCount} partitions; buckets of ${d.bucketMs} ms; state ${d.state.key} (${formatBytes(d.state.bytes)}, sha256 ${d.state.sha256.slice(0, 16)}...)`,
    '',
    `${'partition'.padEnd(10)} ${'next offset'.padStart(12)}  ${'watermark progress'.padEnd(24)}  ${'last append'.padEnd(24)}  ${'valid'.padStart(10)}  ${'panes'.padStart(9)}  ${'ids'.padStart(9)}`,
  ];
  for (const p of d.partitions) {
    const cp = p.checkpoint;
    const progress = cp.watermarkProgress === undefined ? cp.maxEventTime : cp.watermarkProgress;
    lines.push(
      `${String(p.partition).padEnd(10)} ${String(cp.nextOffset).padStart(12)}  ${time(progress).padEnd(24)}  ${time(cp.lastAppendTime).padEnd(24)}  ${formatCount(cp.stats.valid).padStart(10)}  ${formatCount(p.panes).padStart(9)}  ${formatCount(p.ids).padStart(9)}` +
        (cp.catchUp ? '  (catching views up)' : ''),
    );
  }
  lines.push('', `${'view'.padEnd(24)} ${'fingerprint'.padEnd(16)}  ${'panes'.padStart(9)}  ${'open'.padStart(9)}  definition`);
  for (const [name, v] of Object.entries(d.views)) {
    const w = v.signature.window;
    const window = w.kind === 'session' ? `session gap ${w.gapMs} ms` : w.kind === 'sliding' ? `sliding ${w.sizeMs}/${w.slideMs} ms` : `tumbling ${w.sizeMs} ms`;
    const key = v.signature.key.length === 0 ? 'global' : `key ${v.signature.key.join(', ')}`;
    lines.push(`${name.padEnd(24)} ${v.fingerprint.padEnd(16)}  ${formatCount(v.panes).padStart(9)}  ${formatCount(v.openPanes).padStart(9)}  ${key}; ${window}; ${v.signature.measures.map((m) => m.name).join(', ')}${v.signature.filter ? '; filtered' : ''}`);
  }
  return lines;
}

function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
