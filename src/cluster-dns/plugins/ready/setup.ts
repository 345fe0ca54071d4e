// The ready plugin: `ready [ADDRESS] { monitor until-ready|continuously }` serves `GET /ready`:
// 200 OK once every plugin that reports readiness (kubernetes: synced) is ready, else 503 with the
// names of those that are not (default address :8181). With `until-ready` (the default) it stays
// ready once it has been; it turns unready again while the server is stopping.
import { parseHostPort } from '../../corefile/values.ts';
import type { Controller } from '../../plugin/controller.ts';
import type { Plugin } from '../../plugin/plugin.ts';

export function setupReady(c: Controller): Plugin {
  if (c.args.length > 1) throw c.argErr();
  const address = c.args[0] ?? ':8181';
  if (parseHostPort(address, 8181) === undefined) throw c.err(`invalid address '${address}'`);
  let continuously = false;
  for (const d of c.lines) {
    if (d.name !== 'monitor') throw c.unknownProperty(d);
    if (d.args.length !== 1 || (d.args[0] !== 'until-ready' && d.args[0] !== 'continuously')) throw c.err(`monitor: expected until-ready or continuously`, d.line);
    continuously = d.args[0] === 'continuously';
  }
  let wasReady = false;
  const status = c.env.status;
  return {
    name: 'ready',
    routes: [{
      address,
      path: '/ready',
      handle: () => {
        if (status.stopping()) return { status: 503, body: 'shutting down' };
        if (wasReady && !continuously) return { status: 200, body: 'OK' };
        const missing = status.notReady();
        if (missing.length === 0) {
          wasReady = true;
          return { status: 200, body: 'OK' };
        }
        return { status: 503, body: missing.join(', ') };
      },
    }],
  };
}
