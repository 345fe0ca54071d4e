// A lean HTTP/1.1 client for plain-HTTP upstreams: keep-alive connections per endpoint (LIFO),
// one request head written in one syscall, a strict response parser (status line, headers,
// Content-Length / chunked / close-delimited bodies, 1xx skipped), and small bodies handed over as
// one Buffer without a stream. node:http's ClientRequest + Agent cost about half of a proxied
// request's CPU in profiles (bench/ingress); this does the same work with less bookkeeping.
//
// Strictness (the upstream is not trusted to frame responses well): a malformed status line or
// header, obs-fold, conflicting Content-Length values, a head over 64 KiB, bytes after a response,
// or a bad chunk size are protocol errors: the connection is destroyed, never reused. Transfer-Encoding
// with Content-Length uses the chunked framing and closes the connection afterwards (RFC 9112 §6.3).
import net from 'node:net';
import { Readable } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';
import type { Endpoint } from '../route-table/types.ts';
import { UpstreamError, type UpstreamRequest, type UpstreamResponse } from './upstream.ts';

const CRLF2 = Buffer.from('\r\n\r\n');
const maxHead = 64 * 1024;
const tokenRe = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const badValue = /[\r\n\0]/;

type BodyMode = 'none' | 'length' | 'chunked' | 'close';

interface Exchange {
  req: UpstreamRequest;
  resolve: (r: UpstreamResponse) => void;
  reject: (e: UpstreamError) => void;
  settled: boolean;
  sent: boolean;
  headOnly: boolean;
  body: Readable | undefined;
  mode: BodyMode;
  remaining: number;
  /** Chunked decoder: 0 size line, 1 data, 2 CRLF after data, 3 trailers. */
  chunkState: number;
  sizeLine: string;
  keepAlive: boolean;
  /** Body bytes collected while the head is parsed in the same read (small responses). */
  early: Buffer[];
  responded: boolean;
  res?: UpstreamResponse;
  done?: boolean;
  /** Set when the exchange failed after the promise resolved but before anyone asked for the body. */
  error?: UpstreamError;
  /** The request body has been written completely (a connection is reused only then). */
  reqDone?: boolean;
}

class Conn {
  readonly sock: net.Socket;
  readonly key: string;
  private readonly pool: H1Pool;
  buf: Buffer | undefined;
  ex: Exchange | undefined;
  connected = false;
  dead = false;
  reused = false;

  constructor(pool: H1Pool, ep: Endpoint) {
    this.pool = pool;
    this.key = ep.key;
    this.sock = net.connect({ host: ep.address, port: ep.port, noDelay: true });
    this.sock.on('data', (d: Buffer) => this.onData(d));
    this.sock.on('error', (err: NodeJS.ErrnoException) => this.fail(err));
    this.sock.on('close', () => this.fail(undefined));
    this.sock.on('end', () => this.onEnd());
    this.sock.on('timeout', () => this.onTimeout());
  }

  /** Starts an exchange on this connection (fresh or idle). */
  start(ex: Exchange): void {
    this.ex = ex;
    this.buf = undefined;
    const r = ex.req;
    const go = () => {
      this.connected = true;
      this.sock.setTimeout(r.readTimeoutMs);
      this.writeRequest(ex);
    };
    if (this.connected) go();
    else {
      this.sock.setTimeout(r.connectTimeoutMs);
      this.sock.once('connect', go);
    }
  }

