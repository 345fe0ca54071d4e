// Setup of the loop plugin: `loop` (no arguments).
import { loopMetrics } from '../../metrics/coredns.ts';
import type { Controller } from '../../plugin/controller.ts';
import type { Plugin } from '../../plugin/plugin.ts';
import { Loop } from './loop.ts';

export function setupLoop(c: Controller): Plugin {
  if (c.args.length > 0) throw c.argErr();
  if (c.lines.length > 0) throw c.unknownProperty(c.lines[0] ?? c.directive);
  const l = new Loop(c.block.zones[0] ?? '.', c.env.random, c.env.log, loopMetrics(c.env.registry));
  return { name: 'loop', handler: l, start: () => l.start(c.env.probe), stop: () => l.stop() };
}
