import { ConfigError, LkError } from '../../../shared/errors.ts';
import type { ServiceName } from '../local-services.ts';
import { kafkaService } from './kafka-service.ts';
import type { DownOutcome, ManagedService, ServiceState } from './managed-service.ts';
import { postgresService } from './postgres-service.ts';
import { s3Service } from './s3-service.ts';
import { saveLayout, type ServicesLayout } from './services-layout.ts';

/** What `up` did for one server: started it, or found it already running. */
export interface UpResult {
  readonly name: ServiceName;
  readonly state: ServiceState;
  readonly started: boolean;
}

/** The three servers of a layout, in the order they are reported. */
export function managedServices(layout: ServicesLayout): readonly ManagedService[] {
  return [kafkaService(layout), s3Service(layout), postgresService(layout)];
}

/** Each server's state. */
export async function servicesStatus(layout: ServicesLayout): Promise<ReadonlyMap<ServiceName, ServiceState>> {
  const services = managedServices(layout);
  const states = await Promise.all(services.map((s) => s.status()));
  return new Map(services.map((s, i) => [s.name, states[i]!]));
}

/**
 * Starts what is not running, in parallel, and resolves once every server answers. Nothing is
 * started unless every server can be: each preflight (ports, java, initdb) runs first. A server
 * that then fails to start does not stop the others; the error names it and they stay up.
 */
export async function servicesUp(layout: ServicesLayout, log: (m: string) => void): Promise<readonly UpResult[]> {
  const services = managedServices(layout);
  const states = await Promise.all(services.map((s) => s.status()));
  const refusals = (await Promise.allSettled(services.map((s, i) => s.preflight(states[i]!)))).filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (refusals.length > 0) {
    const errors = refusals.map((r) => r.reason as Error);
    if (errors.length === 1) throw errors[0];
    const message = errors.map((e) => e.message).join('\n');
    throw errors.every((e) => e instanceof ConfigError) ? new ConfigError(message) : new LkError(message);
  }
  await saveLayout(layout);
  const outcomes = await Promise.allSettled(
    services.map(async (s, i): Promise<UpResult> => {
      const state = states[i]!;
      if (state.kind === 'running') return { name: s.name, state, started: false };
      if (state.kind === 'starting') throw new LkError(`${s.name}: its process ${state.pid} runs but does not answer on port ${state.port}; see its log under ${layout.dir}, or \`lk services down\` and up again`);
      return { name: s.name, state: await s.start(log), started: true };
    }),
  );
  const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed.length > 0) {
    const up = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.name] : []));
    const first = failed[0]!.reason as Error;
    const message = failed.map((f) => (f.reason as Error).message).join('\n');
    const note = up.length > 0 ? `\n(${up.join(', ')} ${up.length === 1 ? 'is' : 'are'} up; \`lk services down\` stops ${up.length === 1 ? 'it' : 'them'})` : '';
    // Keep the class of a single failure (ConfigError: exit 2) for the CLI.
    if (failed.length === 1) {
      first.message += note;
      throw first;
    }
    throw new LkError(message + note);
  }
  return outcomes.map((o) => (o as PromiseFulfilledResult<UpResult>).value);
}

/** Stops what `up` started (in parallel), leaving alone what it found. */
export async function servicesDown(layout: ServicesLayout): Promise<ReadonlyMap<ServiceName, DownOutcome>> {
  const services = managedServices(layout);
  const outcomes = await Promise.all(services.map((s) => s.stop()));
  return new Map(services.map((s, i) => [s.name, outcomes[i]!]));
}
