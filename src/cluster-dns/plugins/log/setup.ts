// Setup of the log plugin: `log [NAMES...] [FORMAT] { class CLASSES... }`; may appear more than once.
import type { Controller } from '../../plugin/controller.ts';
import type { Plugin } from '../../plugin/plugin.ts';
import { combinedFormat, commonFormat, Log, type LogRule } from './log.ts';

/** Parses one `log` directive into a rule. */
export function parseLog(c: Controller): LogRule {
  let format = commonFormat;
  const names: string[] = [];
  for (const a of c.args) {
    if (a === '{common}') format = commonFormat;
    else if (a === '{combined}') format = combinedFormat;
    else if (a.includes('{')) format = a;
    else names.push(a);
  }
  const classes = new Set<'success' | 'denial' | 'error'>();
  for (const d of c.lines) {
    if (d.name !== 'class') throw c.unknownProperty(d);
    if (d.args.length === 0) throw c.argErr(d);
    for (const cl of d.args) {
      if (cl === 'all') { classes.add('success'); classes.add('denial'); classes.add('error'); }
      else if (cl === 'success' || cl === 'denial' || cl === 'error') classes.add(cl);
      else throw c.err(`unknown class: ${cl}`, d.line);
    }
  }
  if (classes.size === 0) { classes.add('success'); classes.add('denial'); classes.add('error'); }
  return { names: c.zones(names.length === 0 ? ['.'] : names), format, classes };
}

/** The log plugin for every `log` directive of a server block (the first matching rule wins). */
export function setupLog(cs: readonly Controller[]): Plugin {
  const rules = cs.map(parseLog);
  const first = cs[0];
  const write = first === undefined ? () => undefined : first.env.queryLog;
  return { name: 'log', handler: new Log(rules, write) };
}
