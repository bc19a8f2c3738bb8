import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, LkError } from '../../../shared/errors.ts';
import { PostgresViewStore } from '../../postgres/postgres-view-store.ts';
import { fileTail, portAnswers } from '../local-process.ts';
import { checkClusterTools, clusterTools } from '../postgres/cluster-tools.ts';
import { livePid } from './detached-process.ts';
import type { DownOutcome, ManagedService, ServiceState } from './managed-service.ts';
import type { ServicesLayout } from './services-layout.ts';

const NO_INITDB = "Install PostgreSQL's server (Debian: apt-get install postgresql), or start a PostgreSQL and set DATABASE_URL (or --postgres-port) to it";

/**
 * PostgreSQL: the one already answering the real-mode login on the port (the machine's; `down`
 * leaves it alone), else a private cluster in `<dir>/postgres/data` made once with initdb and run
 * with pg_ctl (as the `postgres` user when root; see cluster-tools.ts). PostgreSQL's own
 * postmaster.pid tells whether that cluster runs.
 */
export function postgresService(layout: ServicesLayout): ManagedService {
  const dir = join(layout.dir, 'postgres');
  const data = join(dir, 'data');
  const pidFile = join(data, 'postmaster.pid');
  const logFile = join(dir, 'postgres.log');
  const { port, url } = layout.postgres;
  const login = new URL(url);
  const user = decodeURIComponent(login.username) || 'postgres';
  const database = decodeURIComponent(login.pathname.slice(1)) || 'postgres';

  const status = async (): Promise<ServiceState> => {
    const pid = await livePid(pidFile, data);
    if (pid !== undefined) {
      // The port the cluster was started on (line 4 of postmaster.pid), whatever the flags say now.
      const actual = Number((await readFile(pidFile, 'utf8').catch(() => '')).split('\n')[3]) || port;
      return (await PostgresViewStore.ping(urlOn(url, actual))) ? { kind: 'running', port: actual, owner: 'lk', pid } : { kind: 'starting', port: actual, pid };
    }
    if (await portAnswers('127.0.0.1', port)) {
      if (await PostgresViewStore.ping(url)) return { kind: 'running', port, owner: 'found' };
      return { kind: 'port taken', port, holder: `a server that refuses ${redacted(url)} (another login, or not PostgreSQL)` };
    }
    return { kind: 'stopped', port };
  };

  return {
    name: 'postgres',
    status,
    async preflight(state) {
      if (state.kind === 'port taken') {
        throw new ConfigError(`postgres: 127.0.0.1:${port} is held by ${state.holder}: set DATABASE_URL to a login it accepts, or choose another port with --postgres-port for a private cluster`);
      }
      if (state.kind === 'stopped') await checkClusterTools(dir, NO_INITDB);
    },
    async start(log) {
      const tools = await clusterTools(dir, NO_INITDB);
      const fresh = !(await access(join(data, 'PG_VERSION')).then(() => true, () => false));
      if (fresh) {
        log(`postgres: creating a private cluster in ${data} with ${tools.bin}${tools.asUser ? ` as user ${tools.asUser}` : ''}`);
        // Trust on loopback, as the machine's own test PostgreSQL: the URL's password is not checked.
        await tools.run('initdb', ['-D', data, '-U', user, '-A', 'trust', '-E', 'UTF8']);
      }
      // TCP on loopback only; no Unix socket, so no socket-directory permissions to meet.
      const serverOptions = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=`;
      try {
        await tools.run('pg_ctl', ['-D', data, '-l', logFile, '-o', serverOptions, '-w', '-t', '60', 'start']);
        if (fresh && database !== 'postgres') await tools.run('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', user, database]);
      } catch (err) {
        throw new LkError(`postgres did not start: ${(err as Error).message}\n${logFile} ends with:\n${await fileTail(logFile, 20, '(no log)')}`);
      }
      const pid = await livePid(pidFile, data);
      if (pid === undefined || !(await PostgresViewStore.ping(url))) throw new LkError(`postgres started but does not answer ${redacted(url)}; see ${logFile}`);
      log(`postgres: private cluster listening on 127.0.0.1:${port} (pid ${pid}, data in ${data})`);
      return { kind: 'running', port, owner: 'lk', pid };
    },
    async stop(): Promise<DownOutcome> {
      if ((await livePid(pidFile, data)) === undefined) {
        return (await status()).kind === 'running' ? 'left alone (not started by lk)' : 'was not running';
      }
      const tools = await clusterTools(dir, NO_INITDB);
      try {
        // fast: disconnect the clients, checkpoint, exit (SIGINT to the postmaster).
        await tools.run('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']);
        return 'stopped';
      } catch {
        // immediate: no checkpoint; the next start recovers from the WAL.
        await tools.run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '10', 'stop']);
        return 'killed after the grace period';
      }
    },
  };
}

function urlOn(url: string, port: number): string {
  const u = new URL(url);
  u.port = String(port);
  return u.href;
}

/** The URL without its password, for messages. */
function redacted(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.href;
}
