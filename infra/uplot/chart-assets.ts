import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The chart library's script and stylesheet, to inline into a report that must open offline. */
export interface ChartAssets {
  readonly script: string;
  readonly css: string;
}

/** Reads uPlot's browser build (IIFE, defines `uPlot`) and its CSS from the installed package (the only file that touches uplot). */
export async function readChartAssets(): Promise<ChartAssets> {
  const dist = dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'));
  const [script, css] = await Promise.all([readFile(join(dist, 'uPlot.iife.min.js'), 'utf8'), readFile(join(dist, 'uPlot.min.css'), 'utf8')]);
  return { script, css };
}
