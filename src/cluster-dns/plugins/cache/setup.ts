// Setup of the cache plugin:
//   cache [TTL] [ZONES...] {
//       success CAPACITY [TTL] [MINTTL]
//       denial CAPACITY [TTL] [MINTTL]
//       prefetch AMOUNT [[DURATION] [PERCENTAGE%]]
//       serve_stale [DURATION] [REFRESH_MODE]
//       servfail DURATION
//       disable success|denial [ZONES...]
//       keepttl
//   }
import { cacheMetrics } from '../../metrics/coredns.ts';
import type { Controller } from '../../plugin/controller.ts';
import type { Plugin } from '../../plugin/plugin.ts';
import { Cache, defaultCacheOptions, type CacheOptions } from './cache.ts';

/** Parses the block into options. Throws CorefileError. */
export function parseCache(c: Controller): CacheOptions {
  const args = [...c.args];
  let ttlArg: number | undefined;
  if (args[0] !== undefined && /^\d+$/.test(args[0])) {
    ttlArg = Number(args.shift());
    if (ttlArg <= 0) throw c.err(`cache TTL can not be zero or negative: ${ttlArg}`);
  }
  const o = defaultCacheOptions(c.zones(args));
  if (ttlArg !== undefined) {
    o.success.maxTTL = ttlArg;
    o.denial.maxTTL = ttlArg;
    if (ttlArg < o.success.minTTL) o.success.minTTL = ttlArg;
    if (ttlArg < o.denial.minTTL) o.denial.minTTL = ttlArg;
  }
  for (const d of c.lines) {
    const a = d.args;
    switch (d.name) {
      case 'success': case 'denial': {
        if (a.length < 1 || a.length > 3) throw c.argErr(d);
        const cls = d.name === 'success' ? o.success : o.denial;
        cls.capacity = c.int(a[0], d, 1, 1e9, 'capacity');
        if (a[1] !== undefined) {
          cls.maxTTL = c.int(a[1], d, 1, 1e9, 'TTL');
          if (cls.maxTTL < cls.minTTL) cls.minTTL = cls.maxTTL;
        }
        if (a[2] !== undefined) cls.minTTL = c.int(a[2], d, 0, cls.maxTTL, 'MINTTL');
        break;
      }
      case 'prefetch': {
        if (a.length < 1 || a.length > 3) throw c.argErr(d);
        const amount = c.int(a[0], d, 1, 1e9, 'prefetch amount');
        let windowMs = 60_000;
        let percentage = 10;
        for (const x of a.slice(1)) {
          if (x.endsWith('%')) percentage = c.int(x.slice(0, -1), d, 0, 100, 'prefetch percentage');
          else windowMs = c.duration(x, d);
        }
        o.prefetch = { amount, windowMs, percentage };
        break;
      }
      case 'serve_stale': {
        if (a.length > 2) throw c.argErr(d);
        const durationMs = a[0] === undefined ? 3_600_000 : c.duration(a[0], d);
        const mode = a[1] ?? 'immediate';
        if (mode !== 'immediate' && mode !== 'verify') throw c.err(`invalid value for serve_stale refresh mode: ${mode}`, d.line);
        o.serveStale = { durationMs, verify: mode === 'verify' };
        break;
      }
      case 'servfail': {
        if (a.length !== 1) throw c.argErr(d);
        const ms = c.duration(a[0], d);
        if (ms > 300_000) throw c.err('maximum value for servfail is 5m', d.line);
        o.servfailTTL = Math.floor(ms / 1000);
        break;
      }
      case 'disable': {
        const [what, ...zones] = a;
        if (what !== 'success' && what !== 'denial') throw c.err(`cache type for disable must be "success" or "denial"`, d.line);
        o.disable[what].push(...(zones.length === 0 ? o.zones : c.zones(zones)));
        break;
      }
      case 'keepttl':
        if (a.length !== 0) throw c.argErr(d);
        o.keepTTL = true;
        break;
      default:
        throw c.unknownProperty(d);
    }
  }
  return o;
}

export function setupCache(c: Controller): Plugin {
  const opts = parseCache(c);
  const m = cacheMetrics(c.env.registry);
  const cache = new Cache(opts, c.env.now, m, c.block.server);
  const labels = { server: c.block.server, zones: opts.zones.join(','), view: '' };
  const collect = () => {
    m.entries.set({ ...labels, type: 'success' }, cache.size('success'));
    m.entries.set({ ...labels, type: 'denial' }, cache.size('denial'));
  };
  let off: (() => void) | undefined;
  return {
    name: 'cache',
    handler: cache,
    start: () => { off = c.env.registry.onCollect(collect); },
    stop: () => { off?.(); },
  };
}
