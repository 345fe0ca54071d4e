// The kubernetes plugin's handler (CoreDNS plugin/kubernetes/handler.go with backend_lookup.go):
// turns the entries records.ts finds into answers — A/AAAA, SRV with its additional addresses,
// PTR, CNAME chasing for ExternalName, the dns-version TXT, apex SOA/NS — and keeps NXDOMAIN
// (with the zone SOA) apart from NODATA and from SERVFAIL before the first sync.
import { fallsThrough, type Fallthrough } from '../../plugin/fallthrough.ts';
import type { Handler, Next, Reply, Request } from '../../plugin/plugin.ts';
import { rcodeReply } from '../../plugin/plugin.ts';
import { ipFamily } from '../../dns/ip.ts';
import { isSubdomain, lower, matchZone } from '../../dns/names.ts';
import { Class, Rcode, replyTo, Type, type RR, type SOARecord } from '../../dns/types.ts';
import { clusterIPs, Records, type Entry, type KubernetesOptions, type Lookup } from './records.ts';
import type { ClusterView } from './view.ts';

/** The schema version the `dns-version.<zone>` TXT record announces (spec §2.2). */
export const dnsSchemaVersion = '1.1.0';

interface State {
  /** Query name as sent. */
  qname: string;
  /** Lower case. */
  name: string;
  qtype: number;
  /** The matched zone, lower case and as the query spelled it. */
  zoneLower: string;
  zone: string;
}

interface Built {
  answer: RR[];
  extra: RR[];
  truncated: boolean;
}

type Outcome = { ok: true; built: Built } | { ok: false };

export interface KubernetesPluginOptions extends KubernetesOptions {
  fallthrough: Fallthrough;
}

const empty = (): Built => ({ answer: [], extra: [], truncated: false });

/** The kubernetes plugin's per-query handler over a ClusterView. */
export class Kubernetes implements Handler {
  readonly name = 'kubernetes';
  readonly opts: KubernetesPluginOptions;
  readonly view: ClusterView;
  private readonly rec: Records;

  constructor(opts: KubernetesPluginOptions, view: ClusterView) {
    this.opts = opts;
    this.view = view;
    this.rec = new Records(opts, view);
  }

  async serve(req: Request, next: Next): Promise<Reply> {
    const zoneLower = matchZone(this.opts.zones, req.name);
    if (zoneLower === undefined) return next(req);
    const st: State = {
      qname: req.qname,
      name: req.name,
      qtype: req.qtype,
      zoneLower,
      zone: zoneLower === '.' ? '.' : req.qname.slice(req.qname.length - zoneLower.length),
    };
    let out: Outcome;
    switch (req.qtype) {
      case Type.A: case Type.AAAA: out = await this.address(req, st, []); break;
      case Type.SRV: out = this.srv(st); break;
      case Type.PTR: out = this.ptr(st); break;
      case Type.CNAME: out = this.cname(st); break;
      case Type.TXT: out = this.txt(st); break;
      case Type.MX: out = this.mx(st); break;
      case Type.SOA: out = st.name === st.zoneLower ? { ok: true, built: { answer: [this.soa(st)], extra: [], truncated: false } } : this.exists(st); break;
      case Type.NS: out = st.name === st.zoneLower ? this.ns(st) : this.exists(st); break;
      case Type.AXFR: case Type.IXFR: return rcodeReply(req, Rcode.REFUSED, this.name);
      default: out = this.exists(st);
    }
    if (!out.ok) {
      if (fallsThrough(this.opts.fallthrough, req.name)) return next(req);
      if (!this.view.hasSynced()) return this.negative(req, st, Rcode.SERVFAIL);
      return this.negative(req, st, Rcode.NXDOMAIN);
    }
    if (out.built.answer.length === 0) return this.negative(req, st, Rcode.NOERROR);
    const m = replyTo(req.msg);
    m.aa = true;
    m.tc = out.built.truncated;
    m.answer = out.built.answer;
    m.additional = out.built.extra;
    return { msg: m, plugin: this.name };
  }

  /** NXDOMAIN, NODATA or SERVFAIL with the zone's SOA in the authority section. */
  private negative(req: Request, st: State, rcode: number): Reply {
    const m = replyTo(req.msg, rcode);
    m.aa = true;
    m.authority = [this.soa(st)];
    return { msg: m, plugin: this.name };
  }

  /** The zone SOA: serial = last change, minimum = the plugin TTL, record TTL ≤ 300. */
  soa(st: State): SOARecord {
    return {
      name: st.zone, type: 'SOA', class: Class.IN, ttl: Math.min(this.opts.ttl, 300),
      mname: `ns.dns.${st.zone}`, rname: `hostmaster.${st.zone}`, serial: this.view.modified() >>> 0,
      refresh: 7200, retry: 1800, expire: 86400, minimum: this.opts.ttl,
    };
  }

  /** Entries for a name: the apex and `ns.dns.<zone>` are special; the rest go to records.ts. */
  private lookup(st: State): Lookup {
    if (st.name === st.zoneLower) return { ok: true, entries: [] };
    if (st.name === `ns.dns.${st.zoneLower}`) return { ok: true, entries: this.nsAddresses(st) };
    return this.rec.records(st.name, st.zoneLower, st.zone);
  }

  /** Addresses of this DNS server: the kube-dns Service's ClusterIPs. */
  private nsAddresses(st: State): Entry[] {
    const svc = this.view.service('kube-system', 'kube-dns');
    if (svc === undefined) return [];
    return clusterIPs(svc).map((ip) => ({ host: ip, port: -1, ttl: this.opts.ttl, target: `ns.dns.${st.zone}` }));
  }

