// The plugin contract: a per-query Handler that answers or passes to the next one, and the Plugin a
// setup function makes from its Corefile directive (handler, lifecycle hooks, readiness, HTTP
// routes). Pure types and small helpers; nothing here does I/O.
import type { Message } from '../dns/types.ts';
import { lower } from '../dns/names.ts';
import { replyTo } from '../dns/types.ts';

export type Proto = 'udp' | 'tcp';

/** What the server knows when a reply has been written. */
export interface Written {
  /** Bytes sent. */
  size: number;
  /** The message as sent (after truncation). */
  msg: Message;
}

/** One query as it travels down the chain. Treat every field as read-only. */
export interface Request {
  readonly msg: Message;
  /** The question name as sent (case kept). */
  readonly qname: string;
  /** The question name in lower case, for matching. */
  readonly name: string;
  readonly qtype: number;
  readonly qclass: number;
  readonly proto: Proto;
  readonly remote: { readonly address: string; readonly port: number; readonly family: 4 | 6 };
  /** Largest reply the client takes over UDP (512, or its EDNS buffer size); 65535 over TCP. */
  readonly size: number;
  /** DNSSEC OK bit. */
  readonly do: boolean;
  /** Wire size of the query. */
  readonly wireSize: number;
  /** The server block zone that took the query (lower case). */
  readonly zone: string;
  /** The server label in metrics (`dns://:53`). */
  readonly server: string;
  /** True for lookups a plugin makes through the server (no client sees the reply). */
  readonly internal: boolean;
  /** Resolves a name through this server's chains (CoreDNS's upstream.Lookup). */
  readonly lookup: (name: string, type: number) => Promise<Message>;
  /** Hooks run after the reply was written to the client (metrics, query log). */
  readonly onWritten: ((w: Written) => void)[];
  /** performance.now() when the query arrived. */
  readonly start: number;
}

/** A handler's answer: the message and which plugin wrote it (the `plugin` label of responses_total). */
export interface Reply {
  msg: Message;
  plugin: string;
  /** Set when the answer is a failure worth logging (the errors plugin prints it). */
  error?: Error | undefined;
}

export type Next = (req: Request) => Promise<Reply>;

/** A plugin's per-query part. */
export interface Handler {
  readonly name: string;
  serve(req: Request, next: Next): Promise<Reply>;
}

/** An HTTP endpoint a plugin serves (health, ready, metrics). */
export interface HttpRoute {
  /** `host:port` as written in the Corefile (`:8080`), after defaults. */
  address: string;
  path: string;
  handle(): { status: number; body: string; contentType?: string };
}

/** What a setup function returns. */
export interface Plugin {
  readonly name: string;
  /** In the query path; absent for plugins that only serve HTTP or run in the background. */
  handler?: Handler;
  /** Called when the configuration goes live. */
  start?(): void | Promise<void>;
  /** Called when it is replaced (reload) or the server stops. */
  stop?(): void | Promise<void>;
  /** Readiness for the ready plugin; absent means "no opinion". */
  ready?(): boolean;
  routes?: HttpRoute[];
  /** health's lameduck: how long stop() keeps serving after /ready turned unready. */
  lameduckMs?: number;
  /** reload's check interval and jitter (the Corefile source is watched; files are polled). */
  reload?: { intervalMs: number; jitterMs: number };
}

/** A request for another question, for lookups inside the server (CNAME chasing, prefetch). */
export function withQuestion(req: Request, qname: string, qtype: number): Request {
  const msg: Message = { ...req.msg, question: [{ name: qname, type: qtype, class: req.qclass }] };
  return { ...req, msg, qname, name: lower(qname), qtype, internal: true, onWritten: [] };
}

/** A reply with just an rcode (SERVFAIL, REFUSED, ...). */
export function rcodeReply(req: Request, rcode: number, plugin: string, error?: Error): Reply {
  return { msg: replyTo(req.msg, rcode), plugin, error };
}
