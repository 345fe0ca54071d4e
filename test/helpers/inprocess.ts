// An ApiServer in this process on a memory store, for integration tests that need to reach into the
// store (compaction) or start fast. Certificates are made once per process into a temp dir.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ApiServer, type ApiServerOptions } from '../../src/apiserver/server.ts';
import { MemoryStore } from '../../src/apiserver/storage/index.ts';
import { ensureCredentials, type Credentials } from '../../src/apiserver/certs.ts';
import { ensureBootstrap, registryTarget } from '../../src/apiserver/bootstrap.ts';
import { createServiceStrategy } from '../../src/apiserver/service/index.ts';
import type { ApiTarget } from './api.ts';

let creds: Credentials | undefined;
let credsDir: string | undefined;

function credentials(): Credentials {
  if (creds === undefined) {
    credsDir = mkdtempSync(join(tmpdir(), 'sb-certs-'));
    creds = ensureCredentials(credsDir, { ips: ['127.0.0.1'], dns: ['localhost'] });
    process.on('exit', () => { if (credsDir !== undefined) rmSync(credsDir, { recursive: true, force: true }); });
  }
  return creds;
}

export interface InProcess {
  server: ApiServer;
  store: MemoryStore;
  target: ApiTarget;
  stop(): Promise<void>;
}

/** Starts an ApiServer on 127.0.0.1 with a free port and the bootstrap objects. */
export async function startInProcess(extra: Partial<ApiServerOptions> = {}): Promise<InProcess> {
  const c = credentials();
  const store = new MemoryStore();
  const services = createServiceStrategy();
  const server = new ApiServer({
    store, token: c.token, tls: { cert: c.cert, key: c.key }, port: 0, compactionIntervalMs: 0,
    strategies: new Map([['/services', services]]), ...extra,
  });
  const port = await server.start();
  await ensureBootstrap(registryTarget(server), { proxyMode: 'iptables', caCert: c.caCert });
  return {
    server, store,
    target: { api: `https://127.0.0.1:${port}`, token: c.token, ca: c.caCert },
    async stop() {
      await server.stop();
      await store.close();
    },
  };
}