  private writeRequest(ex: Exchange): void {
    const r = ex.req;
    let head = `${r.method} ${r.path} HTTP/1.1\r\n`;
    let hasLength = false;
    const h = r.headers;
    for (let i = 0; i < h.length; i += 2) {
      const k = h[i] ?? '';
      const v = h[i + 1] ?? '';
      if (badValue.test(v) || !tokenRe.test(k)) {
        this.abort(new UpstreamError('protocol', r.endpoint, false, `refusing to send header ${JSON.stringify(k)}: invalid name or value`));
        return;
      }
      if (k.length === 14 && k.toLowerCase() === 'content-length') hasLength = true;
      head += `${k}: ${v}\r\n`;
    }
    const chunked = r.body !== undefined && !hasLength;
    if (chunked) head += 'Transfer-Encoding: chunked\r\n';
    head += '\r\n';
    ex.sent = true;
    const body = r.body;
    if (body === undefined) {
      ex.reqDone = true;
      this.sock.write(head, 'latin1');
      return;
    }
    this.sock.cork();
    this.sock.write(head, 'latin1');
    process.nextTick(() => this.sock.uncork());
    const onData = (d: Buffer) => {
      if (this.ex !== ex || this.dead) return;
      const ok = chunked ? this.sock.write(`${d.length.toString(16)}\r\n`) && this.sock.write(d) && this.sock.write('\r\n') : this.sock.write(d);
      if (!ok) {
        body.pause();
        this.sock.once('drain', () => body.resume());
      }
    };
    body.on('data', onData);
    body.once('end', () => {
      body.off('data', onData);
      ex.reqDone = true;
      if (chunked && this.ex === ex && !this.dead) this.sock.write('0\r\n\r\n');
    });
    body.once('error', () => { if (this.ex === ex) this.abort(new UpstreamError('reset', r.endpoint, true, 'the client request body failed')); });
  }

  private onTimeout(): void {
    const ex = this.ex;
    if (ex === undefined) {
      this.destroy(); // idle too long
      return;
    }
    const r = ex.req;
    if (!this.connected) this.abort(new UpstreamError('connect-timeout', r.endpoint, false, `upstream ${r.endpoint.key} did not accept the connection within ${r.connectTimeoutMs / 1000}s (proxy-connect-timeout)`));
    else this.abort(new UpstreamError('read-timeout', r.endpoint, true, `upstream ${r.endpoint.key} sent no response within ${r.readTimeoutMs / 1000}s (proxy-read-timeout)`));
  }

  private onEnd(): void {
    const ex = this.ex;
    if (ex !== undefined && ex.responded && ex.mode === 'close') {
      this.finishBody(ex);
      this.destroy();
      return;
    }
    this.fail(undefined);
  }

  /** Socket error or close. */
  private fail(err: NodeJS.ErrnoException | undefined): void {
    if (this.dead) return;
    const ex = this.ex;
    this.destroy();
    if (ex === undefined) return;
    const r = ex.req;
    const code = err?.code ?? 'EOF';
    if (!this.connected) this.abort(new UpstreamError('connect', r.endpoint, false, `connection to upstream ${r.endpoint.key} failed: ${code}`, err), ex);
    else this.abort(new UpstreamError('reset', r.endpoint, ex.sent, `upstream ${r.endpoint.key} closed the connection (${code})${this.reused ? ' on a reused keep-alive connection' : ''}`, err), ex);
  }

  /** Ends the exchange with an error: rejects if no response yet, else errors the body stream. */
  private abort(e: UpstreamError, ex: Exchange | undefined = this.ex): void {
    this.destroy();
    if (ex === undefined) return;
    if (ex.done === true) return;
    if (!ex.settled) {
      ex.settled = true;
      ex.reject(e);
    } else if (ex.body !== undefined) {
      if (!ex.body.readableEnded) ex.body.destroy(e);
    } else ex.error = e;
  }

  destroy(): void {
    if (this.dead) return;
    this.dead = true;
    this.sock.destroy();
    this.pool.forget(this);
  }

  private onData(d: Buffer): void {
    const ex = this.ex;
    if (ex === undefined) {
      // Bytes on an idle connection: the server broke framing or closed it; never reuse.
      this.destroy();
      return;
    }
    let data = d;
    if (!ex.responded) {
      const all = this.buf === undefined ? d : Buffer.concat([this.buf, d]);
      let rest: Buffer | undefined = all;
      while (rest !== undefined && !ex.responded) rest = this.parseHead(ex, rest);
      if (!ex.responded) return;
      if (rest === undefined || rest.length === 0) {
        this.afterHead(ex);
        return;
      }
      data = rest;
      ex.early = [];
      this.body(ex, data);
      this.afterHead(ex);
      return;
    }
    this.body(ex, data);
  }

