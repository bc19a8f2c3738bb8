import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedLog } from '../../../infra/embedded/embedded-log.ts';
import type { WindowExplanation } from '../../../serving/window-explanation.ts';
import { waitFor } from '../../support/wait-for.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const ENV = (dataDir: string) => ({ ...process.env, LK_DATA_DIR: dataDir, LK_PARTITIONS: '1' });

/** Runs `lk <args>` over the embedded services in `dataDir` to its end. */
async function lk(dataDir: string, args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['cli/main.ts', ...args], { env: ENV(dataDir), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stdout, stderr };
}

const T0 = Date.parse('2026-01-01T10:00:00Z');
const view = (id: string, t: number) => JSON.stringify({ event_id: id, event_type: 'page_view', user_id: 'u-1', product_id: 'p-1', event_time: new Date(t).toISOString() });

/**
 * A history of page views of one product by one user (one partition), one every 10 s from 10:00
 * to 11:10, ingested now (append times after every event time: the watermark is the max event
 * time so far minus 5 s, and an event is too late below that minus the 60 s allowed lateness).
 * After the view of 10:30:00, two views dated 10:05:10 and 10:05:20 arrive: the bound is then
 * 10:28:55, so they are too late by 1,425,000 and 1,415,000 ms, in the window [10:05, 10:06).
 * After 10:25:00 the view of 10:20:00 is delivered again (a duplicate).
 */
function workload(): string {
  const lines: string[] = [];
  for (let t = T0; t <= T0 + 70 * 60_000; t += 10_000) {
    lines.push(view(`e-${t}`, t));
    if (t === T0 + 25 * 60_000) lines.push(view(`e-${T0 + 20 * 60_000}`, T0 + 20 * 60_000));
    if (t === T0 + 30 * 60_000) lines.push(view('late-a', T0 + 5 * 60_000 + 10_000), view('late-b', T0 + 5 * 60_000 + 20_000));
  }
  return `${lines.join('\n')}\n`;
}

describe('lk explain (and GET /v1/explain on lk serve)', () => {
  it('names exactly the too-late events, and how late each was, for a window that differs from the truth only by them', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lk-explain-cli-'));
    dirs.push(dataDir);
    const input = join(dataDir, 'events.jsonl');
    await writeFile(input, workload());
    expect((await lk(dataDir, ['ingest', '--input', input])).code).toBe(0);
    const speed = spawn(process.execPath, ['cli/main.ts', 'speed'], { env: ENV(dataDir), stdio: 'ignore' });
    const log = await EmbeddedLog.open(join(dataDir, 'log'));
    const end = [...(await log.endOffsets('events')).values()].reduce((a, b) => a + b, 0);
    await waitFor(async () => [...(await log.committedOffsets('events', 'lk-speed')).values()].reduce((a, b) => a + b, 0) === end, { timeoutMs: 60_000 });
    await log.close();
    speed.kill('SIGINT');
    await new Promise((resolve) => speed.on('exit', resolve));
    expect((await lk(dataDir, ['archive'])).code).toBe(0);
    const batch = await lk(dataDir, ['batch']);
    expect(batch.code, batch.stderr).toBe(0);

    const explain = async (start: string, mode: string) => {
      const r = await lk(dataDir, ['explain', '--view', 'product_activity', '--key', 'p-1', '--start', start, '--mode', mode, '--json']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as WindowExplanation;
    };
    // The speed layer lacks the two too-late views; the truth (hour 10 is below the horizon) has them.
    const speedX = await explain('2026-01-01T10:05:00Z', 'speed');
    expect(speedX.served).toMatchObject({ layers: ['speed'], batchHorizon: '2026-01-01T11:00:00.000Z', measures: { views: 6 } });
    expect(speedX.truth).toMatchObject({ known: true, equal: false, explainedByTooLate: true, window: { measures: { views: 8 } }, difference: { views: -2 } });
    expect(speedX.tooLate.map((e) => [e.eventId, e.lateByMs, e.lateBefore, e.counted])).toEqual([
      ['late-a', 1_425_000, '2026-01-01T10:28:55.000Z', false],
      ['late-b', 1_415_000, '2026-01-01T10:28:55.000Z', false],
    ]);
    expect(speedX.duplicates.ids).toEqual([]);

    // Lambda serves the same window from batch, which counts them: it equals the truth.
    const lambdaX = await explain('2026-01-01T10:05:00Z', 'lambda');
    expect(lambdaX.served).toMatchObject({ layers: ['batch'], measures: { views: 8 } });
    expect(lambdaX.truth).toMatchObject({ known: true, equal: true });
    expect(lambdaX.tooLate.map((e) => [e.eventId, e.counted])).toEqual([['late-a', true], ['late-b', true]]);

    // The redelivered view is dropped by every layer; the master dataset names its copies.
    const dupX = await explain('2026-01-01T10:20:00Z', 'speed');
    expect(dupX.truth).toMatchObject({ known: true, equal: true });
    expect(dupX.tooLate).toEqual([]);
    expect(dupX.duplicates.ids?.map((d) => [d.eventId, d.copies])).toEqual([[`e-${T0 + 20 * 60_000}`, 2]]);

    // Above the horizon the truth is not known yet, and the window's events are the speed layer's alone.
    const openX = await explain('2026-01-01T11:02:00Z', 'lambda');
    expect(openX.truth.known).toBe(false);
    expect(openX.served.layers).toEqual(['speed']);
    expect(openX.notYetInBatch.total).toBe(6);

    // Text output, and a bad start answered with what to do.
    const text = await lk(dataDir, ['explain', '--view', 'product_activity', '--key', 'p-1', '--start', '2026-01-01T10:05:00Z', '--mode', 'speed']);
    expect(text.stdout).toContain('too late late-a at 0@');
    expect(text.stdout).toContain('Exactly the 2 too-late event(s) listed make the difference');
    const bad = await lk(dataDir, ['explain', '--view', 'product_activity', '--key', 'p-1', '--start', '2026-01-01T10:05:30Z']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('is not a window start of view product_activity');

    // lk serve answers the same through HTTP.
    const serve = spawn(process.execPath, ['cli/main.ts', 'serve', '--port', '0'], { env: ENV(dataDir), stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      let stderr = '';
      serve.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      await waitFor(async () => /listening on (\S+)/.test(stderr), { timeoutMs: 30_000 });
      const url = /listening on (\S+)/.exec(stderr)![1];
      const r = await fetch(`${url}/v1/explain/product_activity?key=p-1&start=2026-01-01T10:05:00Z&mode=speed`);
      expect(r.status).toBe(200);
      const httpX = (await r.json()) as WindowExplanation;
      expect(httpX.tooLate).toEqual(speedX.tooLate);
      expect(httpX.truth).toEqual(speedX.truth);
    } finally {
      serve.kill('SIGINT');
      await new Promise((resolve) => serve.on('exit', resolve));
    }
  }, 180_000);
});
