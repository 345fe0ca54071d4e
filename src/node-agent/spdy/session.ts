// A SPDY/3.1 session over any byte transport (an upgraded socket, or WebSocket binary messages as
// kubectl's SPDY-over-WebSocket tunnel sends them): streams as Node Duplexes, PINGs answered, SYN_REPLY
// sent for each accepted stream, header blocks inflated with the shared zlib context and the SPDY
// dictionary. Like moby/spdystream (the peer kubectl uses), there is no SPDY flow control; back-pressure
// comes from the transport.
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { constants as zc, createInflate, type Inflate } from 'node:zlib';
import { headerDictionary } from './dictionary.ts';
import {
  FrameReader, RstStatus, SpdyProtocolError, StoredHeaderCompressor, decodeHeaderBlock, encodeFrame, encodeHeaderBlock,
  maxDataChunk, type SpdyFrame,
} from './frames.ts';

/** Where the session's bytes go. */
export interface SpdyTransport {
  /** Sends bytes; false asks the caller to wait for `onDrain`. */
  write(b: Buffer): boolean;
  onDrain(cb: () => void): void;
  close(): void;
}

/** Inflates header blocks in order through one zlib context (SPDY compresses a connection's headers as one stream). */
export class HeaderInflater {
  private readonly z: Inflate;
  private failed: Error | undefined;

  constructor() {
    this.z = createInflate({ dictionary: headerDictionary });
    this.z.on('error', (e: Error) => { this.failed = e; });
    this.z.pause();
  }

  inflate(block: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const failed = (e: Error): void => reject(new SpdyProtocolError(`header decompression: ${e.message}`));
      if (this.failed !== undefined) {
        failed(this.failed);
        return;
      }
      // A corrupt stream reports through 'error' and never calls the flush callback.
      this.z.once('error', failed);
      this.z.write(block);
      this.z.flush(zc.Z_SYNC_FLUSH, () => {
        this.z.off('error', failed);
        if (this.failed !== undefined) {
          failed(this.failed);
          return;
        }
        const parts: Buffer[] = [];
        for (let c = this.z.read() as Buffer | null; c !== null; c = this.z.read() as Buffer | null) parts.push(c);
        resolve(Buffer.concat(parts));
      });
    });
  }

  close(): void {
    this.z.destroy();
  }
}

/** One SPDY stream: readable is what the peer sends, writable goes to the peer (end() sends FIN). */
export class SpdyStream extends Duplex {
  readonly id: number;
  readonly headers: Map<string, string[]>;
  private readonly session: SpdySession;
  remoteClosed = false;
  localClosed = false;
  private wasReset = false;

  constructor(session: SpdySession, id: number, headers: Map<string, string[]>) {
    super({ allowHalfOpen: true });
    this.session = session;
    this.id = id;
    this.headers = headers;
  }

  header(name: string): string {
    return this.headers.get(name.toLowerCase())?.[0] ?? '';
  }

  override _read(): void { /* data is pushed as frames arrive */ }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.wasReset) {
      cb();
      return;
    }
    let ok = true;
    for (let off = 0; off < chunk.length; off += maxDataChunk) {
      ok = this.session.send({ kind: 'data', streamId: this.id, fin: false, data: chunk.subarray(off, off + maxDataChunk) });
    }
    if (ok) cb();
    else this.session.onDrain(() => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.wasReset && !this.localClosed) {
      this.localClosed = true;
      this.session.send({ kind: 'data', streamId: this.id, fin: true, data: Buffer.alloc(0) });
    }
    this.session.maybeForget(this);
    cb();
  }

  /** Abandons the stream: RST_STREAM to the peer, and this side is destroyed. */
  reset(status: number = RstStatus.cancel): void {
    if (this.wasReset) return;
    this.wasReset = true;
    this.session.send({ kind: 'rstStream', streamId: this.id, status });
    this.session.forget(this);
    this.destroy();
  }

  /** Called by the session. */
  remoteData(data: Buffer, fin: boolean): void {
    if (this.remoteClosed) return;
    if (data.length > 0) this.push(data);
    if (fin) {
      this.remoteClosed = true;
      this.push(null);
      this.session.maybeForget(this);
    }
  }

  /** Called by the session: the peer reset the stream, or the connection went away. */
  remoteReset(): void {
    if (this.wasReset) return;
    this.wasReset = true;
    this.remoteClosed = true;
    this.emit('reset');
    this.destroy();
  }
}

export interface SpdySessionEvents {
  stream: [SpdyStream];
  close: [];
  error: [Error];
}

/**
 * The session. `receive` is fed the transport's bytes, `transportClosed` its end. Server role: each
 * SYN_STREAM becomes a 'stream' event and is answered with an empty SYN_REPLY. Client role (tests):
 * `open` sends SYN_STREAM and resolves on the reply.
 */
export class SpdySession extends EventEmitter<SpdySessionEvents> {
  private readonly transport: SpdyTransport;
  private readonly reader = new FrameReader();
  private readonly inflater = new HeaderInflater();
  private readonly compressor = new StoredHeaderCompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly pendingOpen = new Map<number, { resolve: (s: SpdyStream) => void; reject: (e: Error) => void; stream: SpdyStream }>();
  private readonly queue: SpdyFrame[] = [];
  private busy = false;
  private closed = false;
  private nextId: number;
  private nextPing: number;
  private readonly pings = new Map<number, () => void>();

