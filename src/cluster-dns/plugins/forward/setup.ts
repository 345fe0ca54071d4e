// Setup of the forward plugin:
//   forward FROM TO... {
//       except IGNORED_NAMES...
//       force_tcp
//       prefer_udp
//       expire DURATION
//       max_fails INTEGER
//       health_check DURATION [no_rec] [domain FQDN]
//       policy random|round_robin|sequential
//       max_concurrent MAX
//       failover RCODE...
//       next RCODE...
//   }
// TO is an IP[:port], dns://IP[:port], or a resolv.conf-style file whose nameservers are used.
import { canonicalIP } from '../../dns/ip.ts';
import { fqdn, lower } from '../../dns/names.ts';
import { Rcode } from '../../dns/types.ts';
import { forwardMetrics } from '../../metrics/coredns.ts';
import { parseHostPort } from '../../corefile/values.ts';
import type { Controller } from '../../plugin/controller.ts';
import type { Plugin } from '../../plugin/plugin.ts';
import { Forward, type ForwardOptions, type Policy } from './forward.ts';
import { resolvConfNameservers } from './resolvconf.ts';
import { upstreamLabel, type Upstream } from './transport.ts';

const maxUpstreams = 15;

function parseRcode(s: string): number | undefined {
  const v = (Rcode as Record<string, number>)[s.toUpperCase()];
  return v;
}

/** Parses the directive into options. Throws CorefileError. */
export function parseForward(c: Controller): ForwardOptions {
  const [fromArg, ...to] = c.args;
  if (fromArg === undefined || to.length === 0) throw c.argErr();
  const fromZones = c.zones([fromArg]);
  const from = fromZones[0] ?? '.';
  const upstreams: Upstream[] = [];
  for (const t of to) {
    if (t.startsWith('/') || t.startsWith('.')) {
      let text: string;
      try {
        text = c.env.readFile(t);
      } catch (e) {
        throw c.err(`reading ${t}: ${e instanceof Error ? e.message : String(e)}`);
      }
      const ns = resolvConfNameservers(text);
      if (ns.length === 0) throw c.err(`no nameservers found in ${t}`);
      for (const ip of ns) upstreams.push({ host: ip, port: 53, label: upstreamLabel(ip, 53) });
      continue;
    }
    const scheme = /^([a-z0-9+]+):\/\//i.exec(t);
    let rest = t;
    if (scheme !== null) {
      if ((scheme[1] ?? '').toLowerCase() !== 'dns') throw c.err(`transport ${scheme[1] ?? ''}:// is not supported by Switchboard (use dns:// or a plain address)`);
      rest = t.slice(scheme[0].length);
    }
    const hp = parseHostPort(rest, 53);
    const ip = hp === undefined ? undefined : canonicalIP(hp.host);
    if (hp === undefined || ip === undefined) throw c.err(`not an IP address or file: "${t}"`);
    upstreams.push({ host: ip, port: hp.port, label: upstreamLabel(ip, hp.port) });
  }
  if (upstreams.length > maxUpstreams) throw c.err(`more than ${maxUpstreams} TOs configured: ${upstreams.length}`);
  const o: ForwardOptions = {
    from,
    except: [],
    upstreams,
    policy: 'random',
    forceTCP: false,
    preferUDP: false,
    maxFails: 2,
    healthCheckMs: 500,
    healthCheckName: '.',
    healthCheckRD: true,
    maxConcurrent: 0,
    failover: [],
    next: [],
    readTimeoutMs: 2000,
    deadlineMs: 5000,
  };
  for (const d of c.lines) {
    const a = d.args;
    switch (d.name) {
      case 'except':
        if (a.length === 0) throw c.argErr(d);
        o.except.push(...c.zones(a));
        break;
      case 'force_tcp':
        o.forceTCP = true;
        break;
      case 'prefer_udp':
        o.preferUDP = true;
        break;
      case 'expire':
        if (a.length !== 1) throw c.argErr(d);
        c.duration(a[0], d);
        break;
      case 'max_fails':
        if (a.length !== 1) throw c.argErr(d);
        o.maxFails = c.int(a[0], d, 0, 1_000_000, 'max_fails');
        break;
      case 'health_check': {
        if (a.length < 1) throw c.argErr(d);
        o.healthCheckMs = c.duration(a[0], d);
        for (let i = 1; i < a.length; i++) {
          if (a[i] === 'no_rec') o.healthCheckRD = false;
          else if (a[i] === 'domain' && a[i + 1] !== undefined) o.healthCheckName = lower(fqdn(a[++i] ?? '.'));
          else throw c.err(`health_check: unknown option ${a[i] ?? ''}`, d.line);
        }
        break;
      }
      case 'policy': {
        if (a.length !== 1) throw c.argErr(d);
        const p = a[0] ?? '';
        if (p !== 'random' && p !== 'round_robin' && p !== 'sequential') throw c.err(`unknown policy '${p}'`, d.line);
        o.policy = p as Policy;
        break;
      }
      case 'max_concurrent':
        if (a.length !== 1) throw c.argErr(d);
        o.maxConcurrent = c.int(a[0], d, 0, 1_000_000, 'max_concurrent');
        break;
      case 'failover': case 'next': {
        if (a.length === 0) throw c.argErr(d);
        for (const r of a) {
          const code = parseRcode(r);
          if (code === undefined) throw c.err(`${r} is not a valid rcode`, d.line);
          if (d.name === 'failover' && code === Rcode.NOERROR) throw c.err(`NoError cannot be used in failover`, d.line);
          o[d.name].push(code);
        }
        break;
      }
      case 'tls': case 'tls_servername':
        throw c.err(`'${d.name}' is not supported by Switchboard: forward over plain DNS`, d.line);
      default:
        throw c.unknownProperty(d);
    }
  }
  if (o.forceTCP && o.preferUDP) throw c.err('force_tcp and prefer_udp are mutually exclusive');
  return o;
}

export function setupForward(c: Controller): Plugin {
  const opts = parseForward(c);
  const f = new Forward(opts, c.env.transport(), forwardMetrics(c.env.registry), c.env.random);
  return { name: 'forward', handler: f, stop: () => f.stop() };
}
