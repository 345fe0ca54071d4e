// The reload plugin: `reload [INTERVAL] [JITTER]` (defaults 30s, 15s). Switchboard watches the
// coredns ConfigMap, so a change is applied as soon as it is seen; the interval only paces polling
// when the Corefile is a file. A Corefile that fails to parse or set up is not applied: the last
// good one keeps serving and the error is logged and counted (coredns_reload_failed_total).
import type { Controller } from '../../plugin/controller.ts';
import type { Plugin } from '../../plugin/plugin.ts';

export function setupReload(c: Controller): Plugin {
  if (c.args.length > 2) throw c.argErr();
  if (c.lines.length > 0) throw c.unknownProperty(c.lines[0] ?? c.directive);
  const intervalMs = c.args[0] === undefined ? 30_000 : c.duration(c.args[0]);
  let jitterMs = c.args[1] === undefined ? 15_000 : c.duration(c.args[1]);
  if (intervalMs < 2000) throw c.err(`interval value must be greater or equal to 2s`);
  if (jitterMs < 1000) throw c.err(`jitter value must be greater or equal to 1s`);
  if (jitterMs > intervalMs / 2) jitterMs = intervalMs / 2;
  return { name: 'reload', reload: { intervalMs, jitterMs } };
}
