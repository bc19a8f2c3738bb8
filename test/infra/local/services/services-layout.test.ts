import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { realModeEnv, saveLayout, servicesLayout, type ServicesLayout } from '../../../../infra/local/services/services-layout.ts';
import { loadConfig } from '../../../../shared/config.ts';
import { ConfigError } from '../../../../shared/errors.ts';
import { ecommerceConfig } from '../../../support/ecommerce.ts';

/** Where a `--services real` run with `env` connects. */
function reached(env: Record<string, string>): { kafka: string; s3: string; postgres: string } {
  const c = loadConfig(env, { pipeline: ecommerceConfig(), services: 'real', dataDir: '/tmp/unused' });
  if (c.log.kind !== 'kafka' || c.objectStore.kind !== 's3' || c.viewStore.kind !== 'postgres') throw new Error('not real mode');
  return { kafka: c.log.brokers.join(','), s3: c.objectStore.endpoint!, postgres: c.viewStore.url };
}

function served(l: ServicesLayout): { kafka: string; s3: string; postgres: string } {
  return { kafka: `127.0.0.1:${l.kafka.port}`, s3: `http://127.0.0.1:${l.s3.port}`, postgres: l.postgres.url };
}

describe('servicesLayout', () => {
  const dirs: string[] = [];
  const dir = async () => {
    const d = await mkdtemp(join(tmpdir(), 'lk-layout-'));
    dirs.push(d);
    return d;
  };
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('serves, with no settings, exactly where a --services real run with no settings connects', async () => {
    const layout = await servicesLayout({}, { dir: await dir() });
    expect(served(layout)).toEqual(reached({}));
    expect(layout.kafka.controllerPort).toBe(layout.kafka.port + 1);
    expect(realModeEnv(layout, {})).toEqual({});
  });

  it('takes ports from the flags, else the real-mode variables, and prints the variables a run then needs', async () => {
    const env = { KAFKA_BROKERS: '127.0.0.1:19092', S3_ENDPOINT: 'http://localhost:19000', DATABASE_URL: 'postgres://me:pw@127.0.0.1:15432/db' };
    const fromEnv = await servicesLayout(env, { dir: await dir() });
    expect([fromEnv.kafka, fromEnv.s3.port, fromEnv.postgres]).toEqual([{ port: 19092, controllerPort: 19093 }, 19000, { port: 15432, url: 'postgres://me:pw@127.0.0.1:15432/db' }]);
    const fromFlags = await servicesLayout(env, { dir: await dir(), kafkaPort: 29092, kafkaControllerPort: 29999, s3Port: 29000, postgresPort: 25432 });
    expect([fromFlags.kafka, fromFlags.s3.port, fromFlags.postgres.url]).toEqual([{ port: 29092, controllerPort: 29999 }, 29000, 'postgres://me:pw@127.0.0.1:25432/db']);
    // With the variables printed, a real-mode run reaches the servers.
    expect(served(fromFlags)).toEqual(reached({ ...env, ...realModeEnv(fromFlags, env) }));
    const bare = await servicesLayout({}, { dir: await dir(), kafkaPort: 29092, s3Port: 29000, postgresPort: 25432 });
    expect(served(bare)).toEqual(reached(realModeEnv(bare, {})));
  });

  it('remembers the ports of the last up in its directory', async () => {
    const d = await dir();
    await saveLayout(await servicesLayout({}, { dir: d, kafkaPort: 29092, s3Port: 29000, postgresPort: 25432 }));
    const later = await servicesLayout({}, { dir: d });
    expect([later.kafka.port, later.kafka.controllerPort, later.s3.port, later.postgres.port]).toEqual([29092, 29093, 29000, 25432]);
  });

  it('refuses addresses it cannot serve on this machine, saying what to do', async () => {
    const d = await dir();
    await expect(servicesLayout({ KAFKA_BROKERS: 'kafka:9092' }, { dir: d })).rejects.toThrow(ConfigError);
    await expect(servicesLayout({ KAFKA_BROKERS: '127.0.0.1:9092,127.0.0.1:9094' }, { dir: d })).rejects.toThrow(/names 2 brokers/);
    await expect(servicesLayout({ DATABASE_URL: 'postgres://db.example.com/x' }, { dir: d })).rejects.toThrow(/unset DATABASE_URL, or pass the port as a flag/);
  });
});
