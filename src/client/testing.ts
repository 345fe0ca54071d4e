// Test support: a real API server in this process (memory store, TLS, bearer token, port 0) and a
// real Client configured through a rendered kubeconfig, so integration tests exercise the whole path.
// The server can be stopped and started again on the same port and store (to force watches to
// reconnect), and a second server can share the store (to write while the first is down).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiServer } from '../apiserver/server.ts';
import { MemoryStore } from '../apiserver/storage/memory.ts';
import { ensureCredentials, renderKubeconfig, type Credentials } from '../apiserver/certs.ts';
import { loadKubeconfig, type ClientConfig } from './kubeconfig.ts';
import { Client, type ClientOptions } from './rest.ts';
import type { KubeObject } from '../api/types.ts';

let shared: { dir: string; creds: Credentials } | undefined;

/** Credentials made once per process (openssl is slow) in a temp dir removed at exit. */
export function testCredentials(): { dir: string; creds: Credentials } {
  if (shared === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'sb-client-test-'));
    const creds = ensureCredentials(dir, { ips: ['127.0.0.1'], dns: ['localhost'] });
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    shared = { dir, creds };
  }
  return shared;
}

/** A running in-process API server with a client for it. */
export interface TestServer {
  readonly store: MemoryStore;
  /** The current server (replaced by `restart`). */
  api: ApiServer;
  readonly port: number;
  readonly config: ClientConfig;
  readonly kubeconfigPath: string;
  readonly client: Client;
  /** Another client with its own options. */
  newClient(opts?: ClientOptions): Client;
  /** Stops the server (open watches end); the store stays. */
  stopServer(): Promise<void>;
  /** Starts a new server on the same port and store. */
  startServer(): Promise<void>;
  /** A second server on the same store, on its own port, with a client for it. */
  sidecar(): Promise<{ api: ApiServer; client: Client; stop(): Promise<void> }>;
  /** Creates a namespace (objects need one to exist). */
  createNamespace(name: string): Promise<void>;
  close(): Promise<void>;
}

function newApi(store: MemoryStore, creds: Credentials, port: number): ApiServer {
  return new ApiServer({ store, token: creds.token, tls: { cert: creds.cert, key: creds.key }, host: '127.0.0.1', port, compactionIntervalMs: 0 });
}

/** Starts an API server on a free port with an empty memory store. */
export async function startTestServer(opts: ClientOptions = {}): Promise<TestServer> {
  const { dir, creds } = testCredentials();
  const store = new MemoryStore();
  let api = newApi(store, creds, 0);
  const port = await api.start();
  const server = `https://127.0.0.1:${port}`;
  const kubeconfigPath = join(mkdtempSync(join(dir, 'kc-')), 'kubeconfig');
  writeFileSync(kubeconfigPath, renderKubeconfig(server, creds));
  const config = loadKubeconfig(kubeconfigPath);
  const clients: Client[] = [];
  const newClient = (o: ClientOptions = opts): Client => {
    const c = new Client(config, o);
    clients.push(c);
    return c;
  };
  const client = newClient();
  const sidecars: Array<() => Promise<void>> = [];
  let running = true;
  const ts: TestServer = {
    store, api, port, config, kubeconfigPath, client, newClient,
    async stopServer() {
      if (!running) return;
      running = false;
      await ts.api.stop();
    },
    async startServer() {
      if (running) return;
      api = newApi(store, creds, port);
      await api.start();
      ts.api = api;
      running = true;
    },
    async sidecar() {
      const side = newApi(store, creds, 0);
      const p = await side.start();
      const c = new Client({ ...config, server: `https://127.0.0.1:${p}` });
      const stop = async (): Promise<void> => {
        c.close();
        await side.stop();
      };
      sidecars.push(stop);
      return { api: side, client: c, stop };
    },
    async createNamespace(name: string) {
      const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
      await client.resource({ group: '', version: 'v1', plural: 'namespaces', namespaced: false }).create('', ns);
    },
    async close() {
      for (const c of clients) c.close();
      for (const s of sidecars) await s();
      await ts.stopServer();
      await store.close();
    },
  };
  return ts;
}
