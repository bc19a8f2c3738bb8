import { DuckDbViewStore } from '../../infra/duckdb/duckdb-view-store.ts';
import { InMemoryViewStore } from '../support/in-memory-view-store.ts';
import { describeSavepointScenarios } from '../support/savepoint-scenarios.ts';

describeSavepointScenarios('in memory', async () => ({ store: new InMemoryViewStore(), cleanup: async () => undefined }));

describeSavepointScenarios('DuckDB', async () => {
  const store = await DuckDbViewStore.open(':memory:');
  return { store, cleanup: () => store.close() };
});
