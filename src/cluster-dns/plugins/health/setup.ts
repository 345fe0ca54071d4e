// The health plugin: `health [ADDRESS] { lameduck DURATION }` serves `GET /health` → 200 OK
// (default address :8080). With lameduck, stopping keeps answering queries for DURATION while
// /ready already reports unready, so clients move away first.
import { parseHostPort } from '../../corefile/values.ts';
import { healthMetrics } from '../../metrics/coredns.ts';
import type { Controller } from '../../plugin/controller.ts';
import type { Plugin } from '../../plugin/plugin.ts';

export function setupHealth(c: Controller): Plugin {
  if (c.args.length > 1) throw c.argErr();
  const address = c.args[0] ?? ':8080';
  if (parseHostPort(address, 8080) === undefined) throw c.err(`invalid address '${address}'`);
  let lameduckMs = 0;
  for (const d of c.lines) {
    if (d.name !== 'lameduck') throw c.unknownProperty(d);
    if (d.args.length !== 1) throw c.argErr(d);
    lameduckMs = c.duration(d.args[0], d);
  }
  const m = healthMetrics(c.env.registry);
  return {
    name: 'health',
    lameduckMs,
    routes: [{
      address,
      path: '/health',
      handle: () => {
        const t0 = performance.now();
        const r = { status: 200, body: 'OK' };
        m.duration.observe({}, (performance.now() - t0) / 1000);
        return r;
      },
    }],
  };
}
