import { writeFile } from 'node:fs/promises';
import { renderHtmlReport } from './html-report.ts';
import { readChartAssets } from '../infra/uplot/chart-assets.ts';
import type { DemoResult } from './run-demo.ts';

/** Writes the run's HTML report to `path`; returns its size and how long it took. */
export async function writeHtmlReport(path: string, result: DemoResult): Promise<{ bytes: number; ms: number }> {
  const started = performance.now();
  const html = renderHtmlReport(result, await readChartAssets());
  await writeFile(path, html);
  return { bytes: Buffer.byteLength(html), ms: Math.round(performance.now() - started) };
}