  /** Parses one response head from `all`; returns the bytes after it, or undefined when more is needed (or on error). */
  private parseHead(ex: Exchange, all: Buffer): Buffer | undefined {
    const r = ex.req;
    const end = all.indexOf(CRLF2);
    if (end < 0) {
      if (all.length > maxHead) this.abort(new UpstreamError('protocol', r.endpoint, true, `upstream ${r.endpoint.key} sent a response head over 64 KiB`));
      else this.buf = all;
      return undefined;
    }
    this.buf = undefined;
    const text = all.toString('latin1', 0, end);
    const bad = (why: string) => {
      this.abort(new UpstreamError('protocol', r.endpoint, true, `upstream ${r.endpoint.key} sent an invalid response (${why})`));
      return undefined;
    };
    let eol = text.indexOf('\r\n');
    if (eol < 0) eol = text.length;
    // Status line: HTTP/1.x SP 3DIGIT [SP reason]
    if (eol < 12 || !text.startsWith('HTTP/1.') || text.charCodeAt(8) !== 32 || (eol > 12 && text.charCodeAt(12) !== 32)) return bad('status line');
    const minor = text.charCodeAt(7) - 48;
    const status = Number(text.slice(9, 12));
    if ((minor !== 0 && minor !== 1) || !(status >= 100 && status <= 999) || !Number.isInteger(status)) return bad('status line');
    const raw: string[] = [];
    let length: number | undefined;
    let te: string | undefined;
    let connection = '';
    let pos = eol + 2;
    while (pos < text.length) {
      let next = text.indexOf('\r\n', pos);
      if (next < 0) next = text.length;
      const c = text.indexOf(':', pos);
      if (c <= pos || c > next) return bad('header line');
      const name = text.slice(pos, c);
      if (!tokenRe.test(name)) return bad('header name');
      const value = text.slice(c + 1, next).trim();
      if (value.includes('\0')) return bad('header value');
      raw.push(name, value);
      const first = name.charCodeAt(0) | 0x20;
      if (first === 99 /* c */ || first === 116 /* t */) {
        const lk = name.toLowerCase();
        if (lk === 'content-length') {
          if (!/^\d+$/.test(value) || (length !== undefined && length !== Number(value))) return bad('Content-Length');
          length = Number(value);
        } else if (lk === 'transfer-encoding') te = te === undefined ? value.toLowerCase() : `${te}, ${value.toLowerCase()}`;
        else if (lk === 'connection') connection = value.toLowerCase();
      }
      pos = next + 2;
    }
    const rest = all.subarray(end + 4);
    if (status < 200) return rest; // 100 Continue, 103 Early Hints: skipped
    ex.keepAlive = minor === 1 ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
    if (ex.headOnly || status === 204 || status === 304) ex.mode = 'none';
    else if (te !== undefined) {
      if (!/(^|,\s*)chunked$/.test(te)) {
        ex.mode = 'close';
        ex.keepAlive = false;
      } else {
        ex.mode = 'chunked';
        if (length !== undefined) ex.keepAlive = false;
      }
    } else if (length !== undefined) {
      ex.mode = length === 0 ? 'none' : 'length';
      ex.remaining = length;
    } else {
      ex.mode = 'close';
      ex.keepAlive = false;
    }
    ex.responded = true;
    this.respond(ex, status, raw, length);
    return rest;
  }

