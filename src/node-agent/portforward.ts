// `kubectl port-forward`, as the kubelet serves it: a SPDY session (portforward.k8s.io) in which the
// client opens two streams per local connection, an error stream and a data stream that carry the same
// `requestID` and `port` headers. Once both are there, the data stream is joined to a TCP connection to
// that port of the Pod; a failure is written to the error stream. kubectl 1.32 tunnels the SPDY bytes
// through a WebSocket (subprotocol `SPDY/3.1+portforward.k8s.io`); older clients upgrade to SPDY
// directly. Both are served.
import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Pod } from '../api/types.ts';
import { badRequest } from '../machinery/status.ts';
import { acceptWebSocket, isWebSocketRequest, offeredProtocols } from './websocket.ts';
import { RstStatus } from './spdy/frames.ts';
import { SpdySession, type SpdyStream, type SpdyTransport } from './spdy/session.ts';
import type { Sandbox } from './runtime/types.ts';

export const portForwardProtocol = 'portforward.k8s.io';
export const tunnelProtocol = `SPDY/3.1+${portForwardProtocol}`;

/** How long the second stream of a pair may take (the kubelet's stream creation timeout). */
export const pairTimeoutMs = 30_000;

/** What one stream's headers say. */
export type StreamRole =
  | { ok: true; type: 'error' | 'data'; port: number; requestID: string }
  | { ok: false; message: string };

/**
 * Classifies a stream by its headers, with the kubelet's messages. Clients before requestID existed
 * paired streams by id: the error stream is opened first, so the data stream's id is 2 more. Pure.
 */
export function streamRole(headers: ReadonlyMap<string, readonly string[]>, streamId: number): StreamRole {
  const get = (k: string): string => headers.get(k)?.[0] ?? '';
  const type = get('streamtype');
  if (type !== 'error' && type !== 'data') return { ok: false, message: `invalid stream type "${type}"` };
  const portString = get('port');
  if (portString === '') return { ok: false, message: '"port" header is required' };
  if (!/^\d+$/.test(portString) || Number(portString) > 65535) return { ok: false, message: `unable to parse "${portString}" as a port: strconv.ParseUint: parsing "${portString}": invalid syntax` };
  const port = Number(portString);
  if (port < 1) return { ok: false, message: `port "${portString}" must be > 0` };
  let requestID = get('requestid');
  if (requestID === '') requestID = String(type === 'error' ? streamId : streamId - 2);
  return { ok: true, type, port, requestID };
}

/** Connects to a port of the Pod: the Pod's IP first, then localhost inside its network namespace. */
export type PodDialer = (port: number) => Promise<Duplex>;

const helperPath = fileURLToPath(new URL('./portforward-dial.ts', import.meta.url));

function connectTCP(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.off('error', reject);
      s.setNoDelay(true);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/**
 * localhost inside the namespace, through a small process started there (a socket of this process
 * lives in the host's namespace). It prints `connected` or an error on stderr, then pipes stdio.
 */
function dialInNetns(netns: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', [`--net=/run/netns/${netns}`, '--', process.execPath, helperPath, String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    let settled = false;
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (!settled && err.includes('connected\n')) {
        settled = true;
        resolve(Duplex.from({ readable: child.stdout, writable: child.stdin }));
      }
    });
    child.once('error', (e) => { if (!settled) { settled = true; reject(e); } });
    child.once('exit', () => { if (!settled) { settled = true; reject(new Error(err.trim() || 'the dialer in the pod network namespace exited')); } });
  });
}

/** The dialer for a sandbox. */
export function sandboxDialer(sb: Sandbox): PodDialer {
  return async (port) => {
    try {
      return await connectTCP(sb.ip, port);
    } catch (e) {
      // A server bound to 127.0.0.1 only is still reachable the way the kubelet reaches it.
      if (sb.netns === '' || (e as NodeJS.ErrnoException).code !== 'ECONNREFUSED') throw e;
      return dialInNetns(sb.netns, port);
    }
  };
}

interface Pair {
  error?: SpdyStream;
  data?: SpdyStream;
  port: number;
  timer: NodeJS.Timeout;
}

/** Serves the streams of one session for one Pod until the session closes. */
export function servePortForwardSession(session: SpdySession, pod: { name: string; uid: string }, dial: PodDialer): void {
  const pairs = new Map<string, Pair>();
  const fail = (p: Pair, message: string): void => {
    if (p.error !== undefined && p.error.writable) p.error.end(message);
    p.data?.reset(RstStatus.cancel);
  };
  session.on('stream', (s) => {
    const role = streamRole(s.headers, s.id);
    if (!role.ok) {
      if (s.writable) s.end(role.message);
      s.reset(RstStatus.protocolError);
      return;
    }
    let p = pairs.get(role.requestID);
    if (p === undefined) {
      const timer = setTimeout(() => {
        pairs.delete(role.requestID);
        if (p !== undefined) fail(p, `timed out waiting for the data and error streams of request ${role.requestID}`);
      }, pairTimeoutMs);
      timer.unref();
      p = { port: role.port, timer };
      pairs.set(role.requestID, p);
    }
    if (p[role.type] !== undefined) {
      s.reset(RstStatus.protocolError);
      return;
    }
    p[role.type] = s;
    // The client never writes to the error stream; its FIN arrives at once.
    if (role.type === 'error') s.resume();
    if (p.error === undefined || p.data === undefined) return;
    clearTimeout(p.timer);
    pairs.delete(role.requestID);
    void forward(p, pod, dial);
  });
  session.on('close', () => {
    for (const p of pairs.values()) clearTimeout(p.timer);
    pairs.clear();
  });
}

