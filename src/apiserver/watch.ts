// The watch stream: one JSON object per line over a chunked 200 response, as kube-apiserver writes
// it. Bookmarks only when the client asked for them; the stream closes after the timeout.
import type { ServerResponse } from 'node:http';
import type { Status } from '../machinery/status.ts';
import type { KubeObject } from '../api/types.ts';

export type WireEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** Writes watch events to an HTTP response; `write` returns false once the client is gone. */
export class WatchWriter {
  private readonly res: ServerResponse;
  private closed = false;
  private readonly onClose: Array<() => void> = [];

  constructor(res: ServerResponse) {
    this.res = res;
    res.on('close', () => this.finish());
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    // Sends the headers now so clients see the stream is open before the first event.
    res.flushHeaders();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Registers clean-up to run once when the stream ends for any reason. */
  whenClosed(fn: () => void): void {
    if (this.closed) fn();
    else this.onClose.push(fn);
  }

  write(type: WireEventType, object: KubeObject | Status | Record<string, unknown>): boolean {
    if (this.closed) return false;
    this.res.write(JSON.stringify({ type, object }) + '\n');
    return true;
  }

  end(): void {
    if (!this.closed) this.res.end();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    for (const fn of this.onClose.splice(0)) {
      try {
        fn();
      } catch {
        // clean-up must not throw into the HTTP layer
      }
    }
  }
}

/** kube-apiserver's default: min-request-timeout (1800 s) × (1 + rand). */
export function defaultWatchTimeoutMs(random: () => number = Math.random): number {
  return Math.floor(1800 * (1 + random()) * 1000);
}
