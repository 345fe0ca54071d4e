// The prometheus plugin's per-query part: counts each request and response of its server block with
// CoreDNS's metric names and labels (coredns_dns_requests_total, ..._responses_total, durations,
// sizes), recording after the reply was written so sizes and rcodes are what the client got.
import type { ServerMetrics } from '../../metrics/coredns.ts';
import type { CounterHandle, HistogramHandle } from '../../metrics/registry.ts';
import type { Handler, Next, Reply, Request } from '../../plugin/plugin.ts';
import { rcodeName, typeName } from '../../dns/types.ts';

/** The qtypes CoreDNS labels by name; everything else is `other` (plugin/metrics/vars/monitor.go). */
const monitored = new Set(['A', 'AAAA', 'NS', 'PTR', 'SRV', 'CNAME', 'SOA', 'MX', 'TXT', 'DS', 'DNSKEY', 'RRSIG', 'NSEC', 'NSEC3', 'HTTPS', 'IXFR', 'AXFR', 'ANY', 'HINFO', 'NAPTR', 'SVCB', 'CAA', 'OPT']);

/** The `type` label for a qtype. */
export function typeLabel(qtype: number): string {
  const n = typeName(qtype);
  return monitored.has(n) ? n : 'other';
}

interface Series {
  requests: CounterHandle;
  doRequests: CounterHandle;
  requestSize: HistogramHandle;
  responseSize: HistogramHandle;
  duration: HistogramHandle;
  /** plugin → rcode → series. */
  responses: Map<string, Map<number, CounterHandle>>;
}

export class Prometheus implements Handler {
  readonly name = 'prometheus';
  private readonly m: ServerMetrics;
  /** Label combinations seen, bound once: server|zone → (qtype, proto, family) → series. */
  private readonly series = new Map<string, Map<number, Series>>();

  constructor(m: ServerMetrics) {
    this.m = m;
  }

  private seriesFor(req: Request): Series {
    const zoneKey = req.zone === '.' ? req.server : `${req.server}|${req.zone}`;
    let byType = this.series.get(zoneKey);
    if (byType === undefined) {
      byType = new Map();
      this.series.set(zoneKey, byType);
    }
    const key = req.qtype * 4 + (req.proto === 'tcp' ? 2 : 0) + (req.remote.family === 6 ? 1 : 0);
    let s = byType.get(key);
    if (s === undefined) {
      const family = req.remote.family === 6 ? '2' : '1';
      const type = typeLabel(req.qtype);
      const base = { server: req.server, zone: req.zone, view: '' };
      s = {
        requests: this.m.requests.handle({ ...base, proto: req.proto, family, type }),
        doRequests: this.m.doRequests.handle(base),
        requestSize: this.m.requestSize.handle({ ...base, proto: req.proto }),
        responseSize: this.m.responseSize.handle({ ...base, proto: req.proto }),
        duration: this.m.requestDuration.handle({ ...base, type }),
        responses: new Map(),
      };
      byType.set(key, s);
    }
    return s;
  }

  async serve(req: Request, next: Next): Promise<Reply> {
    const reply = await next(req);
    if (req.internal) return reply;
    const plugin = reply.plugin;
    req.onWritten.push((w) => {
      const s = this.seriesFor(req);
      s.requests.inc();
      if (req.do) s.doRequests.inc();
      s.requestSize.observe(req.wireSize);
      s.responseSize.observe(w.size);
      s.duration.observe((performance.now() - req.start) / 1000);
      let byRcode = s.responses.get(plugin);
      if (byRcode === undefined) {
        byRcode = new Map();
        s.responses.set(plugin, byRcode);
      }
      let r = byRcode.get(w.msg.rcode);
      if (r === undefined) {
        r = this.m.responses.handle({ server: req.server, zone: req.zone, view: '', rcode: rcodeName(w.msg.rcode), plugin });
        byRcode.set(w.msg.rcode, r);
      }
      r.inc();
    });
    return reply;
  }
}
