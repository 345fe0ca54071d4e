// The server side of RFC 6455 on a socket taken over from node:http: the handshake (101 with
// Sec-WebSocket-Accept and the chosen subprotocol), frame decoding (masking, 16/64-bit lengths,
// fragmentation), ping → pong, close, and binary/text sends. Only what Kubernetes' channel protocols
// need: no extensions (no permessage-deflate).
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

const guid = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Sec-WebSocket-Accept for a Sec-WebSocket-Key. */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + guid).digest('base64');
}

/** True when the request asks to upgrade to WebSocket. */
export function isWebSocketRequest(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

/** The subprotocols the client offers, in its order. */
export function offeredProtocols(req: IncomingMessage): string[] {
  const h = req.headers['sec-websocket-protocol'];
  const all = Array.isArray(h) ? h.join(',') : h ?? '';
  return all.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

export const Opcode = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

export interface Frame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** Decodes as many whole frames as `buf` holds; returns them and the bytes left over. Pure. */
export function decodeFrames(buf: Buffer, maxPayload = 64 * 1024 * 1024): { frames: Frame[]; rest: Buffer; error?: string } {
  const frames: Frame[] = [];
  let off = 0;
  for (;;) {
    if (buf.length - off < 2) break;
    const b0 = buf[off] ?? 0;
    const b1 = buf[off + 1] ?? 0;
    const masked = (b1 & 0x80) !== 0;
    let len = b1 & 0x7f;
    let p = off + 2;
    if (len === 126) {
      if (buf.length - p < 2) break;
      len = buf.readUInt16BE(p);
      p += 2;
    } else if (len === 127) {
      if (buf.length - p < 8) break;
      const big = buf.readBigUInt64BE(p);
      if (big > BigInt(maxPayload)) return { frames, rest: Buffer.alloc(0), error: 'frame too large' };
      len = Number(big);
      p += 8;
    }
    if (len > maxPayload) return { frames, rest: Buffer.alloc(0), error: 'frame too large' };
    const maskLen = masked ? 4 : 0;
    if (buf.length - p < maskLen + len) break;
    const mask = masked ? buf.subarray(p, p + 4) : undefined;
    p += maskLen;
    const payload = Buffer.from(buf.subarray(p, p + len));
    if (mask !== undefined) for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] ?? 0) ^ (mask[i & 3] ?? 0);
    frames.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload });
    off = p + len;
  }
  return { frames, rest: buf.subarray(off) };
}

/** Encodes one unmasked frame (server to client). Pure. */
export function encodeFrame(opcode: number, payload: Buffer, fin = true, mask?: Buffer): Buffer {
  const len = payload.length;
  const head: number[] = [(fin ? 0x80 : 0) | opcode];
  const m = mask !== undefined ? 0x80 : 0;
  if (len < 126) head.push(m | len);
  else if (len < 65536) head.push(m | 126, (len >> 8) & 0xff, len & 0xff);
  else {
    head.push(m | 127);
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(len));
    head.push(...b);
  }
  if (mask === undefined) return Buffer.concat([Buffer.from(head), payload]);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] = (body[i] ?? 0) ^ (mask[i & 3] ?? 0);
  return Buffer.concat([Buffer.from(head), mask, body]);
}

/**
 * One WebSocket connection. Emits 'message' (data: Buffer, binary: boolean) and 'close' (code).
 */
export class WebSocketConn extends EventEmitter {
  readonly socket: Duplex;
  readonly protocol: string;
  private buf: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private fragOpcode = 0;
  private closed = false;

  constructor(socket: Duplex, protocol: string, head?: Buffer) {
    super();
    this.socket = socket;
    this.protocol = protocol;
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('close', () => this.finish(1006));
    socket.on('end', () => this.finish(1006));
    socket.on('error', () => this.finish(1006));
    if (head !== undefined && head.length > 0) queueMicrotask(() => this.onData(head));
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    const { frames, rest, error } = decodeFrames(this.buf);
    this.buf = rest;
    if (error !== undefined) {
      this.close(1009, error);
      return;
    }
    for (const f of frames) this.onFrame(f);
  }

  private onFrame(f: Frame): void {
    switch (f.opcode) {
      case Opcode.ping:
        this.write(encodeFrame(Opcode.pong, f.payload));
        return;
      case Opcode.pong:
        return;
      case Opcode.close: {
        const code = f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005;
        if (!this.closed) this.write(encodeFrame(Opcode.close, f.payload.subarray(0, 2)));
        this.socket.end();
        this.finish(code);
        return;
      }
      case Opcode.continuation:
        this.fragments.push(f.payload);
        if (f.fin) {
          const data = Buffer.concat(this.fragments);
          this.fragments = [];
          this.emit('message', data, this.fragOpcode === Opcode.binary);
        }
        return;
      default:
        if (!f.fin) {
          this.fragOpcode = f.opcode;
          this.fragments = [f.payload];
          return;
        }
        this.emit('message', f.payload, f.opcode === Opcode.binary);
    }
  }

  private write(b: Buffer): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(b);
  }

  private finish(code: number): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close', code);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  sendBinary(data: Buffer): void {
    if (!this.closed) this.write(encodeFrame(Opcode.binary, data));
  }

  sendText(data: string): void {
    if (!this.closed) this.write(encodeFrame(Opcode.text, Buffer.from(data)));
  }

  /** Sends a close frame and ends the socket. */
  close(code = 1000, reason = ''): void {
    if (this.closed) return;
    const r = Buffer.from(reason);
    const p = Buffer.alloc(2 + r.length);
    p.writeUInt16BE(code, 0);
    r.copy(p, 2);
    this.write(encodeFrame(Opcode.close, p));
    this.closed = true;
    this.socket.end();
    const t = setTimeout(() => this.socket.destroy(), 2000);
    t.unref();
    this.emit('close', code);
  }
}

/**
 * Answers the upgrade with 101 and returns the connection. `socket` is either the socket of an
 * 'upgrade' event or, when the request reached an ordinary request handler, `req.socket` taken over
 * from the HTTP server (see `takeOverSocket`).
 */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex, protocol: string, head?: Buffer): WebSocketConn {
  const key = String(req.headers['sec-websocket-key'] ?? '');
  const lines = [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${acceptKey(key)}`,
  ];
  if (protocol !== '') lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
  socket.write(lines.join('\r\n') + '\r\n\r\n');
  return new WebSocketConn(socket, protocol, head);
}

/**
 * Detaches a request's socket from node:http so it can carry WebSocket frames: when an upgrade request
 * reaches a 'request' handler (the server has no 'upgrade' listener), the HTTP parser still listens
 * on the socket; its listeners are removed and its timeouts turned off, as node does itself before
 * emitting 'upgrade' (listeners for data, end, drain and timeout).
 */
export function takeOverSocket(req: IncomingMessage): Duplex {
  const socket = req.socket;
  // 'close' and 'error' stay: TLS and the server's connection bookkeeping clean up on them.
  for (const ev of ['data', 'end', 'drain', 'timeout'] as const) socket.removeAllListeners(ev);
  socket.on('error', () => {});
  socket.setTimeout(0);
  socket.setNoDelay(true);
  socket.resume();
  return socket;
}
