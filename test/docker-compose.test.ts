/**
 * docker-compose.yml held to the code, without Docker: the same server versions as the tests, the
 * settings the platform reads, ports and credentials that agree between services and with the
 * `LK_SERVICES=real` defaults, and commands the CLI accepts. test/integration/e2e/compose-stack.test.ts
 * then runs the platform's three processes as the file defines them against real services.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../cli/command.ts';
import { loadCommands } from '../cli/commands/index.ts';
import { KAFKA_IMAGE, POSTGRES_IMAGE, S3PROXY_IMAGE } from '../infra/local/containers.ts';
import { loadConfig } from '../shared/config.ts';
import { imageTag, PLATFORM_SERVICES, readComposeFile, serviceOf } from './support/compose-file.ts';
import { ecommerceConfig } from './support/ecommerce.ts';

const commands = await loadCommands();

const compose = readComposeFile();
const kafka = serviceOf(compose, 'kafka');
const postgres = serviceOf(compose, 'postgres');
const s3proxy = serviceOf(compose, 's3proxy');

const pomProperty = (pom: string, name: string) => {
  const m = new RegExp(`<${name}>([^<]+)</${name}>`).exec(readFileSync(new URL(`../infra/local/${pom}`, import.meta.url), 'utf8'));
  if (!m) throw new Error(`infra/local/${pom} has no <${name}>`);
  return m[1];
};

/** `host:container` ports as published on the host: `127.0.0.1:9092:29092` -> { host: '127.0.0.1:9092', container: 29092 }. */
const published = (port: string) => {
  const m = /^(.+:\d+):(\d+)$/.exec(port);
  if (!m) throw new Error(`port "${port}" should publish on an interface (127.0.0.1:host:container)`);
  return { host: m[1], container: Number(m[2]) };
};

/** The listener named `name` in a Kafka listener list (`PLAINTEXT://kafka:9092,HOST://...`). */
const listener = (list: string, name: string) => {
  const entry = list.split(',').find((l) => l.startsWith(`${name}://`));
  if (!entry) throw new Error(`no ${name} listener in ${list}`);
  return entry.slice(name.length + 3);
};

