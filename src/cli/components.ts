// `switchboard agent` and `switchboard ingress`: one part each, against any API server through a
// kubeconfig (DESIGN.md "Command-line contract"). Each prints one `ready` line and stops cleanly on
// SIGINT/SIGTERM.
import { join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { parseFlags, UsageError } from './flags.ts';
import { startNodeAgent } from '../node-agent/index.ts';
import { startIngress } from '../ingress-gateway/index.ts';
import { loadClientConfig } from '../client/index.ts';
import { startServiceProxy } from '../service-proxy/index.ts';

export const agentUsage = `usage: switchboard agent --kubeconfig FILE [--data-dir DIR] [--network netns|host]
                        [--node-name NAME] [--port N (10250)] [--address ADDR (0.0.0.0)] [--log-level L]
  Runs a node agent: registers a Node and runs the Pods bound to it; serves logs and exec for the
  API server on its own HTTPS port (bearer token: the kubeconfig's).`;

export const ingressUsage = `usage: switchboard ingress --kubeconfig FILE [--host ADDR (127.0.0.1)] [--http-port N (80)]
                          [--https-port N (443)] [--metrics-port N (10254)] [--access-log FILE]
                          [--dns-server HOST:PORT] [--log-level L]
  Runs the Ingress/Gateway controller and its HTTP(S) data plane.`;

export const proxyUsage = `usage: switchboard proxy --kubeconfig FILE --node-name NAME [--proxy-mode userspace|iptables|nftables]
                        [--metrics-address HOST:PORT (127.0.0.1:10249)] [--log-level L]
       switchboard proxy list [--data-dir DIR]
  Runs the service proxy (mode from the flag or the kube-proxy ConfigMap); routes the service CIDR
  locally while it runs.`;

type Level = 'debug' | 'info' | 'warn' | 'error';
const order: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

function logger(level: string) {
  const min = (['debug', 'info', 'warn', 'error'] as const).find((l) => l === level);
  if (min === undefined) throw new UsageError(`invalid value "${level}" for --log-level: must be one of debug, info, warn, error`);
  return (l: Level, msg: string) => {
    if (order[l] >= order[min]) process.stderr.write(`${new Date().toISOString()} ${l.toUpperCase()} ${msg}\n`);
  };
}

function port(flag: string, v: string | undefined, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`invalid value "${v}" for --${flag}: must be a port number`);
  return n;
}

function required(f: Map<string, string>, name: string): string {
  const v = f.get(name);
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

/** Runs until a signal arrives, then calls stop once and exits. */
function untilSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (sig: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${sig}: stopping\n`);
    stop().then(() => process.exit(0), (err: unknown) => {
      process.stderr.write(`stop failed: ${String(err)}\n`);
      process.exit(1);
    });
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}

export async function runAgentCommand(args: readonly string[]): Promise<void> {
  const f = parseFlags(args, ['kubeconfig', 'data-dir', 'network', 'node-name', 'port', 'address', 'log-level']);
  const kubeconfig = resolve(required(f, 'kubeconfig'));
  const log = logger(f.get('log-level') ?? 'warn');
  const network = f.get('network');
  if (network !== undefined && network !== 'netns' && network !== 'host') throw new UsageError(`invalid value "${network}" for --network: must be one of netns, host`);
  const dataDir = resolve(f.get('data-dir') ?? './.switchboard');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const token = loadClientConfig({ kubeconfig }).token;
  if (token === undefined) throw new UsageError('the kubeconfig has no bearer token: the agent serves logs and exec to holders of that token');
  const nodeName = f.get('node-name');
  const agent = await startNodeAgent({
    kubeconfig, stateDir: join(dataDir, 'agent'),
    ...(network !== undefined ? { network } : {}),
    ...(nodeName !== undefined ? { nodeName } : {}),
    serve: { port: port('port', f.get('port'), 10250), host: f.get('address') ?? '0.0.0.0', token },
    log,
  });
  process.stdout.write(`ready node ${agent.nodeName} (${agent.network}, pods ${agent.podCIDR}), serving ${agent.serverURL ?? 'nothing'}\n`);
  untilSignal(() => agent.stop());
}

export async function runIngressCommand(args: readonly string[]): Promise<void> {
  const f = parseFlags(args, ['kubeconfig', 'host', 'http-port', 'https-port', 'metrics-port', 'access-log', 'dns-server', 'log-level']);
  const log = logger(f.get('log-level') ?? 'warn');
  const accessLog = f.get('access-log');
  const dnsServer = f.get('dns-server');
  const ingress = await startIngress({
    kubeconfig: resolve(required(f, 'kubeconfig')),
    host: f.get('host') ?? '127.0.0.1',
    httpPort: port('http-port', f.get('http-port'), 80),
    httpsPort: port('https-port', f.get('https-port'), 443),
    metricsPort: port('metrics-port', f.get('metrics-port'), 10254),
    ...(accessLog !== undefined ? { accessLog } : {}),
    ...(dnsServer !== undefined ? { dnsServer } : {}),
    log,
  });
  process.stdout.write(`ready http=${ingress.http} https=${ingress.https} metrics=${ingress.metrics ?? 'none'}\n`);
  untilSignal(() => ingress.stop());
}

export async function runProxyCommand(args: readonly string[]): Promise<void> {
  const f = parseFlags(args, ['kubeconfig', 'node-name', 'proxy-mode', 'metrics-address', 'log-level']);
  const log = logger(f.get('log-level') ?? 'warn');
  const mode = f.get('proxy-mode') ?? '';
  if (!['', 'userspace', 'iptables', 'nftables'].includes(mode)) throw new UsageError(`invalid value "${mode}" for --proxy-mode: must be one of userspace, iptables, nftables`);
  const proxy = await startServiceProxy({
    kubeconfig: resolve(required(f, 'kubeconfig')), nodeName: required(f, 'node-name'), mode,
    manageServiceRoute: true, metricsAddress: f.get('metrics-address') ?? '127.0.0.1:10249', log,
  });
  await proxy.whenIdle();
  process.stdout.write(`ready proxy mode=${proxy.mode} metrics=${proxy.metricsAddress}\n`);
  untilSignal(() => proxy.stop());
}
