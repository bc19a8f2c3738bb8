import { afterAll, beforeAll } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalKafka, type LocalKafka } from '../../../../infra/local/kafka-local.ts';
import { startTemporaryPostgres, type TemporaryPostgres } from '../../../../infra/local/postgres-local.ts';

/**
 * Services a fault test owns: a Kafka broker and a PostgreSQL cluster it may kill and restart,
 * never the shared ones test/support/global-setup.ts started. A service that cannot be started
 * skips the test with the reason, except under CI, where a skipped fault suite proves nothing.
 */

/**
 * Consumer groups in the fault tests use a 1 s session timeout, so a SIGKILLed member's
 * partitions move on after 1 s instead of the default 10 s (20 kills would otherwise cost
 * minutes). The private broker's floor (6 s by default) is lowered to allow it.
 */
export const FAULT_SESSION_TIMEOUT_MS = 1_000;

export type Offer<T> = { readonly ok: true; readonly service: T } | { readonly ok: false; readonly reason: string };

/** A private single-node broker (local JVM) that accepts the short session timeout. */
export async function startFaultKafka(log: (m: string) => void = () => undefined): Promise<Offer<LocalKafka>> {
  const workDir = await mkdtemp(join(tmpdir(), 'lk-fault-kafka-'));
  try {
    const service = await startLocalKafka({ workDir, log, brokerSettings: { 'group.min.session.timeout.ms': '1000' } });
    return { ok: true, service };
  } catch (err) {
    await rm(workDir, { recursive: true, force: true });
    return unavailable('a private Kafka broker', err);
  }
}

/**
 * A private broker for one test file: started before its tests, stopped after them. Read it with
 * `kafka()` inside a test (before, it has not started).
 */
export function useFaultKafka(): () => Offer<LocalKafka> {
  let kafka: Offer<LocalKafka> | undefined;
  beforeAll(async () => {
    kafka = await startFaultKafka();
  });
  afterAll(async () => {
    if (kafka?.ok) await kafka.service.stop();
  });
  return () => {
    if (kafka === undefined) throw new Error('useFaultKafka(): the broker is read before its beforeAll ran');
    return kafka;
  };
}

/** Waits `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A private PostgreSQL cluster on a free port (never the shared server on 5432). */
export async function startFaultPostgres(log: (m: string) => void = () => undefined): Promise<Offer<TemporaryPostgres>> {
  // Under /tmp: as root the cluster runs as the postgres user, which must be able to reach it.
  const workDir = await mkdtemp(join(tmpdir(), 'lk-fault-pg-'));
  try {
    return { ok: true, service: await startTemporaryPostgres({ workDir, log }) };
  } catch (err) {
    await rm(workDir, { recursive: true, force: true });
    return unavailable('a private PostgreSQL cluster', err);
  }
}

function unavailable<T>(what: string, err: unknown): Offer<T> {
  const reason = `${what} could not be started: ${err instanceof Error ? err.message : String(err)}`;
  if (process.env.CI) throw new Error(`CI is set, so the fault-injection tests may not skip, but ${reason}`);
  return { ok: false, reason };
}
