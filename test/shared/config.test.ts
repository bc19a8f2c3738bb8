import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, withDataDir } from '../../shared/config.ts';

import { ConfigError } from '../../shared/errors.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';

const DIR = '/tmp/lk-config-test';

describe('loadConfig', () => {
  it('defaults to embedded adapters under the data directory', () => {
    const c = loadConfig({ LK_DATA_DIR: DIR }, { pipeline: ecommerceConfig() });
    expect(c).toMatchObject({
      dataDir: DIR,
      log: { kind: 'embedded', dir: join(DIR, 'log') },
      objectStore: { kind: 'local', dir: join(DIR, 'objects') },
      viewStore: { kind: 'duckdb', path: join(DIR, 'views.duckdb') },
      topics: { events: 'events', deadLetter: 'events.dead-letter', late: 'events.late' },
      partitions: 4,
      serving: { host: '127.0.0.1', port: 8080 },
    });
    expect(c.pipeline.views.map((v) => v.name)).toEqual(ecommerceConfig().views.map((v) => v.name));
  });

  it('resolves a relative data directory against the working directory', () => {
    expect(loadConfig({}, { pipeline: ecommerceConfig() }).dataDir).toBe(resolve('.lk-data'));
    expect(loadConfig({ LK_DATA_DIR: 'rel' }, { pipeline: ecommerceConfig() }).dataDir).toBe(resolve('rel'));
  });

  it('moves all three ports to real services with one switch, with the docker-compose defaults', () => {
    const c = loadConfig({ LK_SERVICES: 'real', LK_DATA_DIR: DIR }, { pipeline: ecommerceConfig() });
    expect(c.log).toEqual({ kind: 'kafka', brokers: ['127.0.0.1:9092'], clientId: 'lambdakappa' });
    expect(c.objectStore).toMatchObject({ kind: 's3', bucket: 'lambdakappa', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, region: 'us-east-1', cacheDir: join(DIR, 's3-cache') });
    expect(c.viewStore).toEqual({ kind: 'postgres', url: 'postgres://postgres:postgres@127.0.0.1:5432/postgres', schema: 'lambdakappa' });
  });

  it('lets command-line overrides win over the environment', () => {
    const c = loadConfig({ LK_SERVICES: 'real', LK_DATA_DIR: '/elsewhere', LK_PORT: '9000' }, { pipeline: ecommerceConfig(), services: 'embedded', dataDir: DIR, port: 0 });
    expect(c.log.kind).toBe('embedded');
    expect(c.dataDir).toBe(DIR);
    expect(c.serving.port).toBe(0);
  });

  it('chooses each port on its own and reads its settings', () => {
    const c = loadConfig({
      LK_DATA_DIR: DIR,
      LK_LOG: 'kafka',
      KAFKA_BROKERS: ' a:9092, b:9093 ,',
      LK_OBJECT_STORE: 's3',
      S3_BUCKET: 'bkt',
      S3_PREFIX: '/runs/one/',
      AWS_REGION: 'eu-west-1',
      LK_VIEW_STORE: 'postgres',
      DATABASE_URL: 'postgresql://u@h:5432/db',
      PG_SCHEMA: 'lk_test',
      LK_TOPIC: 'clicks',
      LK_PARTITIONS: '8',
    }, { pipeline: ecommerceConfig() });
    expect(c.log).toEqual({ kind: 'kafka', brokers: ['a:9092', 'b:9093'], clientId: 'lambdakappa' });
    expect(c.objectStore).toMatchObject({ kind: 's3', bucket: 'bkt', prefix: 'runs/one', region: 'eu-west-1', endpoint: undefined, forcePathStyle: false });
    expect(c.viewStore).toEqual({ kind: 'postgres', url: 'postgresql://u@h:5432/db', schema: 'lk_test' });
    expect(c.topics).toEqual({ events: 'clicks', deadLetter: 'clicks.dead-letter', late: 'clicks.late' });
    expect(c.partitions).toBe(8);
  });

  it('reads the Kafka session timeout from KAFKA_SESSION_TIMEOUT_MS, refusing values below 1 s', () => {
    expect(loadConfig({ LK_DATA_DIR: DIR, LK_LOG: 'kafka', KAFKA_BROKERS: 'a:9092', KAFKA_SESSION_TIMEOUT_MS: '2500' }, { pipeline: ecommerceConfig() }).log).toEqual({
      kind: 'kafka',
      brokers: ['a:9092'],
      clientId: 'lambdakappa',
      sessionTimeoutMs: 2500,
    });
    expect(() => loadConfig({ LK_DATA_DIR: DIR, LK_LOG: 'kafka', KAFKA_BROKERS: 'a:9092', KAFKA_SESSION_TIMEOUT_MS: '500' }, { pipeline: ecommerceConfig() })).toThrow(/KAFKA_SESSION_TIMEOUT_MS=500 must be a whole number from 1000/);
  });

  it('applies the documented DATABASE_URL default when LK_VIEW_STORE=postgres is set alone', () => {
    expect(loadConfig({ LK_DATA_DIR: DIR, LK_VIEW_STORE: 'postgres' }, { pipeline: ecommerceConfig() }).viewStore).toEqual({
      kind: 'postgres',
      url: 'postgres://postgres:postgres@127.0.0.1:5432/postgres',
      schema: 'lambdakappa',
    });
  });

  it('validates the ports a command opens at once, any other only when it is read', () => {
    const env = { LK_VIEW_STORE: 'postgres', DATABASE_URL: 'mysql://x', LK_OBJECT_STORE: 's3', S3_BUCKET: '' };
    const config = loadConfig(env, { pipeline: ecommerceConfig() }, ['log']);
    expect(config.log.kind).toBe('embedded');
    expect(() => config.viewStore).toThrow(ConfigError);
    expect(() => config.viewStore).toThrow('DATABASE_URL must start with postgres://');
    expect(() => config.objectStore).toThrow('S3_BUCKET is empty');
    expect(() => loadConfig(env, { pipeline: ecommerceConfig() }, ['log', 'viewStore'])).toThrow('DATABASE_URL must start with postgres://');
    expect(() => loadConfig(env, { pipeline: ecommerceConfig() })).toThrow(ConfigError);
    expect(loadConfig({ LK_VIEW_STORE: 'postgres' }, { pipeline: ecommerceConfig() }, []).viewStore).toMatchObject({ kind: 'postgres' });
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ LK_SERVICES: '', LK_PORT: '', LK_DATA_DIR: DIR }, { pipeline: ecommerceConfig() }).serving.port).toBe(8080);
  });

  const bad: [string, Record<string, string>, RegExp][] = [
    ['an unknown LK_SERVICES', { LK_SERVICES: 'cloud' }, /LK_SERVICES=cloud is not one of embedded, real/],
    ['an unknown LK_VIEW_STORE', { LK_VIEW_STORE: 'sqlite' }, /LK_VIEW_STORE=sqlite/],
    ['kafka without brokers', { LK_LOG: 'kafka' }, /KAFKA_BROKERS is empty; set it .* or run with the embedded log/],
    ['a broker without a port', { LK_LOG: 'kafka', KAFKA_BROKERS: 'localhost' }, /"localhost" must be host:port/],
    ['s3 without a bucket', { LK_OBJECT_STORE: 's3' }, /S3_BUCKET is empty/],
    ['an S3 endpoint that is not a URL', { LK_OBJECT_STORE: 's3', S3_BUCKET: 'b', S3_ENDPOINT: 'minio:9000' }, /S3_ENDPOINT=minio:9000 must be an http\(s\) URL/],
    ['a non-boolean S3_FORCE_PATH_STYLE', { LK_OBJECT_STORE: 's3', S3_BUCKET: 'b', S3_FORCE_PATH_STYLE: 'maybe' }, /S3_FORCE_PATH_STYLE=maybe must be true or false/],
    ['a DATABASE_URL of another database', { LK_VIEW_STORE: 'postgres', DATABASE_URL: 'mysql://h/db' }, /must start with postgres:\/\//],
    ['a schema that is not an identifier', { LK_SERVICES: 'real', PG_SCHEMA: 'Bad-Name' }, /PG_SCHEMA=Bad-Name must be a lowercase SQL identifier/],
    ['zero partitions', { LK_PARTITIONS: '0' }, /LK_PARTITIONS=0 must be a whole number from 1 to 256/],
    ['a fractional partition count', { LK_PARTITIONS: '2.5' }, /LK_PARTITIONS/],
    ['a port out of range', { LK_PORT: '70000' }, /LK_PORT=70000 must be a whole number from 0 to 65535/],
    ['a port that is not a number', { LK_PORT: 'http' }, /LK_PORT=http/],
    ['a negative straggler delay', { LK_STRAGGLER_DELAY_MS: '-1' }, /LK_STRAGGLER_DELAY_MS=-1 must be a whole number from 0 to 86400000/],
    ['a straggler delay in minutes', { LK_STRAGGLER_DELAY_MS: '5m' }, /LK_STRAGGLER_DELAY_MS=5m/],
  ];

  it('reads the batch straggler delay: 5 minutes by default, LK_STRAGGLER_DELAY_MS, the command line over both', () => {
    expect(loadConfig({ LK_DATA_DIR: DIR }, { pipeline: ecommerceConfig() }).batch).toEqual({ stragglerDelayMs: 300_000 });
    expect(loadConfig({ LK_DATA_DIR: DIR, LK_STRAGGLER_DELAY_MS: '60000' }, { pipeline: ecommerceConfig() }).batch.stragglerDelayMs).toBe(60_000);
    expect(loadConfig({ LK_DATA_DIR: DIR, LK_STRAGGLER_DELAY_MS: '60000' }, { pipeline: ecommerceConfig(), stragglerDelayMs: 0 }).batch.stragglerDelayMs).toBe(0);
    expect(() => loadConfig({ LK_DATA_DIR: DIR }, { pipeline: ecommerceConfig(), stragglerDelayMs: 86_400_001 })).toThrow(ConfigError);
  });

  it.each(bad)('rejects %s with a ConfigError that names the setting', (_name, env, message) => {
    expect(() => loadConfig({ LK_DATA_DIR: DIR, ...env }, { pipeline: ecommerceConfig() })).toThrow(ConfigError);
    expect(() => loadConfig({ LK_DATA_DIR: DIR, ...env }, { pipeline: ecommerceConfig() })).toThrow(message);
  });
});

