// Setup of the prometheus plugin: `prometheus [ADDRESS]` (default localhost:9153) serves /metrics
// and records the per-query metrics of its server block.
import { parseHostPort } from '../../corefile/values.ts';
import { serverMetrics } from '../../metrics/coredns.ts';
import type { Controller } from '../../plugin/controller.ts';
import type { Plugin } from '../../plugin/plugin.ts';
import { Prometheus } from './prometheus.ts';

export function setupPrometheus(c: Controller): Plugin {
  if (c.args.length > 1) throw c.argErr();
  if (c.lines.length > 0) throw c.unknownProperty(c.lines[0] ?? c.directive);
  const address = c.args[0] ?? 'localhost:9153';
  if (parseHostPort(address, 9153) === undefined) throw c.err(`invalid address '${address}'`);
  const m = serverMetrics(c.env.registry);
  for (const name of c.block.plugins) {
    for (const zone of c.block.zones) m.pluginEnabled.set({ server: c.block.server, zone, view: '', name }, 1);
  }
  const registry = c.env.registry;
  return {
    name: 'prometheus',
    handler: new Prometheus(m),
    routes: [{ address, path: '/metrics', handle: () => ({ status: 200, body: registry.render(), contentType: 'text/plain; version=0.0.4; charset=utf-8' }) }],
  };
}