  constructor(transport: SpdyTransport, role: 'server' | 'client') {
    super();
    this.transport = transport;
    // Clients open odd streams and send odd pings; servers even.
    this.nextId = role === 'client' ? 1 : 2;
    this.nextPing = role === 'client' ? 1 : 2;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get openStreams(): number {
    return this.streams.size;
  }

  /** Bytes from the transport. */
  receive(chunk: Buffer): void {
    if (this.closed) return;
    try {
      this.queue.push(...this.reader.push(chunk));
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    this.pump();
  }

  /** The transport ended: every stream is gone. */
  transportClosed(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.streams.values()]) s.remoteReset();
    this.streams.clear();
    for (const p of this.pendingOpen.values()) p.reject(new Error('connection closed'));
    this.pendingOpen.clear();
    this.inflater.close();
    this.emit('close');
  }

  /** Ends the session and its transport. */
  close(): void {
    if (this.closed) return;
    this.send({ kind: 'goAway', lastGoodStreamId: 0, status: 0 });
    this.transport.close();
    this.transportClosed();
  }

  send(f: SpdyFrame): boolean {
    if (this.closed) return true;
    return this.transport.write(encodeFrame(f));
  }

  onDrain(cb: () => void): void {
    if (this.closed) cb();
    else this.transport.onDrain(cb);
  }

  /** Client role: opens a stream with these headers; resolves once the peer replied. */
  open(headers: ReadonlyArray<readonly [string, string]>): Promise<SpdyStream> {
    const id = this.nextId;
    this.nextId += 2;
    const map = new Map(headers.map(([k, v]) => [k.toLowerCase(), [v]] as [string, string[]]));
    const stream = new SpdyStream(this, id, map);
    this.streams.set(id, stream);
    return new Promise((resolve, reject) => {
      this.pendingOpen.set(id, { resolve, reject, stream });
      this.send({ kind: 'synStream', streamId: id, associatedId: 0, priority: 0, fin: false, unidirectional: false, headerBlock: this.compressor.compress(encodeHeaderBlock(headers)) });
    });
  }

  /** Sends a PING; resolves when the peer echoes it. */
  ping(): Promise<void> {
    const id = this.nextPing;
    this.nextPing += 2;
    return new Promise((resolve) => {
      this.pings.set(id, resolve);
      this.send({ kind: 'ping', id });
    });
  }

  forget(s: SpdyStream): void {
    this.streams.delete(s.id);
  }

  maybeForget(s: SpdyStream): void {
    if (s.localClosed && s.remoteClosed) this.streams.delete(s.id);
  }

  private fail(e: Error): void {
    this.emit('error', e);
    this.close();
  }

  /** Frames are handled in order; a header block being inflated holds the frames behind it. */
  private pump(): void {
    while (!this.busy && !this.closed && this.queue.length > 0) {
      const f = this.queue.shift();
      if (f === undefined) break;
      if (f.kind === 'synStream' || f.kind === 'synReply' || f.kind === 'headers') {
        this.busy = true;
        this.inflater.inflate(f.headerBlock).then((raw) => {
          this.busy = false;
          let headers: Map<string, string[]>;
          try {
            headers = decodeHeaderBlock(raw);
          } catch (e) {
            this.fail(e as Error);
            return;
          }
          this.handleHeaders(f, headers);
          this.pump();
        }, (e: Error) => {
          this.busy = false;
          this.fail(e);
        });
        return;
      }
      this.handle(f);
    }
  }

  private handleHeaders(f: Extract<SpdyFrame, { headerBlock: Buffer }>, headers: Map<string, string[]>): void {
    if (f.kind === 'synStream') {
      if (this.streams.has(f.streamId) || f.streamId === 0) {
        this.send({ kind: 'rstStream', streamId: f.streamId, status: RstStatus.protocolError });
        return;
      }
      const s = new SpdyStream(this, f.streamId, headers);
      this.streams.set(f.streamId, s);
      this.send({ kind: 'synReply', streamId: f.streamId, fin: false, headerBlock: this.compressor.compress(encodeHeaderBlock([])) });
      this.emit('stream', s);
      if (f.fin) s.remoteData(Buffer.alloc(0), true);
      return;
    }
    if (f.kind === 'synReply') {
      const p = this.pendingOpen.get(f.streamId);
      if (p === undefined) return;
      this.pendingOpen.delete(f.streamId);
      p.resolve(p.stream);
      if (f.fin) p.stream.remoteData(Buffer.alloc(0), true);
      return;
    }
    if (f.fin) this.streams.get(f.streamId)?.remoteData(Buffer.alloc(0), true);
  }

  private handle(f: SpdyFrame): void {
    switch (f.kind) {
      case 'data': {
        const s = this.streams.get(f.streamId);
        if (s === undefined) return;
        s.remoteData(f.data, f.fin);
        return;
      }
      case 'rstStream': {
        const s = this.streams.get(f.streamId);
        this.streams.delete(f.streamId);
        const p = this.pendingOpen.get(f.streamId);
        if (p !== undefined) {
          this.pendingOpen.delete(f.streamId);
          p.reject(new Error(`stream ${f.streamId} refused (status ${f.status})`));
        }
        s?.remoteReset();
        return;
      }
      case 'ping': {
        const mine = this.pings.get(f.id);
        if (mine !== undefined) {
          this.pings.delete(f.id);
          mine();
        } else {
          this.send({ kind: 'ping', id: f.id });
        }
        return;
      }
      case 'goAway':
        this.transport.close();
        this.transportClosed();
        return;
      default:
        // SETTINGS, WINDOW_UPDATE (no flow control, as spdystream) and unknown types are ignored.
        return;
    }
  }
}
