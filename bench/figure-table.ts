import { meetsTarget, type Figure } from './figure.ts';

/**
 * The figures as a Markdown table (readable as it is in a terminal, pasteable into
 * docs/decisions.md): benchmark, figure, target, met / not met, note.
 */
export function figureTable(figures: readonly Figure[]): string {
  const rows = figures.map((f) => {
    const met = meetsTarget(f);
    return [
      f.name,
      `${formatValue(f.value)}${f.unit && typeof f.value === 'number' ? ` ${f.unit}` : ''}`,
      f.target ? `${f.target.op === '>=' ? '≥' : '≤'} ${formatValue(f.target.value)}${f.unit ? ` ${f.unit}` : ''}` : '',
      met === undefined ? '' : met ? 'met' : '**not met**',
      f.note ?? '',
    ];
  });
  const header = ['benchmark', 'figure', 'target', 'met', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Whole numbers with thousands separators; fractions to three significant digits. */
export function formatValue(v: number | string): string {
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(Number(v.toPrecision(3)));
}
