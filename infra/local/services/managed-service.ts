import type { ServiceName } from '../local-services.ts';

/** What one server of `lk services` is doing right now. */
export type ServiceState =
  /** Answers on `port`. `owner` 'lk': started by `lk services up` (pid known); 'found': one that was there (down leaves it alone). */
  | { readonly kind: 'running'; readonly port: number; readonly owner: 'lk' | 'found'; readonly pid?: number }
  /** Its process is alive but does not answer yet (or any more). */
  | { readonly kind: 'starting'; readonly port: number; readonly pid: number }
  | { readonly kind: 'stopped'; readonly port: number }
  /** Something that is not this server holds its port. */
  | { readonly kind: 'port taken'; readonly port: number; readonly holder: string };

/** How `down` left a server. */
export type DownOutcome = 'stopped' | 'killed after the grace period' | 'was not running' | 'left alone (not started by lk)';

/** One server `lk services` runs detached: its state, starting it, stopping it. */
export interface ManagedService {
  readonly name: ServiceName;
  status(): Promise<ServiceState>;
  /** Throws ConfigError when it cannot start: a port taken, or java, mvn or initdb missing; does not start anything. */
  preflight(state: ServiceState): Promise<void>;
  /** Starts it (detached: it outlives this process); resolves once it answers, throws with its log's tail when it does not. */
  start(log: (m: string) => void): Promise<ServiceState>;
  /** Stops what `lk services up` started; leaves alone what it found. */
  stop(): Promise<DownOutcome>;
}
