import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { acquireServices, describeServices, reasonOf, stopServices, type KafkaService, type PostgresService, type S3Service, type ServiceName, type ServiceOffer } from '../../infra/local/local-services.ts';

/**
 * vitest globalSetup of the integration project: finds or starts Kafka, PostgreSQL and S3 once for
 * the whole run (infra/local/local-services.ts: the environment, else testcontainers, else local
 * processes) and hands tests their settings through `inject` (see services.ts). A service that
 * cannot be had is handed to tests as the reason, and they skip; with CI set the run fails
 * instead, since a CI run that skips its integration tests proves nothing.
 */

export type { KafkaService, PostgresService, S3Service, ServiceOffer, ServiceSource } from '../../infra/local/local-services.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kafka: ServiceOffer<KafkaService>;
    postgres: ServiceOffer<PostgresService>;
    s3: ServiceOffer<S3Service>;
  }
}

/** Starts (or finds) the services; returns the teardown that stops what it started. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const began = Date.now();
  const root = await mkdtemp(join(tmpdir(), 'lk-it-'));
  const log = (m: string) => console.log(`[services] ${m}`);
  const env = process.env;

  const outcomes = await acquireServices(['kafka', 'postgres', 's3'], { root, env, log });
  const { kafka, postgres, s3 } = outcomes;
  const teardown = async () => {
    await stopServices(outcomes, log);
    await rm(root, { recursive: true, force: true });
  };
  log(`${describeServices(outcomes)} (ready after ${((Date.now() - began) / 1000).toFixed(1)} s)`);

  const missing = (Object.keys(outcomes) as ServiceName[]).filter((n) => !outcomes[n].offer.available);
  if (env.CI && missing.length > 0) {
    await teardown();
    throw new Error(
      `CI is set, so integration tests may not skip, but ${missing.map((n) => `${n} is unavailable (${reasonOf(outcomes[n].offer)})`).join('; ')}. ` +
        'Point the tests at running services (KAFKA_BROKERS, DATABASE_URL, S3_ENDPOINT with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), or provide Docker, or Java 17+, Maven and PostgreSQL for local processes',
    );
  }
  project.provide('kafka', kafka.offer);
  project.provide('postgres', postgres.offer);
  project.provide('s3', s3.offer);
  return teardown;
}