async function forward(p: Pair, pod: { name: string; uid: string }, dial: PodDialer): Promise<void> {
  const data = p.data;
  const errStream = p.error;
  if (data === undefined || errStream === undefined) return;
  let conn: Duplex;
  try {
    conn = await dial(p.port);
  } catch (e) {
    const msg = `error forwarding port ${p.port} to pod ${pod.name}, uid ${pod.uid}: ${dialMessage(e as NodeJS.ErrnoException, p.port)}`;
    if (errStream.writable) errStream.end(msg);
    data.reset(RstStatus.cancel);
    return;
  }
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    conn.destroy();
    if (errStream.writable) errStream.end();
    if (!data.destroyed) data.destroy();
  };
  // Half-close both ways: the client's FIN ends our write side to the Pod and vice versa.
  data.pipe(conn);
  conn.pipe(data);
  conn.on('error', finish);
  conn.on('close', () => {
    if (data.writableEnded) errStream.end();
    else data.end(() => errStream.end());
  });
  data.on('reset', finish);
  data.on('close', finish);
  data.on('error', finish);
}

function dialMessage(e: NodeJS.ErrnoException, port: number): string {
  if (e.code === 'ECONNREFUSED' || /connection refused/.test(e.message)) return `failed to connect to localhost:${port} inside the pod's network namespace: dial tcp4 127.0.0.1:${port}: connect: connection refused`;
  return e.message;
}

/** Turns a byte Duplex (an upgraded socket) into a SPDY transport. */
function socketTransport(socket: Duplex): SpdyTransport {
  return {
    write: (b) => socket.writable ? socket.write(b) : true,
    onDrain: (cb) => { socket.once('drain', cb); },
    close: () => { socket.end(); setTimeout(() => socket.destroy(), 1000).unref(); },
  };
}

/**
 * Answers a port-forward request on `socket` (an upgrade's socket, or the request's socket taken
 * over) and serves it until the client goes away.
 */
export async function servePortForward(req: IncomingMessage, socket: Duplex, head: Buffer | undefined, pod: Pod, sandbox: Sandbox | undefined): Promise<void> {
  if (sandbox === undefined) throw badRequest(`pod ${pod.metadata.name ?? ''} has no network yet; try again when it is Running`);
  const ref = { name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' };
  const dial = sandboxDialer(sandbox);
  let session: SpdySession;
  if (isWebSocketRequest(req)) {
    const offered = offeredProtocols(req);
    if (!offered.includes(tunnelProtocol)) throw badRequest(`unable to upgrade: none of the offered subprotocols [${offered.join(' ')}] is supported (${tunnelProtocol})`);
    const ws = acceptWebSocket(req, socket, tunnelProtocol, head);
    session = new SpdySession({
      write: (b) => {
        ws.sendBinary(b);
        return !ws.socket.writableNeedDrain;
      },
      onDrain: (cb) => { ws.socket.once('drain', cb); },
      close: () => ws.close(1000),
    }, 'server');
    ws.on('message', (d: Buffer, binary: boolean) => {
      if (binary) session.receive(d);
    });
    ws.on('close', () => session.transportClosed());
  } else {
    const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
    const versions = String(req.headers['x-stream-protocol-version'] ?? '').split(',').map((s) => s.trim());
    if (upgrade !== 'spdy/3.1') throw badRequest('port-forward needs a WebSocket (SPDY/3.1+portforward.k8s.io) or SPDY/3.1 upgrade');
    if (!versions.includes(portForwardProtocol)) throw badRequest(`unable to upgrade: unable to negotiate protocol: client supports [${versions.join(' ')}], server supports [${portForwardProtocol}]`);
    socket.write(['HTTP/1.1 101 Switching Protocols', 'Connection: Upgrade', 'Upgrade: SPDY/3.1', `X-Stream-Protocol-Version: ${portForwardProtocol}`, '', ''].join('\r\n'));
    session = new SpdySession(socketTransport(socket), 'server');
    socket.on('data', (d: Buffer) => session.receive(d));
    socket.on('close', () => session.transportClosed());
    socket.on('end', () => session.transportClosed());
    if (head !== undefined && head.length > 0) queueMicrotask(() => session.receive(head));
  }
  session.on('error', () => { /* the session closes itself; the client sees the connection end */ });
  servePortForwardSession(session, ref, dial);
  await new Promise<void>((resolve) => {
    if (session.isClosed) resolve();
    else session.once('close', () => resolve());
  });
}
