import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ecommerceConfig } from '../../support/ecommerce.ts';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { openAdapters } from '../../../infra/adapters.ts';
import { freePorts, portAnswers } from '../../../infra/local/local-process.ts';
import { PostgresViewStore } from '../../../infra/postgres/postgres-view-store.ts';
import { loadConfig } from '../../../shared/config.ts';
import { postgresOrSkip, uniqueName } from '../../support/services.ts';

/**
 * `lk services up | status | down` as a user runs them, each a process of its own: the servers
 * must outlive `up`, and `down` must find them again by their pid files. Ports are free ones and
 * the directory a temporary one, so nothing the machine runs (its PostgreSQL on 5432, another
 * engineer's broker) is touched; PostgreSQL is a private cluster on its own port.
 */
const main = fileURLToPath(new URL('../../../cli/main.ts', import.meta.url));
const run = promisify(execFile);

/** The environment without the settings that would choose other servers for `lk services`. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['KAFKA_BROKERS', 'S3_ENDPOINT', 'DATABASE_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'LK_SERVICES_DIR', 'LK_SERVICES']) delete env[name];
  return { ...env, ...extra };
}

async function lk(args: readonly string[], env: NodeJS.ProcessEnv = cleanEnv()): Promise<string> {
  const { stdout } = await run(process.execPath, [main, ...args], { env, timeout: 240_000 });
  return stdout;
}

type States = Record<'kafka' | 's3' | 'postgres', { kind: string; owner?: string; pid?: number; port: number }>;

describe('lk services', () => {
  const dirs: string[] = [];
  const downs: string[][] = [];
  afterAll(async () => {
    // A failed assertion must not leave JVMs and a cluster running.
    for (const flags of downs) await lk(['services', 'down', ...flags]).catch(() => undefined);
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('starts the three servers detached, serves the adapters, is idempotent, and stops them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lk-services-'));
    dirs.push(dir);
    // As root the private cluster runs as the postgres user, who must be able to enter the directory.
    await chmod(dir, 0o755);
    const [kafka, controller, s3, pg] = await freePorts(4);
    const flags = ['--dir', dir, '--kafka-port', String(kafka), '--kafka-controller-port', String(controller), '--s3-port', String(s3), '--postgres-port', String(pg)];
    downs.push(['--dir', dir]);

    const up = await lk(['services', 'up', ...flags]);
    expect(up).toContain('npm start -- --services real');
    expect(up).toContain(`KAFKA_BROKERS=127.0.0.1:${kafka}`);

    // `status` is a new process: it finds the servers by their pid files, on the ports `up` remembered.
    const states = JSON.parse(await lk(['services', 'status', '--dir', dir, '--json'])) as States;
    expect(states.kafka).toMatchObject({ kind: 'running', owner: 'lk', port: kafka });
    expect(states.s3).toMatchObject({ kind: 'running', owner: 'lk', port: s3 });
    expect(states.postgres).toMatchObject({ kind: 'running', owner: 'lk', port: pg });

    // The platform's own adapters, configured as `--services real` with the addresses `up` printed.
    const name = uniqueName('svc');
    const config = loadConfig(
      { KAFKA_BROKERS: `127.0.0.1:${kafka}`, S3_ENDPOINT: `http://127.0.0.1:${s3}`, DATABASE_URL: `postgres://postgres:postgres@127.0.0.1:${pg}/postgres`, LK_TOPIC: name, PG_SCHEMA: name, S3_PREFIX: name },
      { pipeline: ecommerceConfig(), services: 'real', dataDir: join(dir, 'client') },
    );
    const adapters = await openAdapters(config);
    try {
      await adapters.log.ensureTopic(name, 1);
      await adapters.log.append(name, [{ key: 'k', value: 'one' }, { key: 'k', value: 'two' }]);
      expect(await adapters.log.endOffsets(name)).toEqual(new Map([[0, 2]]));
      await adapters.objects.putText('hello.txt', 'hello from lk services');
      expect(await adapters.objects.getText('hello.txt')).toBe('hello from lk services');
      await adapters.views.ensureNamespace('it');
      expect((await adapters.views.checkpoints('it')).size).toBe(0);
    } finally {
      await adapters.close();
    }

    const again = await lk(['services', 'up', '--dir', dir]);
    expect(again.match(/already running/g)).toHaveLength(3);
    expect(JSON.parse(await lk(['services', 'status', '--dir', dir, '--json']))).toEqual(states);

    const down = await lk(['services', 'down', '--dir', dir]);
    expect(down).toMatch(/^kafka\s+stopped$/m);
    expect(down).toMatch(/^s3\s+stopped$/m);
    expect(down).toMatch(/^postgres\s+stopped$/m);
    const after = JSON.parse(await lk(['services', 'status', '--dir', dir, '--json'])) as States;
    expect([after.kafka.kind, after.s3.kind, after.postgres.kind]).toEqual(['stopped', 'stopped', 'stopped']);
    // Gone, not just forgotten: nothing answers on their ports (a stopped pid may linger as a zombie where init does not reap).
    for (const p of [kafka, s3, pg]) expect(await portAnswers('127.0.0.1', p!)).toBe(false);
  });

  it('uses a PostgreSQL it finds and leaves it running on down', async (ctx) => {
    const { url } = postgresOrSkip(ctx);
    const dir = await mkdtemp(join(tmpdir(), 'lk-services-'));
    dirs.push(dir);
    const env = cleanEnv({ DATABASE_URL: url });
    const states = JSON.parse(await lk(['services', 'status', '--dir', dir, '--json'], env)) as States;
    expect(states.postgres).toMatchObject({ kind: 'running', owner: 'found', port: Number(new URL(url).port || 5432) });
    expect(await lk(['services', 'down', '--dir', dir], env)).toMatch(/^postgres\s+left alone/m);
    expect(await PostgresViewStore.ping(url)).toBe(true);
  });
});
