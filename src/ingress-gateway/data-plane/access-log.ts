// Access log lines in ingress-nginx's default `log-format-upstream`:
//   $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer"
//   "$http_user_agent" $request_length $request_time [$proxy_upstream_name]
//   [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length
//   $upstream_response_time $upstream_status $req_id
// so users' log parsers keep working. Lines are batched and written once per tick.
import type { Writable } from 'node:stream';

/** The facts of one finished request. */
export interface AccessRecord {
  remoteAddr: string;
  remoteUser: string;
  time: Date;
  method: string;
  target: string;
  protocol: string;
  status: number;
  bodyBytesSent: number;
  referer: string;
  userAgent: string;
  requestLength: number;
  requestTimeSec: number;
  /** ingress-nginx upstream name `namespace-service-port`, or '' (printed as `-`). */
  upstreamName: string;
  alternativeUpstreamName: string;
  /** `ip:port` of each endpoint tried, comma separated. */
  upstreamAddr: string;
  upstreamResponseLength: string;
  upstreamResponseTime: string;
  upstreamStatus: string;
  requestId: string;
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** nginx's $time_local (`21/Nov/2025:21:50:03 +0000`), in UTC. */
export function timeLocal(d: Date): string {
  return `${p2(d.getUTCDate())}/${months[d.getUTCMonth()] ?? ''}/${d.getUTCFullYear()}:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`;
}

const dash = (s: string) => (s === '' ? '-' : s);
const quoted = (s: string) => s.replace(/\\/g, '\\x5C').replace(/"/g, '\\x22').replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);

/** Formats one record as a line (with the trailing newline). */
export function formatAccessLine(r: AccessRecord): string {
  return `${r.remoteAddr} - ${dash(r.remoteUser)} [${timeLocal(r.time)}] "${quoted(`${r.method} ${r.target} ${r.protocol}`)}" ${r.status} ${r.bodyBytesSent} "${quoted(dash(r.referer))}" "${quoted(dash(r.userAgent))}" ${r.requestLength} ${r.requestTimeSec.toFixed(3)} [${r.upstreamName}] [${r.alternativeUpstreamName}] ${dash(r.upstreamAddr)} ${dash(r.upstreamResponseLength)} ${dash(r.upstreamResponseTime)} ${dash(r.upstreamStatus)} ${r.requestId}\n`;
}

/** Batches access lines to a stream; `flush()` writes what is pending. */
export class AccessLog {
  private pending: string[] = [];
  private scheduled = false;
  private readonly out: Writable;
  constructor(out: Writable) {
    this.out = out;
  }
  write(r: AccessRecord): void {
    this.pending.push(formatAccessLine(r));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }
  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.out.write(text);
  }
}
