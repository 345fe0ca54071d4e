import { MemoryStore } from './memory.ts';
import { runStoreConformance } from './store.conformance.ts';

runStoreConformance('memory', async () => {
  const store = new MemoryStore();
  return { store, cleanup: () => store.close() };
}, { persistent: false });
