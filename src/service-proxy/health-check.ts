// kube-proxy's service health checks: a Service with externalTrafficPolicy: Local (LoadBalancer) has a
// healthCheckNodePort, and every node answers HTTP there — 200 when it has ready local endpoints for
// the Service, 503 when it has none — so an external load balancer (a cloud's, MetalLB in BGP mode)
// sends traffic only to nodes that can serve it without another hop. Targets and answers are pure;
// `HealthCheckServers` keeps one listener per port.
import { createServer, type Server } from 'node:http';
import type { ProxyStateView } from './types.ts';

export interface HealthCheckTarget {
  namespace: string;
  name: string;
  /** Distinct ready endpoint addresses on this node. */
  localEndpoints: number;
}

/** healthCheckNodePort → what it reports, from the proxy's state. */
export function healthCheckTargets(state: ProxyStateView): Map<number, HealthCheckTarget> {
  const out = new Map<number, HealthCheckTarget>();
  const local = new Map<number, Set<string>>();
  for (const [key, svc] of state.services) {
    if (svc.healthCheckNodePort === 0) continue;
    const port = svc.healthCheckNodePort;
    if (!out.has(port)) {
      out.set(port, { namespace: svc.name.namespace, name: svc.name.name, localEndpoints: 0 });
      local.set(port, new Set());
    }
    for (const ep of state.endpoints.get(key) ?? []) if (ep.isLocal && ep.ready) local.get(port)?.add(ep.ip);
  }
  for (const [port, t] of out) t.localEndpoints = local.get(port)?.size ?? 0;
  return out;
}

/** The answer on a health check port, as kube-proxy words it. */
export function healthCheckResponse(t: HealthCheckTarget, proxyHealthy: boolean): { status: number; headers: Record<string, string>; body: string } {
  const ok = t.localEndpoints > 0 && proxyHealthy;
  return {
    status: ok ? 200 : 503,
    headers: {
      'Content-Type': 'application/json',
      'X-Content-Type-Options': 'nosniff',
      'X-Load-Balancing-Endpoint-Weight': String(t.localEndpoints),
    },
    body: JSON.stringify({ service: { namespace: t.namespace, name: t.name }, localEndpoints: t.localEndpoints, serviceProxyHealthy: proxyHealthy }),
  };
}

/** One HTTP listener per health check port, opened and closed as Services come and go. */
export class HealthCheckServers {
  private readonly servers = new Map<number, Server>();
  private targets = new Map<number, HealthCheckTarget>();
  private readonly address: string;
  private readonly healthy: () => boolean;
  private readonly log: (level: 'info' | 'warn', msg: string) => void;

  constructor(o: { address?: string; healthy?: () => boolean; log?: (level: 'info' | 'warn', msg: string) => void }) {
    this.address = o.address ?? '0.0.0.0';
    this.healthy = o.healthy ?? (() => true);
    this.log = o.log ?? (() => {});
  }

  get ports(): number[] {
    return [...this.servers.keys()].sort((a, b) => a - b);
  }

  sync(targets: Map<number, HealthCheckTarget>): void {
    this.targets = targets;
    for (const [port, server] of this.servers) {
      if (targets.has(port)) continue;
      server.close();
      server.closeAllConnections();
      this.servers.delete(port);
    }
    for (const port of targets.keys()) {
      if (this.servers.has(port)) continue;
      const server = createServer((req, res) => {
        const t = this.targets.get(port);
        if (t === undefined) {
          res.writeHead(404).end();
          return;
        }
        const r = healthCheckResponse(t, this.healthy());
        res.writeHead(r.status, r.headers).end(r.body);
      });
      server.on('error', (err) => {
        this.log('warn', `health check node port ${port}: ${err.message}`);
        this.servers.delete(port);
      });
      server.listen(port, this.address);
      this.servers.set(port, server);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.servers.values()].map((s) => new Promise<void>((r) => {
      s.close(() => r());
      s.closeAllConnections();
    })));
    this.servers.clear();
  }
}
