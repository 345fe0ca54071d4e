// `switchboard dns`: the cluster DNS on its own, against any cluster (CoreDNS's place in a real
// one). The switchboard command calls runDnsCommand with the arguments after `dns`; main.ts runs
// it directly (`node src/cluster-dns/main.ts --kubeconfig K`).
import { startClusterDns, fileSource, type ClusterDns } from './index.ts';
import type { LogLevel } from './plugin/controller.ts';

export const dnsUsage = `usage: switchboard dns [flags]

Serves the cluster DNS (Kubernetes DNS schema 1.1.0) configured by the coredns ConfigMap.

flags:
  --kubeconfig PATH       cluster to read (default: $KUBECONFIG, ~/.kube/config, in-cluster)
  --corefile PATH         read the Corefile from this file instead of the coredns ConfigMap
  --dns-address HOST:PORT where to answer DNS, UDP and TCP (default 127.0.0.1:53; port 0 = a free one)
  --http-address HOST:PORT serve /health, /ready and /metrics here instead of the Corefile's addresses
  --publish-address IP    write the kube-dns Service's EndpointSlice pointing at IP and the DNS port
  --resolv-conf PATH      read this where the Corefile says /etc/resolv.conf (forward's upstreams)
  --log-level LEVEL       debug|info|warn|error (default warn)
`;

export class DnsUsageError extends Error {
  readonly code = 'EUSAGE';
}

export interface DnsFlags {
  kubeconfig: string | undefined;
  corefile: string | undefined;
  host: string;
  port: number;
  httpAddress: string | undefined;
  publishAddress: string | undefined;
  resolvConf: string | undefined;
  logLevel: LogLevel;
}

const known = ['kubeconfig', 'corefile', 'dns-address', 'http-address', 'publish-address', 'resolv-conf', 'log-level'];

/** Parses the flags of `switchboard dns` (pure). */
export function parseDnsFlags(args: readonly string[]): DnsFlags {
  const f = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (!a.startsWith('--')) throw new DnsUsageError(`unexpected argument "${a}"`);
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    if (!known.includes(name)) throw new DnsUsageError(`unknown flag --${name}`);
    const value = eq >= 0 ? a.slice(eq + 1) : args[++i];
    if (value === undefined) throw new DnsUsageError(`flag --${name} needs a value`);
    f.set(name, value);
  }
  const addr = f.get('dns-address') ?? '127.0.0.1:53';
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(addr);
  if (m === null || Number(m[2]) > 65535) throw new DnsUsageError(`invalid value "${addr}" for --dns-address: must be HOST:PORT`);
  const level = f.get('log-level') ?? 'warn';
  if (!['debug', 'info', 'warn', 'error'].includes(level)) throw new DnsUsageError(`invalid value "${level}" for --log-level: must be one of debug, info, warn, error`);
  return {
    kubeconfig: f.get('kubeconfig'),
    corefile: f.get('corefile'),
    host: m[1] === '' ? '0.0.0.0' : (m[1] ?? '127.0.0.1'),
    port: Number(m[2]),
    httpAddress: f.get('http-address'),
    publishAddress: f.get('publish-address'),
    resolvConf: f.get('resolv-conf'),
    logLevel: level as LogLevel,
  };
}

const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Runs `switchboard dns` until SIGINT/SIGTERM; prints one `ready` line with the addresses. */
export async function runDnsCommand(args: readonly string[]): Promise<ClusterDns> {
  const flags = parseDnsFlags(args);
  const log = (level: LogLevel, msg: string) => {
    if (order[level] >= order[flags.logLevel]) process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} ${msg}\n`);
  };
  const dns = await startClusterDns({
    ...(flags.kubeconfig !== undefined ? { kubeconfig: flags.kubeconfig } : { kubeconfig: '' }),
    ...(flags.corefile !== undefined ? { corefile: fileSource(flags.corefile) } : {}),
    host: flags.host,
    port: flags.port,
    ...(flags.httpAddress !== undefined ? { httpAddress: flags.httpAddress } : {}),
    ...(flags.publishAddress !== undefined ? { publish: { address: flags.publishAddress } } : {}),
    ...(flags.resolvConf !== undefined ? { resolvConf: flags.resolvConf } : {}),
    log,
  });
  const parts = [`ready dns ${dns.udpAddress}`];
  if (dns.metricsAddress !== undefined) parts.push(`metrics http://${dns.metricsAddress}/metrics`);
  if (dns.healthAddress !== undefined) parts.push(`health http://${dns.healthAddress}/health`);
  if (dns.readyAddress !== undefined) parts.push(`ready http://${dns.readyAddress}/ready`);
  process.stdout.write(`${parts.join(', ')}\n`);
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    log('info', `${sig}: stopping`);
    dns.stop({ lameduck: true }).then(() => process.exit(0), (err: unknown) => {
      process.stderr.write(`stop failed: ${String(err)}\n`);
      process.exit(1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  return dns;
}