  /** Does the name exist (for any type)? NODATA if so, else a name error (the "fake A lookup"). */
  private exists(st: State): Outcome {
    const l = this.lookup(st);
    return l.ok ? { ok: true, built: empty() } : { ok: false };
  }

  private async address(req: Request, st: State, previous: RR[]): Promise<Outcome> {
    const l = this.lookup(st);
    if (!l.ok) return l;
    const want = st.qtype === Type.AAAA ? 6 : 4;
    const built = empty();
    const dup = new Set<string>();
    for (const e of l.entries) {
      const fam = ipFamily(e.host);
      if (fam === 0) {
        // ExternalName: CNAME, then the target's addresses (chased in-zone, else through the server).
        if (lower(e.host) === st.name) continue;
        const cname: RR = { name: st.qname, type: 'CNAME', class: Class.IN, ttl: e.ttl, target: e.host };
        if (previous.length > 7) continue;
        if (previous.some((p) => p.type === 'CNAME' && lower(p.name) === lower(cname.name) && lower(p.target) === lower(e.host))) continue;
        if (isSubdomain(e.host, st.zoneLower)) {
          const inner = await this.address(req, { ...st, qname: e.host, name: lower(e.host) }, [...previous, cname]);
          if (inner.ok && inner.built.answer.length > 0) {
            built.answer.push(cname, ...inner.built.answer);
            if (inner.built.truncated) built.truncated = true;
          }
          continue;
        }
        built.answer.push(cname);
        try {
          const m = await req.lookup(e.host, st.qtype);
          built.answer.push(...m.answer);
          if (m.tc) built.truncated = true;
        } catch {
          // The target could not be resolved now; the CNAME alone still tells the client where to look.
        }
        continue;
      }
      if (fam !== want || dup.has(e.host)) continue;
      dup.add(e.host);
      built.answer.push(fam === 4
        ? { name: st.qname, type: 'A', class: Class.IN, ttl: e.ttl, address: e.host }
        : { name: st.qname, type: 'AAAA', class: Class.IN, ttl: e.ttl, address: e.host });
    }
    return { ok: true, built };
  }

  /**
   * SRV (backend_lookup.go SRV): priority 0, weight floor(100 / n) with n counted before
   * de-duplication, one record per distinct (target, port), additional A/AAAA per distinct target
   * address. ExternalName services have no SRV.
   */
  private srv(st: State): Outcome {
    const l = this.lookup(st);
    if (!l.ok) return l;
    const entries = l.entries.filter((e) => ipFamily(e.host) !== 0);
    const built = empty();
    const weight = Math.max(1, Math.floor(100 / Math.max(1, entries.length)));
    const seenSrv = new Set<string>();
    const seenAddr = new Set<string>();
    for (const e of entries) {
      if (e.port === -1) continue;
      const k = `${lower(e.target)} ${e.port}`;
      if (!seenSrv.has(k)) {
        seenSrv.add(k);
        built.answer.push({ name: st.qname, type: 'SRV', class: Class.IN, ttl: e.ttl, priority: 0, weight, port: e.port, target: e.target });
      }
      const a = `${lower(e.target)} ${e.host}`;
      if (!seenAddr.has(a)) {
        seenAddr.add(a);
        built.extra.push(ipFamily(e.host) === 4
          ? { name: e.target, type: 'A', class: Class.IN, ttl: e.ttl, address: e.host }
          : { name: e.target, type: 'AAAA', class: Class.IN, ttl: e.ttl, address: e.host });
      }
    }
    return { ok: true, built };
  }

  private ptr(st: State): Outcome {
    const l = this.rec.reverse(st.name, st.zoneLower, st.zone);
    if (!l.ok) return l;
    const built = empty();
    for (const e of l.entries) {
      if (ipFamily(e.host) !== 0) continue;
      built.answer.push({ name: st.qname, type: 'PTR', class: Class.IN, ttl: e.ttl, target: e.host });
    }
    return { ok: true, built };
  }

  private cname(st: State): Outcome {
    const l = this.lookup(st);
    if (!l.ok) return l;
    const built = empty();
    for (const e of l.entries) {
      if (ipFamily(e.host) !== 0) continue;
      built.answer.push({ name: st.qname, type: 'CNAME', class: Class.IN, ttl: e.ttl, target: e.host });
    }
    return { ok: true, built };
  }

  private mx(st: State): Outcome {
    const l = this.lookup(st);
    if (!l.ok) return l;
    const built = empty();
    for (const e of l.entries) {
      if (ipFamily(e.host) !== 0) continue;
      built.answer.push({ name: st.qname, type: 'MX', class: Class.IN, ttl: e.ttl, preference: 10, exchange: e.host });
    }
    return { ok: true, built };
  }

  /** `dns-version.<zone>` TXT "1.1.0" (TTL 28800); any other existing name is NODATA. */
  private txt(st: State): Outcome {
    if (st.name === `dns-version.${st.zoneLower}`) {
      return { ok: true, built: { answer: [{ name: st.qname, type: 'TXT', class: Class.IN, ttl: 28800, texts: [dnsSchemaVersion] }], extra: [], truncated: false } };
    }
    return this.exists(st);
  }

  private ns(st: State): Outcome {
    const built = empty();
    const target = `ns.dns.${st.zone}`;
    built.answer.push({ name: st.qname, type: 'NS', class: Class.IN, ttl: this.opts.ttl, target });
    for (const e of this.nsAddresses(st)) {
      built.extra.push(ipFamily(e.host) === 4
        ? { name: target, type: 'A', class: Class.IN, ttl: e.ttl, address: e.host }
        : { name: target, type: 'AAAA', class: Class.IN, ttl: e.ttl, address: e.host });
    }
    return { ok: true, built };
  }
}
