// Setup of the hosts plugin:
//   hosts [FILE [ZONES...]] {
//       [INLINE]
//       ttl SECONDS
//       no_reverse
//       reload DURATION
//       fallthrough [ZONES...]
//       fallthrough_unsupported
//   }
// FILE defaults to /etc/hosts (as in CoreDNS, also when inline entries are given).
import { canonicalIP } from '../../dns/ip.ts';
import { hostsMetrics } from '../../metrics/coredns.ts';
import type { Controller } from '../../plugin/controller.ts';
import type { Plugin } from '../../plugin/plugin.ts';
import { Hosts, type HostsOptions } from './hosts.ts';

/** Parses the directive into options. Throws CorefileError. */
export function parseHostsOptions(c: Controller): HostsOptions {
  const [file, ...zones] = c.args;
  const o: HostsOptions = {
    path: file ?? '/etc/hosts',
    zones: c.zones(zones),
    inline: [],
    ttl: 3600,
    noReverse: false,
    reloadMs: 5000,
    fallthrough: { zones: [] },
    fallthroughUnsupported: false,
  };
  for (const d of c.lines) {
    if (canonicalIP(d.name.replace(/%.*$/, '')) !== undefined) {
      if (d.args.length === 0) throw c.err(`inline entry '${d.name}' needs a name`, d.line);
      o.inline.push([d.name, ...d.args].join(' '));
      continue;
    }
    switch (d.name) {
      case 'ttl':
        if (d.args.length !== 1) throw c.argErr(d);
        o.ttl = c.int(d.args[0], d, 0, 4294967295, 'ttl');
        break;
      case 'no_reverse':
        o.noReverse = true;
        break;
      case 'reload':
        if (d.args.length !== 1) throw c.argErr(d);
        o.reloadMs = c.duration(d.args[0], d);
        break;
      case 'fallthrough':
        o.fallthrough = { zones: d.args.length === 0 ? ['.'] : c.zones(d.args) };
        break;
      case 'fallthrough_unsupported':
        o.fallthroughUnsupported = true;
        break;
      default:
        throw c.unknownProperty(d);
    }
  }
  return o;
}

export function setupHosts(c: Controller): Plugin {
  const o = parseHostsOptions(c);
  const env = c.env;
  const h = new Hosts(o, {
    readFile: env.readFile,
    statFile: env.statFile,
    log: (level, msg) => env.log(level, msg),
    now: env.now,
  }, hostsMetrics(env.registry));
  return { name: 'hosts', handler: h, start: () => h.start(), stop: () => h.stop() };
}
