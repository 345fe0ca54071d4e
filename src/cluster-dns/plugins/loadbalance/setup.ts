// Setup of the loadbalance plugin: `loadbalance [round_robin] { prefer CIDR... }`
// (`weighted` is not implemented).
import type { Controller } from '../../plugin/controller.ts';
import type { Plugin } from '../../plugin/plugin.ts';
import { LoadBalance, parseCidr, type Cidr } from './loadbalance.ts';

export function setupLoadBalance(c: Controller): Plugin {
  const policy = c.args[0] ?? 'round_robin';
  if (policy === 'weighted') throw c.err(`policy 'weighted' is not supported by Switchboard (use round_robin)`);
  if (policy !== 'round_robin' || c.args.length > 1) throw c.err(`unknown policy: ${c.args.join(' ')}`);
  const prefer: Cidr[] = [];
  for (const d of c.lines) {
    if (d.name !== 'prefer') throw c.unknownProperty(d);
    if (d.args.length === 0) throw c.argErr(d);
    for (const a of d.args) {
      const cidr = parseCidr(a);
      if (cidr === undefined) throw c.err(`invalid CIDR '${a}'`, d.line);
      prefer.push(cidr);
    }
  }
  return { name: 'loadbalance', handler: new LoadBalance(c.env.random, prefer) };
}
