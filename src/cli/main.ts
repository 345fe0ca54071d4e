// The switchboard command: thin wiring of the components (flags in, components started, signals out).
import { mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { ApiServer } from '../apiserver/server.ts';
import { ensureCredentials, renderKubeconfig } from '../apiserver/certs.ts';
import { ensureBootstrap, namespaceDefaults, registryTarget } from '../apiserver/bootstrap.ts';
import { publishKubernetesEndpoints } from '../apiserver/kubernetes-endpoints.ts';
import { loadSigningKey } from '../apiserver/serviceaccount/token.ts';
import { createServiceStrategy } from '../apiserver/service/index.ts';
import { openStore } from '../apiserver/storage/index.ts';
import { parseUpFlags, parseFlags, UsageError, type UpFlags } from './flags.ts';
import { startNodeAgent, type PodIOHandlers } from '../node-agent/index.ts';
import type { PodIO } from '../apiserver/server.ts';
import { badRequest } from '../machinery/status.ts';
import type { Node } from '../api/types.ts';
import { startControllers } from '../controllers/index.ts';
import { startIngress } from '../ingress-gateway/index.ts';
import { startClusterDns } from '../cluster-dns/index.ts';
import { runDnsCommand, dnsUsage } from '../cluster-dns/cli.ts';
import { runAgentCommand, runIngressCommand, runProxyCommand, agentUsage, ingressUsage, proxyUsage } from './components.ts';
import { startServiceProxy, proxyListFromDataDir } from '../service-proxy/index.ts';
import { remotePodIO, routePodIO } from '../node-agent/index.ts';
import { Client, loadClientConfig } from '../client/index.ts';

const usage = `usage: switchboard <command> [flags]

commands:
  up       everything on this machine: API server, controllers, node agent, service proxy, cluster DNS, ingress
           flags: --data-dir DIR (./.switchboard) --store sqlite|memory --api-port N (6443; 0: any)
                  --api-host ADDR (127.0.0.1) --network netns|host --proxy-mode userspace|iptables|nftables|none
                  --resolv-conf FILE (the cluster DNS's upstreams; /etc/resolv.conf) --log-level L
  server   the control plane alone: API server and controllers (same flags as up)
  proxy    the service proxy against any API server (--kubeconfig FILE); proxy list [--data-dir DIR]
           prints the running proxy's virtual services like ipvsadm -Ln
  agent    a node agent against any API server (--kubeconfig FILE; see switchboard agent --help)
  dns      the cluster DNS against any API server (--kubeconfig FILE; see switchboard dns --help)
  ingress  the ingress controller against any API server (--kubeconfig FILE; see switchboard ingress --help)
`;

type Level = UpFlags['logLevel'];
const levels: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

function logger(min: Level) {
  return (level: Level, msg: string) => {
    if (levels[level] >= levels[min]) process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} ${msg}\n`);
  };
}

/** The first address of a Pod subnet: the node bridge's own address. */
function gatewayOf(podCIDR: string): string {
  const [ip = ''] = podCIDR.split('/');
  const parts = ip.split('.').map(Number);
  parts[3] = (parts[3] ?? 0) + 1;
  return parts.join('.');
}

function writeAtomic(path: string, data: string, mode = 0o600): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, path);
}

/** Starts the API server on the data dir; resolves once it serves and the bootstrap objects exist. */
async function startControlPlane(flags: UpFlags, podIO?: PodIO) {
  const started = performance.now();
  const log = logger(flags.logLevel);
  const dataDir = resolve(flags.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (flags.store === 'etcd') throw new UsageError('--store etcd is not available yet: use sqlite (the default) or memory');
  let store: ReturnType<typeof openStore>;
  try {
    store = openStore(flags.store, dataDir);
  } catch (err) {
    if (/locked|busy/i.test(String(err))) throw new Error(`data dir ${dataDir} is in use by another switchboard (its store is locked); stop it first or pick another --data-dir`);
    throw err;
  }
  const creds = ensureCredentials(dataDir, {
    ips: ['127.0.0.1', '10.96.0.1', ...(flags.apiHost !== '127.0.0.1' && flags.apiHost !== '0.0.0.0' ? [flags.apiHost] : [])],
    dns: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
  });
  const services = createServiceStrategy();
  const api = new ApiServer({
    store, token: creds.token, tls: { cert: creds.cert, key: creds.key }, host: flags.apiHost, port: flags.apiPort, log,
    serviceAccountKey: loadSigningKey(join(dataDir, 'pki')),
    namespaceDefaults: (ns) => namespaceDefaults(ns, creds.caCert),
    strategies: new Map([['/services', services]]),
    ...(podIO !== undefined ? { podIO } : {}),
  });
  // Allocations are rebuilt from the stored Services before anything can allocate.
  const svcReg = api.registry('', 'services');
  if (svcReg !== undefined) for (const line of services.init((await svcReg.list(undefined)).items)) log('warn', line);
  const port = await api.start();
  await ensureBootstrap(registryTarget(api), { proxyMode: flags.proxyMode === '' ? 'iptables' : flags.proxyMode, caCert: creds.caCert });
  api.kickNamespaceFinalizer();
  const host = flags.apiHost === '0.0.0.0' ? '127.0.0.1' : flags.apiHost;
  const apiURL = `https://${host}:${port}`;
  const kubeconfig = join(dataDir, 'kubeconfig');
  writeAtomic(kubeconfig, renderKubeconfig(apiURL, creds));
  const ms = Math.round(performance.now() - started);
  return {
    api, store, apiURL, kubeconfig, ms, dataDir, log, startedAt: started, token: creds.token,
    getNode: async (name: string) => (await api.registry('', 'nodes')!.get('', name)) as Node,
    async stop() {
      await api.stop();
      await store.close();
    },
  };
}

/** A started component: what it adds to state.json and how it stops. */
interface Component {
  name: string;
  stop(): Promise<void>;
}

/** Wraps handlers that exist only once the node agent has started (the API server starts first). */
function lateBoundPodIO(): { podIO: PodIO; bind(h: PodIOHandlers): void } {
  let handlers: PodIOHandlers | undefined;
  const get = (): PodIOHandlers => {
    if (handlers === undefined) throw badRequest('the node agent is still starting; try again');
    return handlers;
  };
  return {
    podIO: {
      logs: (pod, q, req, res) => get().logs(pod, q, req, res),
      exec: (pod, q, req, res) => get().exec(pod, q, req, res),
      portForward: (pod, q, req, res) => get().portForward(pod, q, req, res),
      attach: (pod, q, req, res) => get().attach(pod, q, req, res),
    },
    bind(h) { handlers = h; },
  };
}

async function runUp(args: readonly string[], opts: { agent: boolean }): Promise<void> {
  const flags = parseUpFlags(args);
  const late = lateBoundPodIO();
  const cp = await startControlPlane(flags, late.podIO);
  const remote = remotePodIO({ getNode: (n) => cp.getNode(n), token: cp.token });
  if (!opts.agent) late.bind(remote);
  const components: Component[] = [];
  let network = flags.network === '' ? (process.getuid?.() === 0 ? 'netns' : 'host') : flags.network;
  let ingressAddrs: { http: string; https: string } | null = null;
  let dnsAddr: string | null = null;
  let proxyMode: string = flags.proxyMode === '' ? 'iptables' : flags.proxyMode;
  const metrics: Record<string, string> = {};
  let stopping = false;
  const stopAll = async () => {
    // Reverse start order: data planes and the agent go before the API server they talk to.
    for (const c of components.reverse()) {
      try {
        await c.stop();
      } catch (err) {
        cp.log('error', `stopping ${c.name}: ${String(err)}`);
      }
    }
    await cp.stop();
  };
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${sig}: stopping\n`);
    stopAll().then(() => process.exit(0), (err: unknown) => {
      process.stderr.write(`stop failed: ${String(err)}\n`);
      process.exit(1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // A bug must not leave namespaces, interfaces, rules or Pod processes behind: clean up, then exit non-zero.
  process.on('uncaughtException', (err) => {
    cp.log('error', `uncaught: ${err.stack ?? err.message}`);
    if (stopping) return;
    stopping = true;
    void stopAll().finally(() => process.exit(1));
  });
  // Components start side by side (each waits for its own informers); any failure stops them all.
  const starters: Array<() => Promise<void>> = [];
  if (opts.agent) {
    starters.push(async () => {
      const agent = await startNodeAgent({
        kubeconfig: cp.kubeconfig, stateDir: join(cp.dataDir, 'agent'),
        ...(flags.network !== '' ? { network: flags.network } : {}),
        log: (level, msg) => cp.log(level, `agent: ${msg}`),
      });
      late.bind(routePodIO({ nodeName: agent.nodeName, podIO: agent.podIO }, remote));
      network = agent.network === 'host' ? 'host' : 'netns';
      components.push({ name: 'node agent', stop: () => agent.stop() });
      // The cluster DNS listens where Pods can reach it: the node bridge's gateway address in netns
      // mode (also a host address), loopback in host mode; it publishes itself as kube-dns's endpoints.
      const dnsHost = network === 'netns' ? gatewayOf(agent.podCIDR) : '127.0.0.1';
      const dns = await startClusterDns({
        kubeconfig: cp.kubeconfig, host: dnsHost, port: 0, httpAddress: '127.0.0.1:0', resolvConf: flags.resolvConf,
        publish: { address: dnsHost, nodeName: agent.nodeName },
        log: (level, msg) => cp.log(level, `dns: ${msg}`),
      });
      components.push({ name: 'cluster DNS', stop: () => dns.stop() });
      // The `kubernetes` Service (10.96.0.1:443) leads to the API server on the same gateway address,
      // as kube-apiserver's advertise address does on a kubeadm node.
      if (network === 'netns' && flags.apiHost !== '0.0.0.0') {
        const apiPort = Number(new URL(cp.apiURL).port);
        await cp.api.listenAlso(dnsHost, apiPort);
        const c = new Client(loadClientConfig({ kubeconfig: cp.kubeconfig }));
        try {
          await publishKubernetesEndpoints(c, dnsHost, apiPort);
        } finally {
          c.close();
        }
      }
      // `--proxy-mode none`: no service proxy (another one serves this node, or tests that must not
      // share the host's data plane with a concurrent run).
      if (flags.proxyMode === 'none') return;
      // The agent owns the local service-CIDR route; the proxy programs the data plane over it.
      const proxy = await startServiceProxy({
        kubeconfig: cp.kubeconfig, nodeName: agent.nodeName, mode: flags.proxyMode, manageServiceRoute: false,
        metricsAddress: '127.0.0.1:0', log: (level, msg) => cp.log(level, `proxy: ${msg}`),
      });
      components.push({ name: 'service proxy', stop: () => proxy.stop() });
      metrics['proxy'] = proxy.metricsAddress;
      await proxy.whenIdle();
      if (proxy.mode !== '') proxyMode = proxy.mode;
      dnsAddr = dns.udpAddress;
      if (dns.metricsAddress !== undefined) metrics['dns'] = dns.metricsAddress;
    });
  }
  starters.push(async () => {
    const cmClient = new Client(loadClientConfig({ kubeconfig: cp.kubeconfig }));
    const controllers = await startControllers({ client: cmClient, log: (level, msg) => cp.log(level, `controllers: ${msg}`) });
    components.push({ name: 'controllers', stop: async () => { await controllers.stop(); cmClient.close(); } });
  });
  starters.push(async () => {
    const ingress = await startIngress({
      kubeconfig: cp.kubeconfig, host: '127.0.0.1', httpPort: 0, httpsPort: 0,
      accessLog: join(cp.dataDir, 'ingress-access.log'),
      log: (level, msg) => cp.log(level, `ingress: ${msg}`),
    });
    components.push({ name: 'ingress', stop: () => ingress.stop() });
    ingressAddrs = { http: ingress.http, https: ingress.https };
    if (ingress.metrics !== undefined) metrics['ingress'] = ingress.metrics;
  });
  const names = [...(opts.agent ? ['node agent, DNS and proxy'] : []), 'controllers', 'ingress'];
  const results = await Promise.allSettled(starters.map(async (f, i) => {
    const t = performance.now();
    await f();
    cp.log('info', `${names[i] ?? ''} started in ${Math.round(performance.now() - t)}ms`);
  }));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) {
    await stopAll();
    throw failed.reason;
  }
  const state = {
    api: cp.apiURL,
    kubeconfig: cp.kubeconfig,
    dns: dnsAddr,
    ingress: ingressAddrs,
    metrics,
    network,
    proxyMode,
    pid: process.pid,
  };
  writeAtomic(join(cp.dataDir, 'state.json'), JSON.stringify(state, null, 2) + '\n', 0o644);
  process.stdout.write(`ready in ${Math.round(performance.now() - cp.startedAt)}ms: api ${cp.apiURL}, kubeconfig ${cp.kubeconfig}\n`);
}

/** Runs the command line; exits non-zero with a message on usage errors. */
export async function main(argv: readonly string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'up':
        await runUp(rest, { agent: true });
        return;
      case 'server':
        await runUp(rest, { agent: false });
        return;
      case 'agent':
        if (rest.includes('--help')) return void process.stdout.write(agentUsage + '\n');
        await runAgentCommand(rest);
        return;
      case 'ingress':
        if (rest.includes('--help')) return void process.stdout.write(ingressUsage + '\n');
        await runIngressCommand(rest);
        return;
      case 'proxy':
        if (rest[0] === 'list') {
          const f = parseFlags(rest.slice(1), ['data-dir']);
          process.stdout.write(await proxyListFromDataDir(resolve(f.get('data-dir') ?? './.switchboard')));
          return;
        }
        if (rest.includes('--help')) return void process.stdout.write(proxyUsage + '\n');
        await runProxyCommand(rest);
        return;
      case 'dns':
        if (rest.includes('--help')) return void process.stdout.write(dnsUsage + '\n');
        await runDnsCommand(rest);
        return;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(usage);
        return;
      default:
        throw new UsageError(`unknown command "${cmd}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`switchboard: ${err.message}\n\n${usage}`);
      process.exit(2);
    }
    process.stderr.write(`switchboard: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
