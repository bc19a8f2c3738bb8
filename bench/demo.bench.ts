import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LkError } from '../shared/errors.ts';
import type { Figure } from './figure.ts';

const CLI = fileURLToPath(new URL('../cli/main.ts', import.meta.url));
const PRELOAD = new URL('./peak-rss-preload.ts', import.meta.url).href;

/** The issue's target: several simulated hours (the default demo plays 3, plus the tail to the next hourly run) in about a minute on 2 cores. */
const WALL_TARGET_S = 60;
/** The report is written after the run: it must not be what the user waits for. */
const REPORT_TARGET_MS = 5_000;

/**
 * `lk demo --report FILE --json` as a user runs it (`npm start`), as a child process on the
 * embedded services in a temporary data dir: its wall time (process start included), CPU and
 * peak RSS (the preload reads them at exit), the timeline's wall time and simulated span, and the
 * time to write the HTML report. `events`: the workload's records (default the demo's).
 */
export async function benchDemo(events: number | undefined, log: (m: string) => void): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'lk-demo-bench-'));
  try {
    const report = join(dir, 'report.html');
    const args = ['demo', '--report', report, '--json', '--data-dir', join(dir, 'data'), ...(events === undefined ? [] : ['--events', String(events)])];
    log(`bench: lk ${args.join(' ')}`);
    const t0 = performance.now();
    const { stdout, stderr } = await run(args);
    const wallS = (performance.now() - t0) / 1000;
    const json = JSON.parse(stdout) as { events: { generated: number; probes: number }; timeline: { simStart: string; simEnd: string; speedup: number | null; wallMs: number } };
    const rss = /peak-rss-kb (\d+)/.exec(stderr);
    const cpu = /cpu-ms (\d+)/.exec(stderr);
    const written = /report: .* \((\d+) KiB\) written in (\d+) ms/.exec(stderr);
    if (!rss || !cpu || !written) throw new LkError(`lk demo did not report its peak memory, CPU or report; its output ends with:\n${stderr.slice(-2000)}`);
    const t = json.timeline;
    const simHours = (Date.parse(t.simEnd) - Date.parse(t.simStart)) / 3_600_000;
    const setting = `${json.events.generated.toLocaleString('en-US')} records + ${json.events.probes} probes, ${t.speedup === null ? 'as fast as the work allows' : `${t.speedup}x`}, ${cpus().length} cores`;
    return [
      { name: 'lk demo --report: wall', value: Number(wallS.toFixed(1)), unit: 's', target: { op: '<=', value: WALL_TARGET_S }, note: `${simHours.toFixed(2)} simulated hours (the workload's span + the tail to the next hourly run); ${setting}; process start included` },
      { name: 'lk demo: simulated hours per wall minute', value: Number((simHours / (wallS / 60)).toFixed(2)), unit: 'h/min', note: 'whole run: truth, timeline, final comparison, quiet backfills, storage, report' },
      { name: 'lk demo: timeline', value: Number((t.wallMs / 1000).toFixed(1)), unit: 's', note: `${t.simStart.slice(0, 16)} to ${t.simEnd.slice(0, 16)} UTC simulated; paced by the speedup` },
      { name: 'lk demo: CPU (user + system)', value: Number((Number(cpu[1]) / 1000).toFixed(1)), unit: 's', note: `${((Number(cpu[1]) / 1000 / wallS) * 100).toFixed(0)}% of one core over the wall time` },
      { name: 'lk demo: peak RSS', value: Math.round(Number(rss[1]) / 1024), unit: 'MB' },
      { name: 'lk demo: HTML report written', value: Number(written[2]), unit: 'ms', target: { op: '<=', value: REPORT_TARGET_MS }, note: `${written[1]} KiB (${((await stat(report)).size / 1024).toFixed(0)} KiB on disk), uPlot inlined` },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs `lk <args>` with the preload on the embedded services; rejects with its output on a non-zero exit. */
function run(args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', PRELOAD, CLI, ...args], { env: { ...process.env, LK_SERVICES: 'embedded' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-64_000);
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr });
      else reject(new LkError(`lk ${args[0]} exited with code ${code}; its output ends with:\n${stderr.slice(-2000)}`));
    });
  });
}
