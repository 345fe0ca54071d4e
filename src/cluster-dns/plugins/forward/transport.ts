// How forward talks to an upstream: one exchange (query → reply) over UDP or TCP. The real
// implementation is proxy.ts; the interface lets forward's policy, health checking and failover
// logic stay free of sockets.
import type { Message } from '../../dns/types.ts';
import type { Proto } from '../../plugin/plugin.ts';

export interface Upstream {
  host: string;
  port: number;
  /** `host:port` (`[v6]:port`), the `to` label in metrics. */
  label: string;
}

/** Why an exchange failed; `code` is stable. */
export class ExchangeError extends Error {
  readonly code: 'ERR_DNS_TIMEOUT' | 'ERR_DNS_NETWORK' | 'ERR_DNS_BAD_REPLY';
  constructor(code: ExchangeError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export interface Transport {
  /**
   * Sends `query` (its id is replaced by one of the transport's) and resolves with the reply, its
   * id set back to the query's. Rejects with ExchangeError on timeout, network error or a reply
   * that cannot be read.
   */
  exchange(to: Upstream, query: Message, proto: Proto, timeoutMs: number): Promise<Message>;
  /** Closes sockets; pending exchanges reject. */
  close(): void;
}

export type TransportFactory = () => Transport;

/** The label of an upstream address. */
export function upstreamLabel(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
