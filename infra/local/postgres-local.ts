import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LkError } from '../../shared/errors.ts';
import { PostgresViewStore } from '../postgres/postgres-view-store.ts';
import { fileTail, freePort, portAnswers } from './local-process.ts';
import { clusterTools } from './postgres/cluster-tools.ts';

/** A PostgreSQL to use, and how to let go of it. */
export interface LocalPostgres {
  readonly url: string;
  /** Stops the cluster this call started (and removes workDir); a PostgreSQL that was already running is left alone. */
  stop(): Promise<void>;
}

export interface LocalPostgresOptions {
  /** Holds a temporary cluster when one is needed; removed by stop(). */
  readonly workDir: string;
  readonly log?: (m: string) => void;
  /** A PostgreSQL to reuse when it accepts a login (default: the postgres user on 127.0.0.1:5432, trust auth). */
  readonly existingUrl?: string;
}

/** A temporary cluster this process made and runs, which can also be crashed and started again (fault tests). */
export interface TemporaryPostgres extends LocalPostgres {
  /** Stops the server as a crash would (`pg_ctl stop -m immediate`: no shutdown checkpoint; the next start recovers from the WAL). */
  crash(): Promise<void>;
  /** Starts the stopped server again on the same port and data directory. */
  start(): Promise<void>;
}

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A PostgreSQL for tests and demos without Docker: the one already answering on 127.0.0.1:5432 when
 * there is one (tests isolate themselves with their own schemas), else a temporary cluster made with
 * initdb/pg_ctl on a free port (as the `postgres` user when root: see postgres/cluster-tools.ts).
 */
export async function ensureLocalPostgres(options: LocalPostgresOptions): Promise<LocalPostgres> {
  const log = options.log ?? (() => undefined);
  const existing = options.existingUrl ?? DEFAULT_URL;
  const { hostname, port } = new URL(existing);
  if (await portAnswers(hostname, Number(port || 5432))) {
    if (await PostgresViewStore.ping(existing)) {
      log(`postgres: using the PostgreSQL at ${hostname}:${port || 5432}`);
      return { url: existing, stop: async () => undefined };
    }
    log(`postgres: something listens on ${hostname}:${port || 5432} but refuses ${existing}; starting a temporary cluster`);
  }
  return startTemporaryCluster(options.workDir, log);
}

/**
 * A temporary cluster (initdb/pg_ctl on a free port, as the `postgres` user when root) whatever
 * else is running: for tests that stop and start their database, which must never be a shared one.
 */
export async function startTemporaryPostgres(options: { readonly workDir: string; readonly log?: (m: string) => void }): Promise<TemporaryPostgres> {
  return startTemporaryCluster(options.workDir, options.log ?? (() => undefined), { crashSafe: true });
}

/**
 * `crashSafe`: a committed transaction survives a crash of the server (not of the machine): commits
 * wait for their WAL write (synchronous_commit on), though nothing is fsynced. Off, the last
 * commits a client was told succeeded can vanish in a crash.
 */
async function startTemporaryCluster(workDir: string, log: (m: string) => void, options: { readonly crashSafe?: boolean } = {}): Promise<TemporaryPostgres> {
  const tools = await clusterTools(workDir, 'No PostgreSQL answers on 127.0.0.1:5432 either: install PostgreSQL or set DATABASE_URL');
  const pg = tools.run;
  const data = join(workDir, 'data');
  const logFile = join(workDir, 'postgres.log');

  log(`postgres: creating a temporary cluster in ${data} with ${tools.bin}${tools.asUser ? ` as user ${tools.asUser}` : ''}`);
  await pg('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  // A throwaway cluster: durability settings off make it start and run faster. No Unix socket, so
  // no socket-directory permissions and path-length limits to meet; TCP on loopback only.
  const serverOptions = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off -c synchronous_commit=${options.crashSafe ? 'on' : 'off'} -c full_page_writes=off`;
  const start = async () => {
    try {
      await pg('pg_ctl', ['-D', data, '-l', logFile, '-o', serverOptions, '-w', '-t', '60', 'start']);
    } catch (err) {
      const tail = await fileTail(logFile, 20, '(no log)');
      throw new LkError(`the temporary PostgreSQL did not start: ${(err as Error).message}\n${tail}`);
    }
  };
  try {
    await start();
  } catch (err) {
    await rm(workDir, { recursive: true, force: true });
    throw err;
  }
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  log(`postgres: temporary cluster listening on 127.0.0.1:${port}`);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await pg('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
      await rm(workDir, { recursive: true, force: true });
    })());
  return {
    url,
    stop,
    crash: async () => void (await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])),
    start: async () => {
      if (stopping) throw new LkError('this temporary PostgreSQL was stopped for good (stop() removed its data); start a new one');
      await start();
    },
  };
}
