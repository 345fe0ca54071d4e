// Runs the ApiClient conformance suite against the real client (over HTTPS to an in-process API
// server) and against the fake.
import { after, before } from 'node:test';
import { runClientConformance } from './client.conformance.ts';
import { FakeClient } from './fake.ts';
import { startTestServer, type TestServer } from './testing.ts';

let server: TestServer | undefined;
let n = 0;

before(async () => {
  server = await startTestServer();
});

after(async () => {
  await server?.close();
});

runClientConformance('real client + in-process API server', async () => {
  const s = server;
  if (s === undefined) throw new Error('server not started');
  n++;
  const namespace = `conf-${n}`;
  const otherNamespace = `conf-${n}-b`;
  await s.createNamespace(namespace);
  await s.createNamespace(otherNamespace);
  return {
    client: s.client,
    namespace,
    otherNamespace,
    compact: async () => s.store.compact(await s.store.currentRevision()),
    cleanup: async () => undefined,
  };
});

runClientConformance('fake', async () => {
  const client = new FakeClient();
  return {
    client,
    namespace: 'conf',
    otherNamespace: 'conf-b',
    compact: async () => client.compact(),
    cleanup: async () => client.close(),
  };
});