describe('docker-compose.yml', () => {
  it('runs the same server versions as the tests without Docker and with testcontainers', () => {
    expect(imageTag(kafka.image)).toBe(pomProperty('kafka/pom.xml', 'kafka.version'));
    expect(kafka.image).toBe(KAFKA_IMAGE);
    expect(imageTag(s3proxy.image)).toBe(pomProperty('s3/pom.xml', 's3proxy.version'));
    expect(s3proxy.image).toBe(S3PROXY_IMAGE);
    expect(postgres.image).toBe(POSTGRES_IMAGE);
    expect(imageTag(postgres.image)).toMatch(/^16\b/);
  });

  it('gives every service a restart policy, the servers and the HTTP API health checks, and starts the platform once the servers are healthy', () => {
    for (const [name, s] of Object.entries(compose.services)) expect(s.restart, name).toMatch(/^(always|unless-stopped|on-failure)/);
    for (const s of [kafka, postgres, s3proxy, serviceOf(compose, 'serve')]) expect(s.healthcheck?.test.length).toBeGreaterThan(0);
    for (const name of PLATFORM_SERVICES) {
      expect(serviceOf(compose, name).depends_on).toEqual({ kafka: { condition: 'service_healthy' }, postgres: { condition: 'service_healthy' }, s3proxy: { condition: 'service_healthy' } });
    }
  });

  it('runs each platform process as an lk command with options the command accepts', () => {
    for (const name of PLATFORM_SERVICES) {
      const [node, main, sub, ...args] = serviceOf(compose, name).command ?? [];
      expect([node, main]).toEqual(['node', 'cli/main.ts']);
      const cmd = commands.find((c) => c.name === sub);
      expect(cmd, `${name}: lk ${sub}`).toBeDefined();
      expect(() => parseCommandArgs(cmd!, args)).not.toThrow();
    }
    expect(serviceOf(compose, 'batch').command).toContain('--schedule');
  });

  it('sets only settings the platform reads, pointing at the compose services with their credentials', () => {
    const configSource = readFileSync(new URL('../shared/config.ts', import.meta.url), 'utf8');
    for (const name of PLATFORM_SERVICES) {
      const env = serviceOf(compose, name).environment;
      for (const key of Object.keys(env)) expect(configSource, `${name}: ${key} is not read by shared/config.ts`).toMatch(new RegExp(`env\\.${key}\\b|'${key}'`));

      const c = loadConfig(env, { pipeline: ecommerceConfig() });
      // In the compose network: the broker's PLAINTEXT listener, advertised under the service name.
      expect(c.log).toMatchObject({ kind: 'kafka', brokers: [listener(kafka.environment.KAFKA_ADVERTISED_LISTENERS, 'PLAINTEXT')] });
      expect(kafka.environment.KAFKA_LISTENERS).toContain(`PLAINTEXT://:${c.log.kind === 'kafka' ? c.log.brokers[0].split(':')[1] : ''}`);

      expect(c.viewStore.kind).toBe('postgres');
      const pg = new URL(c.viewStore.kind === 'postgres' ? c.viewStore.url : '');
      expect([pg.hostname, pg.port, pg.username, pg.password, pg.pathname]).toEqual(['postgres', '5432', postgres.environment.POSTGRES_USER, postgres.environment.POSTGRES_PASSWORD, `/${postgres.environment.POSTGRES_DB}`]);

      expect(c.objectStore).toMatchObject({ kind: 's3', forcePathStyle: true, accessKeyId: s3proxy.environment.S3PROXY_IDENTITY, secretAccessKey: s3proxy.environment.S3PROXY_CREDENTIAL });
      const s3 = new URL(c.objectStore.kind === 's3' ? c.objectStore.endpoint! : '');
      const s3Listen = new URL(s3proxy.environment.S3PROXY_ENDPOINT);
      expect([s3.hostname, s3.port || '80']).toEqual(['s3proxy', s3Listen.port || '80']);
    }
  });

  it('publishes the servers on the host where LK_SERVICES=real looks for them by default', () => {
    const c = loadConfig({ LK_SERVICES: 'real' }, { pipeline: ecommerceConfig() });
    // Kafka: the host port leads to the HOST listener, which advertises that same address.
    const k = published(kafka.ports[0]);
    expect(c.log).toMatchObject({ brokers: [k.host] });
    expect(listener(kafka.environment.KAFKA_ADVERTISED_LISTENERS, 'HOST')).toBe(k.host);
    expect(kafka.environment.KAFKA_LISTENERS).toContain(`HOST://:${k.container}`);

    const p = published(postgres.ports[0]);
    const pgUrl = new URL(c.viewStore.kind === 'postgres' ? c.viewStore.url : '');
    expect(`${pgUrl.hostname}:${pgUrl.port}`).toBe(p.host);
    expect([pgUrl.username, pgUrl.password, pgUrl.pathname]).toEqual([postgres.environment.POSTGRES_USER, postgres.environment.POSTGRES_PASSWORD, `/${postgres.environment.POSTGRES_DB}`]);
    expect(p.container).toBe(5432);

    const s = published(s3proxy.ports[0]);
    expect(c.objectStore).toMatchObject({ endpoint: `http://${s.host}`, accessKeyId: s3proxy.environment.S3PROXY_IDENTITY, secretAccessKey: s3proxy.environment.S3PROXY_CREDENTIAL });
    expect(String(s.container)).toBe(new URL(s3proxy.environment.S3PROXY_ENDPOINT).port || '80');

    const serve = serviceOf(compose, 'serve');
    const h = published(serve.ports[0]);
    expect(h.host).toBe(`${c.serving.host}:${c.serving.port}`);
    expect(String(h.container)).toBe(serve.environment.LK_PORT);
    expect(serve.healthcheck?.test.join(' ')).toContain(`http://127.0.0.1:${serve.environment.LK_PORT}/health`);
  });
});
