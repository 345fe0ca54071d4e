// Setup of the errors plugin: `errors { consolidate DURATION REGEXP [LEVEL] [show_first]; stacktrace }`.
import type { Controller } from '../../plugin/controller.ts';
import type { Plugin } from '../../plugin/plugin.ts';
import { Errors, type Consolidate } from './errors.ts';

export function setupErrors(c: Controller): Plugin {
  if (c.args.length > 0) throw c.argErr();
  const rules: Consolidate[] = [];
  for (const d of c.lines) {
    switch (d.name) {
      case 'consolidate': {
        const [dur, re, ...rest] = d.args;
        if (dur === undefined || re === undefined || rest.length > 2) throw c.argErr(d);
        let pattern: RegExp;
        try {
          pattern = new RegExp(re);
        } catch (e) {
          throw c.err(`invalid regexp '${re}': ${e instanceof Error ? e.message : String(e)}`, d.line);
        }
        let level: Consolidate['level'] = 'error';
        let showFirst = false;
        for (const r of rest) {
          if (r === 'show_first') showFirst = true;
          else if (r === 'warning') level = 'warn';
          else if (r === 'error' || r === 'info' || r === 'debug') level = r;
          else throw c.err(`unknown log level argument in consolidate: '${r}'`, d.line);
        }
        rules.push({ periodMs: c.duration(dur, d), pattern, level, showFirst });
        break;
      }
      case 'stacktrace':
        break;
      default:
        throw c.unknownProperty(d);
    }
  }
  const h = new Errors(c.env.log, rules);
  return { name: 'errors', handler: h, stop: () => h.stop() };
}
