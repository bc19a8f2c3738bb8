import { ConfigError, LkError, NotFoundError, ServiceUnavailableError, StoreUnavailableError } from '../../shared/errors.ts';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);
const FIX = 'start PostgreSQL, set DATABASE_URL (postgres://user:password@host:5432/db), or use the embedded view store (LK_VIEW_STORE=duckdb)';

/**
 * Turns what pg throws into the platform's errors, with the fix in the message. pg errors are
 * recognised by shape (`code` is a SQLSTATE or a Node socket code) so this file needs no pg import.
 * `namespace` names the panes table a statement used, for "relation does not exist".
 */
export function postgresError(err: unknown, url: string, namespace?: string): Error {
  if (err instanceof LkError || !(err instanceof Error)) return err instanceof Error ? err : new LkError(String(err));
  const code = (err as { code?: unknown }).code;
  const where = redactUrl(url);
  // A host name that does not resolve is a setting to fix, not an outage to wait out.
  if (code === 'ENOTFOUND') return new ServiceUnavailableError('PostgreSQL', `cannot reach ${where} (${code}); ${FIX}`, err);
  // What follows is the server being down for now: StoreUnavailableError, which a runner may wait out and retry.
  if (typeof code === 'string' && NETWORK_CODES.has(code)) {
    return new StoreUnavailableError('PostgreSQL', `cannot reach ${where} (${code}); ${FIX}`, err);
  }
  // pg's own connection failures carry no code: connectionTimeoutMillis and a server that hung up.
  if (code === undefined && /timeout|Connection terminated/i.test(err.message)) {
    return new StoreUnavailableError('PostgreSQL', `lost or could not open a connection to ${where} (${err.message}); ${FIX}`, err);
  }
  if (typeof code !== 'string') return err;
  // Class 08 (connection exception), 57P0x (shutdown, starting up), 53300 (too many connections): try again later.
  if (code.startsWith('08') || /^57P0[1-3]$/.test(code) || code === '53300') {
    return new StoreUnavailableError('PostgreSQL', `${where} is not available (${code}: ${err.message}); ${FIX}`, err);
  }
  if (code === '28P01' || code === '28000') {
    return new ConfigError(`PostgreSQL at ${where} rejected the login (${err.message}); fix the user and password in DATABASE_URL`, { cause: err });
  }
  if (code === '3D000') {
    return new ConfigError(`PostgreSQL at ${where}: ${err.message}; create it or point DATABASE_URL at an existing database`, { cause: err });
  }
  if (code === '42P01' && namespace !== undefined) return missingNamespaceError(namespace, err);
  return new LkError(`PostgreSQL error ${code} at ${where}: ${err.message}`, { cause: err });
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

/** A namespace used before ensureNamespace created it (or after dropNamespace). */
export function missingNamespaceError(namespace: string, cause?: unknown): NotFoundError {
  return new NotFoundError(`view namespace "${namespace}" does not exist: it is created by the job that writes it (lk speed, lk replay) or by ensureNamespace`, { cause });
}
