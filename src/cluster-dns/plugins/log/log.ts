// The log plugin: one line per query, written after the reply went out, in CoreDNS's format
// (`{remote}:{port} - {>id} "{type} {class} {name} {proto} {size} {>do} {>bufsize}" {rcode} {>rflags} {rsize} {duration}`).
import type { Handler, Next, Reply, Request, Written } from '../../plugin/plugin.ts';
import { isSubdomain } from '../../dns/names.ts';
import { flagsText, responseClass, typify } from '../../dns/response.ts';
import { className, rcodeName, typeName } from '../../dns/types.ts';

export const commonFormat = '{remote}:{port} - {>id} "{type} {class} {name} {proto} {size} {>do} {>bufsize}" {rcode} {>rflags} {rsize} {duration}';
export const combinedFormat = `${commonFormat} "{>opcode}"`;

export interface LogRule {
  /** Zones whose queries are logged. */
  names: string[];
  format: string;
  /** Classes logged: success, denial, error (all = every one). */
  classes: Set<'success' | 'denial' | 'error'>;
}

/** Fills a format's placeholders for one written reply. Pure. */
export function formatLine(format: string, req: Request, w: Written, durationSec: number): string {
  const q = req.msg;
  const values: Record<string, string> = {
    remote: req.remote.family === 6 ? `[${req.remote.address}]` : req.remote.address,
    port: String(req.remote.port),
    type: typeName(req.qtype),
    class: className(req.qclass),
    name: req.qname,
    proto: req.proto,
    size: String(req.wireSize),
    rcode: rcodeName(w.msg.rcode),
    rsize: String(w.size),
    duration: `${durationSec.toFixed(9).replace(/0+$/, '').replace(/\.$/, '')}s`,
    '>id': String(q.id),
    '>opcode': String(q.opcode),
    '>do': String(req.do),
    '>bufsize': String(q.edns?.udpSize ?? 512),
    '>rflags': flagsText(w.msg),
    common: '',
    combined: '',
  };
  return format.replace(/\{(>?[a-z]+)\}/g, (m, k: string) => values[k] ?? m);
}

export class Log implements Handler {
  readonly name = 'log';
  private readonly rules: LogRule[];
  private readonly write: (line: string) => void;

  constructor(rules: LogRule[], write: (line: string) => void) {
    this.rules = rules;
    this.write = write;
  }

  async serve(req: Request, next: Next): Promise<Reply> {
    const rule = this.rules.find((r) => r.names.some((z) => isSubdomain(req.name, z)));
    if (rule !== undefined && !req.internal) {
      req.onWritten.push((w) => {
        const cls = responseClass(typify(w.msg));
        if (!rule.classes.has(cls)) return;
        this.write(`[INFO] ${formatLine(rule.format, req, w, (performance.now() - req.start) / 1000)}`);
      });
    }
    return next(req);
  }
}
