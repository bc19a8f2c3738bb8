import { beforeEach, describe, inject } from 'vitest';
import { PostgresViewStore } from '../../../infra/postgres/postgres-view-store.ts';
import { dropPgSchema } from '../../support/pg-schema.ts';
import { describeSavepointScenarios } from '../../support/savepoint-scenarios.ts';
import { postgresOrSkip, uniqueName } from '../../support/services.ts';

describe('savepoints on PostgreSQL', () => {
  beforeEach((ctx) => void postgresOrSkip(ctx));

  describeSavepointScenarios('PostgreSQL', async () => {
    const offer = inject('postgres');
    if (!offer.available) throw new Error(offer.reason); // not reached: the beforeEach above skipped the test
    const schema = uniqueName('savepoint');
    const store = await PostgresViewStore.open({ url: offer.settings.url, schema });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await dropPgSchema(offer.settings.url, schema);
      },
    };
  });
});
