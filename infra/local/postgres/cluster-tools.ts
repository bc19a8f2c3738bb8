import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, LkError } from '../../../shared/errors.ts';

/** The server tools of a PostgreSQL cluster this project makes (initdb, pg_ctl), run as the cluster's owner. */
export interface ClusterTools {
  /** The directory of the server binaries used. */
  readonly bin: string;
  /** The user the cluster runs as when this process is root (initdb refuses root), else undefined. */
  readonly asUser: string | undefined;
  /** Runs `tool` (initdb, pg_ctl, ...) from `bin` as the owner; resolves its stdout, rejects with its output. */
  run(tool: string, args: readonly string[]): Promise<string>;
}

/** Debian/Ubuntu keep each major version's server binaries here; elsewhere (Homebrew, Fedora) they are on PATH. */
const DEBIAN_PG_ROOT = '/usr/lib/postgresql';
const OWNER_WHEN_ROOT = 'postgres';

/**
 * The tools for a cluster under `workDir` (created if needed). initdb refuses to run as root, so
 * as root the cluster is made and run as the `postgres` user (runuser), which must exist (the
 * PostgreSQL packages create it) and gets `workDir`. `noInitdb` is the way around a missing
 * PostgreSQL, for the error message (e.g. "set DATABASE_URL").
 */
export async function clusterTools(workDir: string, noInitdb = 'Install PostgreSQL or set DATABASE_URL'): Promise<ClusterTools> {
  const bin = await findServerBin(noInitdb);
  const asUser = process.getuid?.() === 0 ? OWNER_WHEN_ROOT : undefined;
  await mkdir(workDir, { recursive: true });
  if (asUser) {
    const ids = await runCommand('id', ['-u', asUser]).catch(() => {
      throw noOwner();
    });
    const uid = Number(ids.trim());
    const gid = Number((await runCommand('id', ['-g', asUser])).trim());
    await chown(workDir, uid, gid);
    await runCommand('runuser', ['-u', asUser, '--', 'test', '-w', workDir]).catch(async () => {
      throw closedTo(asUser, workDir, await firstClosedParent(asUser, workDir));
    });
  }
  return {
    bin,
    asUser,
    run: (tool, args) => (asUser ? runCommand('runuser', ['-u', asUser, '--', join(bin, tool), ...args]) : runCommand(join(bin, tool), args)),
  };
}

/**
 * Throws the ConfigError clusterTools would (no initdb; as root, no `postgres` user or a directory
 * on the way to `workDir` closed to it) without creating anything: to refuse before starting.
 */
export async function checkClusterTools(workDir: string, noInitdb: string): Promise<void> {
  await findServerBin(noInitdb);
  if (process.getuid?.() !== 0) return;
  await runCommand('id', ['-u', OWNER_WHEN_ROOT]).catch(() => {
    throw noOwner();
  });
  const closed = await firstClosedParent(OWNER_WHEN_ROOT, workDir);
  if (closed) throw closedTo(OWNER_WHEN_ROOT, workDir, closed);
}

function noOwner(): ConfigError {
  return new ConfigError(`running as root, and initdb refuses root: a \`${OWNER_WHEN_ROOT}\` user is needed to run a private cluster. Create one, run as another user, or set DATABASE_URL`);
}

function closedTo(user: string, workDir: string, closed: string | undefined): ConfigError {
  return new ConfigError(
    `user ${user} cannot write ${workDir}: ${closed ? `${closed} is closed to it (chmod o+x ${closed})` : 'a parent directory is closed to it'}, or use a directory under /tmp that others may enter`,
  );
}

/** The first existing parent of `dir` that `user` may not enter, if any (`dir` itself is chowned to it). */
async function firstClosedParent(user: string, dir: string): Promise<string | undefined> {
  const parts = dir.split('/').filter(Boolean);
  for (let i = 1; i < parts.length; i++) {
    const path = `/${parts.slice(0, i).join('/')}`;
    if (!existsSync(path)) return undefined;
    if (!(await runCommand('runuser', ['-u', user, '--', 'test', '-x', path]).then(() => true, () => false))) return path;
  }
  return undefined;
}

/** The newest PostgreSQL server binaries: /usr/lib/postgresql/<major>/bin, else whatever `pg_config --bindir` says. */
async function findServerBin(noInitdb: string): Promise<string> {
  const majors = await readdir(DEBIAN_PG_ROOT).catch(() => [] as string[]);
  const newest = majors.filter((m) => /^\d+$/.test(m)).sort((a, b) => Number(b) - Number(a));
  for (const major of newest) {
    const bin = join(DEBIAN_PG_ROOT, major, 'bin');
    if ((await readdir(bin).catch(() => [] as string[])).includes('initdb')) return bin;
  }
  try {
    return (await runCommand('pg_config', ['--bindir'])).trim();
  } catch {
    throw new ConfigError(`no initdb was found (looked in ${DEBIAN_PG_ROOT}/*/bin and pg_config --bindir). ${noInitdb}`);
  }
}

/** Runs a command; resolves its stdout, rejects with its output when it fails. */
function runCommand(cmd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4_000)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new LkError(`${cmd} ${args.join(' ')} exited with ${code}: ${err.trim() || out.trim()}`))));
  });
}
