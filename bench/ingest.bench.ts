import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LkError } from '../shared/errors.ts';
import type { Figure } from './figure.ts';

const CLI = fileURLToPath(new URL('../cli/main.ts', import.meta.url));
const PRELOAD = new URL('./peak-rss-preload.ts', import.meta.url).href;

/** Default records: about 300 MB of JSON lines, the size the memory target is stated for. */
export const DEFAULT_INGEST_EVENTS = 1_500_000;
/** `lk ingest` streams: its peak memory must not grow with the file (issue 11 item 7). */
const PEAK_RSS_TARGET_MB = 300;

/** Where `lk ingest` appends: the embedded log, or Kafka through the given environment (LK_SERVICES=real, KAFKA_BROKERS, LK_TOPIC). */
export type IngestTarget = { readonly kind: 'embedded' } | { readonly kind: 'kafka'; readonly env: Readonly<Record<string, string | undefined>> };

/**
 * `lk ingest` of a generated file into the embedded log or Kafka, as a child process (as a user
 * runs it), with its peak resident memory. The file is written by `lk generate` first (not timed)
 * into a temporary directory removed afterwards.
 */
export async function benchIngest(events: number, log: (m: string) => void, target: IngestTarget = { kind: 'embedded' }): Promise<Figure[]> {
  const into = target.kind === 'kafka' ? 'Kafka' : 'embedded log';
  const env = target.kind === 'kafka' ? { ...process.env, ...target.env } : { ...process.env, LK_SERVICES: 'embedded' };
  const dir = await mkdtemp(join(tmpdir(), 'lk-ingest-bench-'));
  try {
    const file = join(dir, 'events.jsonl');
    log(`bench: generating ${events} records into ${file}`);
    await run(['generate', '--events', String(events), '--output', file, '--data-dir', join(dir, 'unused')], [], { ...process.env, LK_SERVICES: 'embedded' });
    const { size } = await stat(file);
    log(`bench: lk ingest of ${(size / 1e6).toFixed(0)} MB into the ${into}`);
    const t0 = performance.now();
    const { stderr } = await run(['ingest', '--input', file, '--data-dir', join(dir, 'data')], ['--import', PRELOAD], env);
    const seconds = (performance.now() - t0) / 1000;
    const peak = /peak-rss-kb (\d+)/.exec(stderr);
    if (!peak) throw new LkError(`lk ingest did not report its peak memory; its output ends with:\n${stderr.slice(-2000)}`);
    const peakMb = Number(peak[1]) / 1024;
    const note = `${events} records, ${(size / 1e6).toFixed(0)} MB file`;
    return [
      { name: `lk ingest -> ${into}: peak RSS`, value: Math.round(peakMb), unit: 'MB', target: { op: '<=', value: PEAK_RSS_TARGET_MB }, note },
      { name: `lk ingest -> ${into}`, value: Math.round(events / seconds), unit: 'records/s', note: `${seconds.toFixed(1)} s wall, process start included` },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs `lk <args>` to completion (node options first); rejects with its output on a non-zero exit. */
function run(args: readonly string[], nodeOptions: readonly string[], env: NodeJS.ProcessEnv): Promise<{ stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeOptions, CLI, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      // Progress lines rewrite themselves; only the end matters.
      stderr = (stderr + chunk).slice(-64_000);
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve({ stderr });
      else reject(new LkError(`lk ${args[0]} exited with code ${code}; its output ends with:\n${stderr.slice(-2000)}`));
    });
  });
}