  private respond(ex: Exchange, status: number, raw: string[], length: number | undefined): void {
    const self = this;
    let body: Readable | undefined;
    let headers: IncomingHttpHeaders | undefined;
    const res: UpstreamResponse = {
      status, rawHeaders: raw,
      get headers(): IncomingHttpHeaders {
        headers ??= headersObject(raw);
        return headers;
      },
      contentLength: length,
      get body(): Readable {
        if (body === undefined) {
          body = new Readable({ read() { if (!self.dead) self.sock.resume(); } });
          ex.body = body;
          if (ex.error !== undefined) {
            body.destroy(ex.error);
            return body;
          }
          for (const c of ex.early) body.push(c);
          ex.early = [];
          if (ex.done === true) body.push(null);
        }
        return body;
      },
      trailers: () => undefined,
      // Only while this connection still carries this exchange (once done it may serve another).
      abort: () => { if (this.ex === ex && ex.done !== true) this.abort(new UpstreamError('reset', ex.req.endpoint, true, 'client went away')); },
    };
    ex.res = res;
  }

  /** After the head (and any body bytes of the same read): hand the response over. */
  private afterHead(ex: Exchange): void {
    const res = ex.res;
    if (res === undefined || ex.settled) return; // failed while parsing the bytes that came with the head
    ex.settled = true;
    if (ex.mode === 'none' || ex.done === true) {
      res.complete = ex.early.length === 0 ? Buffer.alloc(0) : ex.early.length === 1 ? (ex.early[0] as Buffer) : Buffer.concat(ex.early);
      ex.early = [];
      this.finishBody(ex);
    }
    ex.resolve(res);
  }

  private deliver(ex: Exchange, chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (ex.body === undefined) ex.early.push(chunk);
    else if (!ex.body.push(chunk)) this.sock.pause();
  }

  /** The response body is complete: end the stream and free the connection. */
  private finishBody(ex: Exchange): void {
    if (ex.done === true) return;
    ex.done = true;
    ex.mode = 'none';
    ex.remaining = 0;
    if (ex.body !== undefined) ex.body.push(null);
    if (ex.res !== undefined) this.release(ex);
  }

  /** Feeds body bytes through the framing. */
  private body(ex: Exchange, data: Buffer): void {
    const r = ex.req;
    let d = data;
    while (d.length > 0) {
      switch (ex.mode) {
        case 'none':
          this.abort(new UpstreamError('protocol', r.endpoint, true, `upstream ${r.endpoint.key} sent bytes after its response`));
          return;
        case 'close':
          this.deliver(ex, d);
          return;
        case 'length': {
          const take = Math.min(ex.remaining, d.length);
          this.deliver(ex, take === d.length ? d : d.subarray(0, take));
          ex.remaining -= take;
          d = d.subarray(take);
          if (ex.remaining === 0) {
            if (d.length > 0) {
              this.abort(new UpstreamError('protocol', r.endpoint, true, `upstream ${r.endpoint.key} sent bytes after its response`));
              return;
            }
            this.finishBody(ex);
          }
          break;
        }
        case 'chunked': {
          if (ex.chunkState === 1) {
            const take = Math.min(ex.remaining, d.length);
            this.deliver(ex, take === d.length ? d : d.subarray(0, take));
            ex.remaining -= take;
            d = d.subarray(take);
            if (ex.remaining === 0) ex.chunkState = 2;
            break;
          }
          // Line-oriented states: size line (0), CRLF after data (2), trailers (3).
          const nl = d.indexOf(10);
          const piece = d.toString('latin1', 0, nl < 0 ? d.length : nl + 1);
          ex.sizeLine += piece;
          d = d.subarray(piece.length);
          if (ex.sizeLine.length > 4096) {
            this.abort(new UpstreamError('protocol', r.endpoint, true, `upstream ${r.endpoint.key} sent an invalid chunk`));
            return;
          }
          if (nl < 0) break;
          const line = ex.sizeLine;
          ex.sizeLine = '';
          if (!line.endsWith('\r\n')) {
            this.abort(new UpstreamError('protocol', r.endpoint, true, `upstream ${r.endpoint.key} sent an invalid chunk`));
            return;
          }
          if (ex.chunkState === 2) {
            if (line !== '\r\n') {
              this.abort(new UpstreamError('protocol', r.endpoint, true, `upstream ${r.endpoint.key} sent an invalid chunk`));
              return;
            }
            ex.chunkState = 0;
          } else if (ex.chunkState === 0) {
            const sm = /^([0-9a-fA-F]{1,12})(;[^\r\n]*)?\r\n$/.exec(line);
            if (sm === null) {
              this.abort(new UpstreamError('protocol', r.endpoint, true, `upstream ${r.endpoint.key} sent an invalid chunk size`));
              return;
            }
            const size = parseInt(sm[1] ?? '0', 16);
            if (size === 0) ex.chunkState = 3;
            else {
              ex.remaining = size;
              ex.chunkState = 1;
            }
          } else if (line === '\r\n') {
            // end of trailers: response complete
            if (d.length > 0) {
              this.abort(new UpstreamError('protocol', r.endpoint, true, `upstream ${r.endpoint.key} sent bytes after its response`));
              return;
            }
            this.finishBody(ex);
          }
          break;
        }
      }
    }
  }

