/**
 * The Lambda stack of docker-compose.yml, run without Docker: the platform's three processes
 * (speed, batch --schedule, serve) started with the commands and environment the file gives them,
 * its service names pointed at this run's Kafka, PostgreSQL and S3, each process with a data
 * directory of its own as each container has. What Docker adds (images, network, restarts) is not
 * tested here; test/docker-compose.test.ts checks the file against the code.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { groundTruthFromLog } from '../../../compare/ground-truth.ts';
import { openAdapters } from '../../../infra/adapters.ts';
import { freePort } from '../../../infra/local/local-process.ts';
import { compilePipeline } from '../../../shared/compute/pipeline.ts';
import { loadConfig } from '../../../shared/config.ts';
import { bucketOf, HOUR_MS } from '../../../shared/time/bucket.ts';
import { generateWorkload } from '../../../examples/ecommerce/workload/generator.ts';
import { PLATFORM_SERVICES, readComposeFile, serviceOf, type ComposeService } from '../../support/compose-file.ts';
import { dropPgSchema } from '../../support/pg-schema.ts';
import { kafkaOrSkip, postgresOrSkip, s3OrSkip, uniqueName } from '../../support/services.ts';
import { waitFor } from '../../support/wait-for.ts';
import { ecommerceConfig } from '../../support/ecommerce.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);

interface Started {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exit: Promise<number | null>;
  stderr: string;
}

const started: Started[] = [];
const dirs: string[] = [];
const schemas: Array<{ url: string; schema: string }> = [];
afterEach(async () => {
  for (const p of started.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  for (const s of schemas.splice(0)) await dropPgSchema(s.url, s.schema);
});

/** Starts a compose service's command as a local process, `node` being this Node. */
function startService(name: string, service: ComposeService, env: Record<string, string>): Started {
  const [node, ...args] = service.command ?? [];
  expect(node).toBe('node');
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const p: Started = {
    name,
    child,
    stderr: '',
    exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  child.stderr!.on('data', (d: Buffer) => (p.stderr = (p.stderr + d.toString()).slice(-20_000)));
  started.push(p);
  return p;
}

describe('docker-compose.yml without Docker', () => {
  it('its speed, batch and serve processes run the Lambda stack on real services: Lambda equals the truth, batch below the horizon, speed from it', async (ctx) => {
    const kafka = kafkaOrSkip(ctx);
    const pg = postgresOrSkip(ctx);
    const s3 = s3OrSkip(ctx);
    const compose = readComposeFile();

    // The compose service names resolve to this run's servers; the rest of each value is the file's.
    const topic = uniqueName('compose');
    const schema = uniqueName('compose').replaceAll('-', '_').toLowerCase();
    schemas.push({ url: pg.url, schema });
    const bucket = uniqueName('compose').toLowerCase();
    const port = await freePort();
    const hostEnv = (fromFile: Readonly<Record<string, string>>, dataDir: string): Record<string, string> => {
      const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...fromFile };
      expect(env.KAFKA_BROKERS).toBe('kafka:9092');
      env.KAFKA_BROKERS = kafka.brokers.join(',');
      expect(new URL(env.DATABASE_URL).hostname).toBe('postgres');
      env.DATABASE_URL = pg.url;
      expect(new URL(env.S3_ENDPOINT).hostname).toBe('s3proxy');
      Object.assign(env, { S3_ENDPOINT: s3.endpoint, S3_REGION: s3.region, S3_BUCKET: bucket, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey });
      // This run's own topic, schema and port; the image's data directory is each container's own.
      Object.assign(env, { LK_TOPIC: topic, PG_SCHEMA: schema, LK_DATA_DIR: dataDir });
      if (env.LK_PORT !== undefined) env.LK_PORT = String(port);
      return env;
    };
    const envs: Record<string, Record<string, string>> = {};
    for (const name of PLATFORM_SERVICES) {
      const dir = await mkdtemp(join(tmpdir(), `lk-compose-${name}-`));
      dirs.push(dir);
      envs[name] = hostEnv(serviceOf(compose, name).environment, dir);
    }

    // Two complete hours and the current one so far, no event beyond the allowed lateness: with the
    // batch published, Lambda must equal the truth in every window. An hour is complete once the
    // log's watermark is 5 min (the straggler delay) past its end, so within the first minutes of
    // an hour the two complete ones are the two before the previous one.
    const config = loadConfig(envs.speed, { pipeline: ecommerceConfig() });
    const pipeline = compilePipeline(config.pipeline);
    const now = Date.now();
    const startTime = bucketOf(now - 10 * 60_000, HOUR_MS) - 2 * HOUR_MS;
    const w = generateWorkload({ seed: 23, events: 3_000, users: 150, products: 30, startTime, spanMs: now - startTime - 60_000, tooLateFraction: 0 }, pipeline.config);
    const adapters = await openAdapters(config);
    try {
      await adapters.log.ensureTopic(config.topics.events, config.partitions);
      await adapters.log.append(config.topics.events, w.records.map((r) => ({ key: r.key, value: r.value })));
      const truth = await groundTruthFromLog(pipeline, adapters.log, config.topics.events);

      const processes = PLATFORM_SERVICES.map((name) => startService(name, serviceOf(compose, name), envs[name]));
      const diagnostics = () => processes.map((p) => `--- ${p.name} (exit ${p.child.exitCode}):\n${p.stderr}`).join('\n');
      const api = `http://127.0.0.1:${port}`;
      try {
        // The serve container's own health check, on this run's port.
        const check = serviceOf(compose, 'serve').healthcheck!.test.map((a) => a.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${port}`));
        expect(check.slice(0, 2)).toEqual(['CMD', 'node']);
        await waitFor(() => run(process.execPath, check.slice(2)).then(() => true, () => false), { timeoutMs: 60_000, intervalMs: 250, message: `serve's health check\n${diagnostics()}` });

        // The batch scheduler catches up at start; the speed layer reads the whole topic.
        const status = await waitFor(
          async () => {
            const s = (await (await fetch(`${api}/v1/status`)).json()) as { batchHorizon: string | null; namespaces: { namespace: string; recordsRead: number }[] };
            const speed = s.namespaces.find((n) => n.namespace === 'speed');
            return s.batchHorizon !== null && Date.parse(s.batchHorizon) >= startTime + 2 * HOUR_MS && speed?.recordsRead === w.records.length ? s : null;
          },
          { timeoutMs: 120_000, intervalMs: 250, message: `the batch horizon and the speed layer\n${diagnostics()}` },
        );
        const horizon = Date.parse(status.batchHorizon!);

        for (const view of pipeline.views) {
          const res = await fetch(`${api}/v1/views/${view.name}?mode=lambda&from=${startTime - HOUR_MS}&to=${now + HOUR_MS}&limit=10000`);
          expect(res.status, view.name).toBe(200);
          const body = (await res.json()) as { windows: { key: string; start: string; end: string; layers: string[]; value: unknown }[] };
          const served = new Map(body.windows.map((x) => [`${x.key}|${Date.parse(x.start)}|${Date.parse(x.end)}`, x.value]));
          const expected = new Map(truth.views[view.name].map((t) => [`${t.key}|${t.start}|${t.end}`, view.def.present!(t.values, { start: t.start, end: t.end })]));
          expect(served.size, view.name).toBeGreaterThan(0);
          expect(served, view.name).toEqual(expected);
          // The merge rule at the horizon: batch wholly below it, speed wholly from it on.
          expect(body.windows.some((x) => Date.parse(x.end) <= horizon), view.name).toBe(true);
          for (const x of body.windows) {
            if (Date.parse(x.end) <= horizon) expect(x.layers, `${view.name} ${x.key} ${x.start}`).toEqual(['batch']);
            if (Date.parse(x.start) >= horizon) expect(x.layers, `${view.name} ${x.key} ${x.start}`).toEqual(['speed']);
          }
        }

        // `docker compose stop` sends SIGTERM (through init): every process stops cleanly.
        for (const p of processes) p.child.kill('SIGTERM');
        for (const p of processes) expect(await p.exit, `${p.name}\n${p.stderr}`).toBe(0);
      } finally {
        for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
      }
    } finally {
      await adapters.close();
    }
  });
});
