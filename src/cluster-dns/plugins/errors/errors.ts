// The errors plugin: logs the error behind each failed answer (`[ERROR] plugin/errors: 2 name. A:
// why`), optionally consolidating repeats that match a pattern into one line per period.
import type { Logger } from '../../plugin/controller.ts';
import type { Handler, Next, Reply, Request } from '../../plugin/plugin.ts';
import { typeName } from '../../dns/types.ts';

export interface Consolidate {
  periodMs: number;
  pattern: RegExp;
  level: 'warn' | 'error' | 'info' | 'debug';
  showFirst: boolean;
}

export class Errors implements Handler {
  readonly name = 'errors';
  private readonly log: Logger;
  private readonly rules: { c: Consolidate; count: number; timer: ReturnType<typeof setTimeout> | undefined }[];

  constructor(log: Logger, consolidate: Consolidate[]) {
    this.log = log;
    this.rules = consolidate.map((c) => ({ c, count: 0, timer: undefined }));
  }

  async serve(req: Request, next: Next): Promise<Reply> {
    const r = await next(req);
    if (r.error !== undefined) this.report(`${r.msg.rcode} ${req.qname} ${typeName(req.qtype)}: ${r.error.message}`);
    return r;
  }

  /** Logs one error line, or counts it for a consolidation rule it matches. */
  report(line: string): void {
    for (const rule of this.rules) {
      if (!rule.c.pattern.test(line)) continue;
      rule.count++;
      if (rule.count === 1 && rule.c.showFirst) this.log(rule.c.level, `plugin/errors: ${line}`);
      if (rule.timer === undefined) {
        rule.timer = setTimeout(() => {
          rule.timer = undefined;
          const n = rule.count;
          rule.count = 0;
          if (n > 0) this.log(rule.c.level, `plugin/errors: ${n} errors like '${rule.c.pattern.source}' occurred in last ${Math.round(rule.c.periodMs / 1000)}s`);
        }, rule.c.periodMs);
        rule.timer.unref();
      }
      return;
    }
    this.log('error', `plugin/errors: ${line}`);
  }

  stop(): void {
    for (const r of this.rules) if (r.timer !== undefined) clearTimeout(r.timer);
  }
}