  /** The exchange is over: back to the pool, or closed. */
  private release(ex: Exchange): void {
    if (this.ex !== ex) return;
    this.ex = undefined;
    // A response that came before the whole request body was sent leaves the connection mid-request.
    if (!ex.keepAlive || this.dead || ex.reqDone !== true) {
      this.destroy();
      return;
    }
    this.reused = true;
    this.pool.idle(this);
  }
}

/** node:http's IncomingMessage.headers shape from a raw list (set-cookie as an array, others joined). */
export function headersObject(raw: readonly string[]): IncomingHttpHeaders {
  const h: IncomingHttpHeaders = {};
  for (let i = 0; i < raw.length; i += 2) {
    const lk = (raw[i] ?? '').toLowerCase();
    const v = raw[i + 1] ?? '';
    if (lk === 'set-cookie') {
      const prev = h['set-cookie'];
      if (prev === undefined) h['set-cookie'] = [v];
      else prev.push(v);
    } else {
      const prev = h[lk];
      h[lk] = prev === undefined ? v : `${String(prev)}, ${v}`;
    }
  }
  return h;
}

/** Keep-alive connections per endpoint. */
export class H1Pool {
  private readonly free = new Map<string, Conn[]>();
  private readonly all = new Set<Conn>();
  private readonly idleTimeoutMs: number;
  private readonly maxIdle: number;
  constructor(opts: { idleTimeoutMs?: number; maxIdlePerEndpoint?: number } = {}) {
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 4_000;
    this.maxIdle = opts.maxIdlePerEndpoint ?? 256;
  }

  send(r: UpstreamRequest): Promise<UpstreamResponse> {
    return new Promise((resolve, reject) => {
      const ex: Exchange = {
        req: r, resolve, reject, settled: false, sent: false, headOnly: r.method === 'HEAD', body: undefined, mode: 'none',
        remaining: 0, chunkState: 0, sizeLine: '', keepAlive: true, early: [], responded: false,
      };
      const stack = this.free.get(r.endpoint.key);
      let c: Conn | undefined;
      while (stack !== undefined && stack.length > 0) {
        const cand = stack.pop();
        if (cand !== undefined && !cand.dead && !cand.sock.destroyed) {
          c = cand;
          break;
        }
      }
      if (c === undefined) {
        c = new Conn(this, r.endpoint);
        this.all.add(c);
      }
      c.start(ex);
    });
  }

  /** A connection finished an exchange and may be reused. */
  idle(c: Conn): void {
    let stack = this.free.get(c.key);
    if (stack === undefined) {
      stack = [];
      this.free.set(c.key, stack);
    }
    if (stack.length >= this.maxIdle) {
      c.destroy();
      return;
    }
    c.sock.setTimeout(this.idleTimeoutMs);
    c.sock.resume();
    stack.push(c);
  }

  forget(c: Conn): void {
    this.all.delete(c);
    const stack = this.free.get(c.key);
    if (stack === undefined) return;
    const i = stack.indexOf(c);
    if (i >= 0) stack.splice(i, 1);
    if (stack.length === 0) this.free.delete(c.key);
  }

  close(): void {
    for (const c of [...this.all]) c.destroy();
    this.free.clear();
  }
}
