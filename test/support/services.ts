/**
 * How integration tests get the services test/support/global-setup.ts found or started: each
 * helper returns the settings, or skips the calling test with the reason the service is missing
 * (with CI set, global setup already failed the run instead).
 */
import { inject, type TestContext } from 'vitest';
import type { KafkaService, PostgresService, S3Service, ServiceOffer } from './global-setup.ts';

export { uniqueName } from './contracts/unique-name.ts';
export type { KafkaService, PostgresService, S3Service } from './global-setup.ts';

/** Kafka's settings, or skips the test. */
export function kafkaOrSkip(ctx: TestContext): KafkaService {
  return orSkip(ctx, inject('kafka'));
}

/** PostgreSQL's settings, or skips the test. */
export function postgresOrSkip(ctx: TestContext): PostgresService {
  return orSkip(ctx, inject('postgres'));
}

/** The S3 server's settings, or skips the test. */
export function s3OrSkip(ctx: TestContext): S3Service {
  return orSkip(ctx, inject('s3'));
}

function orSkip<T>(ctx: TestContext, offer: ServiceOffer<T>): T {
  if (!offer.available) ctx.skip(offer.reason);
  return offer.settings;
}
