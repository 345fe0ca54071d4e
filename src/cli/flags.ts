// Flag parsing for the switchboard command (pure).

export interface UpFlags {
  dataDir: string;
  store: 'sqlite' | 'etcd' | 'memory';
  etcdEndpoints: string[];
  proxyMode: 'userspace' | 'iptables' | 'nftables' | 'none' | '';
  network: 'netns' | 'host' | '';
  apiPort: number;
  apiHost: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Where the Corefile says /etc/resolv.conf: the cluster DNS's upstream servers (default the host's). */
  resolvConf: string;
}

export class UsageError extends Error {
  readonly code = 'EUSAGE';
}

function oneOf<T extends string>(flag: string, v: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw new UsageError(`invalid value "${v}" for ${flag}: must be one of ${allowed.join(', ')}`);
}

/** Parses `--name value` and `--name=value` flags against the known set; unknown flags are errors. */
export function parseFlags(args: readonly string[], known: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument "${a}"`);
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    if (!known.includes(name)) throw new UsageError(`unknown flag --${name}`);
    let value: string;
    if (eq >= 0) value = a.slice(eq + 1);
    else {
      const next = args[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`flag --${name} needs a value`);
      value = next;
      i++;
    }
    out.set(name, value);
  }
  return out;
}

export const upFlagNames = ['data-dir', 'store', 'etcd-endpoints', 'proxy-mode', 'network', 'api-port', 'api-host', 'log-level', 'resolv-conf'] as const;

export function parseUpFlags(args: readonly string[]): UpFlags {
  const f = parseFlags(args, upFlagNames);
  const port = Number(f.get('api-port') ?? '6443');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`invalid value "${f.get('api-port') ?? ''}" for --api-port: must be a port number`);
  const eps = (f.get('etcd-endpoints') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  return {
    dataDir: f.get('data-dir') ?? './.switchboard',
    store: oneOf('--store', f.get('store') ?? 'sqlite', ['sqlite', 'etcd', 'memory'] as const),
    etcdEndpoints: eps,
    proxyMode: oneOf('--proxy-mode', f.get('proxy-mode') ?? '', ['', 'userspace', 'iptables', 'nftables', 'none'] as const),
    network: oneOf('--network', f.get('network') ?? '', ['', 'netns', 'host'] as const),
    apiPort: port,
    apiHost: f.get('api-host') ?? '127.0.0.1',
    logLevel: oneOf('--log-level', f.get('log-level') ?? 'warn', ['debug', 'info', 'warn', 'error'] as const),
    resolvConf: f.get('resolv-conf') ?? '/etc/resolv.conf',
  };
}
