import { describeViewStoreContract } from './contracts/view-store-contract.ts';
import { InMemoryViewStore } from './in-memory-view-store.ts';

// The unit tests' view store keeps the same contract as the adapters it stands in for.
describeViewStoreContract('InMemoryViewStore', async () => ({ store: new InMemoryViewStore(), cleanup: async () => {} }));