describe('withDataDir', () => {
  it('moves every embedded port under the new data dir, as loadConfig would place them there, and leaves real services as they are', () => {
    const moved = withDataDir(loadConfig({ LK_DATA_DIR: DIR }, { pipeline: ecommerceConfig() }), '/tmp/lk-scratch');
    const fresh = loadConfig({ LK_DATA_DIR: '/tmp/lk-scratch' }, { pipeline: ecommerceConfig() });
    expect({ dataDir: moved.dataDir, log: moved.log, objectStore: moved.objectStore, viewStore: moved.viewStore }).toEqual({ dataDir: fresh.dataDir, log: fresh.log, objectStore: fresh.objectStore, viewStore: fresh.viewStore });
    const real = loadConfig({ LK_SERVICES: 'real', LK_DATA_DIR: DIR, LK_LOG: 'embedded' }, { pipeline: ecommerceConfig() });
    const mixed = withDataDir(real, '/tmp/lk-scratch');
    expect(mixed.log).toEqual({ kind: 'embedded', dir: join('/tmp/lk-scratch', 'log') });
    expect(mixed.viewStore).toEqual(real.viewStore);
    expect(mixed.objectStore).toEqual({ ...real.objectStore, cacheDir: join('/tmp/lk-scratch', 's3-cache') });
    expect(mixed.topics).toEqual(real.topics);
  });
});
