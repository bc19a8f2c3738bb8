import { describe, expect, it } from 'vitest';
import { postgresError } from '../../../infra/postgres/postgres-errors.ts';
import { ConfigError, ServiceUnavailableError, StoreUnavailableError } from '../../../shared/errors.ts';

const URL = 'postgres://u:secret@db:5432/x';
const pgError = (code: string | undefined, message = 'boom') => Object.assign(new Error(message), { code });

describe('postgresError', () => {
  it('maps a server that is down for now to StoreUnavailableError (worth retrying)', () => {
    for (const e of [pgError('ECONNREFUSED'), pgError('ECONNRESET'), pgError('57P01', 'terminating connection due to administrator command'), pgError('08006'), pgError(undefined, 'Connection terminated unexpectedly')]) {
      const mapped = postgresError(e, URL);
      expect(mapped).toBeInstanceOf(StoreUnavailableError);
      expect(mapped.message).not.toContain('secret');
    }
  });

  it('leaves settings to fix and statement errors out of it', () => {
    expect(postgresError(pgError('ENOTFOUND'), URL)).toBeInstanceOf(ServiceUnavailableError);
    expect(postgresError(pgError('ENOTFOUND'), URL)).not.toBeInstanceOf(StoreUnavailableError);
    expect(postgresError(pgError('28P01'), URL)).toBeInstanceOf(ConfigError);
    expect(postgresError(pgError('23505', 'duplicate key'), URL)).not.toBeInstanceOf(ServiceUnavailableError);
  });
});
