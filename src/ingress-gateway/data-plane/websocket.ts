// HTTP/1.1 Upgrade (WebSocket) proxying: the request goes through the same pipeline as any other
// (routing, redirects, limits, source ranges, auth, canary, affinity); then a fresh connection to
// the endpoint carries the upgrade, the 101 and its headers go back, and the two sockets are
// spliced. proxy-read-timeout is the idle timeout of the tunnel, as in nginx (users raise it for
// long-lived sockets). A non-101 answer is passed back as a normal response.
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import type { IngressHandler, ListenerInfo, Decision } from './handler.ts';
import { rawResponse, statusText } from './responses.ts';

const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

function writeHead(socket: Duplex, status: number, message: string, raw: readonly string[], extraCookies: readonly string[], keepUpgrade: boolean): void {
  let head = `HTTP/1.1 ${status} ${message}\r\n`;
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i] ?? '';
    if (!keepUpgrade && hopByHop.has(k.toLowerCase())) continue;
    head += `${k}: ${raw[i + 1] ?? ''}\r\n`;
  }
  for (const c of extraCookies) head += `Set-Cookie: ${c}\r\n`;
  if (!keepUpgrade) head += 'Connection: close\r\n';
  socket.write(`${head}\r\n`);
}

/** Handles one `upgrade` event of a listener. Never throws. */
export function handleUpgrade(h: IngressHandler, req: IncomingMessage, socket: Duplex, head: Buffer, l: ListenerInfo): void {
  const x = h.exchange(req, l);
  x.hasBody = false;
  socket.on('error', () => socket.destroy());
  Promise.resolve().then(() => h.decide(x)).then((d) => {
    if (d.kind === 'respond') {
      const extra: Record<string, string> = {};
      for (const [k, v] of Object.entries(d.headers ?? {})) if (v !== undefined) extra[k] = Array.isArray(v) ? v.join(', ') : String(v);
      socket.end(rawResponse(d.status, d.detail, extra));
      h.metrics.webSockets.inc({ result: String(d.status) });
      h.finish(x, 0, d.status, d.acct);
      return;
    }
    tunnel(h, x, d, req, socket, head, new Set());
  }).catch((err: unknown) => {
    socket.end(rawResponse(500, 'internal error in the ingress controller'));
    h.log('error', `upgrade ${x.url}: ${err instanceof Error ? err.message : String(err)}`);
  });
}

function tunnel(h: IngressHandler, x: ReturnType<IngressHandler['exchange']>, d: Extract<Decision, { kind: 'proxy' }>, req: IncomingMessage, socket: Duplex, head: Buffer, tried: Set<string>): void {
  const cfg = d.location.config;
  const ep = tried.size === 0 && d.preferred !== undefined ? d.preferred : h.balancer.pick(d.backend, tried);
  if (ep === undefined || tried.has(ep.key)) {
    socket.end(rawResponse(502, `connection refused by the upstream (${d.backend.namespace}/${d.backend.service}:${d.backend.port}, ${tried.size} tried)`));
    h.metrics.webSockets.inc({ result: '502' });
    h.finish(x, 0, 502, d.acct);
    return;
  }
  tried.add(ep.key);
  d.acct.upstreamAddrs.push(ep.key);
  const headers = [...d.headers, 'Connection', 'Upgrade', 'Upgrade', String(req.headers.upgrade ?? 'websocket')];
  const tls = cfg.backendProtocol === 'HTTPS' || cfg.backendProtocol === 'GRPCS';
  const up = (tls ? https : http).request({
    host: ep.address, port: ep.port, method: x.method, path: d.target, headers, setHost: false, agent: false,
    ...(tls ? { rejectUnauthorized: false } : {}),
  });
  let connected = false;
  const connectTimer = setTimeout(() => up.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), cfg.connectTimeoutMs);
  up.on('socket', (s) => s.once(tls ? 'secureConnect' : 'connect', () => {
    connected = true;
    clearTimeout(connectTimer);
  }));
  up.on('error', (err: NodeJS.ErrnoException) => {
    clearTimeout(connectTimer);
    if (!connected && tried.size < Math.min(cfg.nextUpstreamTries, d.backend.endpoints.length) && !socket.destroyed) {
      h.balancer.markFailed(ep);
      tunnel(h, x, d, req, socket, head, tried);
      return;
    }
    const status = err.code === 'ETIMEDOUT' ? 504 : 502;
    if (!socket.destroyed) socket.end(rawResponse(status, `${connected ? 'the upstream closed the connection' : 'connection to the upstream failed'} (${d.backend.namespace}/${d.backend.service}:${d.backend.port})`));
    h.metrics.webSockets.inc({ result: String(status) });
    h.finish(x, 0, status, d.acct);
  });
  up.on('response', (res) => {
    // Not upgraded: pass the answer on and close.
    writeHead(socket, res.statusCode ?? 502, res.statusMessage ?? statusText[res.statusCode ?? 502] ?? '', res.rawHeaders, d.setCookie, false);
    res.pipe(socket);
    h.metrics.webSockets.inc({ result: String(res.statusCode ?? 502) });
    res.once('end', () => h.finish(x, 0, res.statusCode ?? 502, d.acct));
  });
  up.on('upgrade', (res, upSocket, upHead) => {
    writeHead(socket, 101, res.statusMessage ?? 'Switching Protocols', res.rawHeaders, d.setCookie, true);
    if (upHead.length > 0) socket.write(upHead);
    if (head.length > 0) upSocket.write(head);
    upSocket.setTimeout(cfg.readTimeoutMs, () => upSocket.destroy());
    upSocket.on('error', () => socket.destroy());
    socket.on('error', () => upSocket.destroy());
    upSocket.once('close', () => socket.destroy());
    socket.once('close', () => {
      upSocket.destroy();
      h.finish(x, 0, 101, d.acct);
    });
    upSocket.pipe(socket);
    socket.pipe(upSocket);
    h.metrics.webSockets.inc({ result: '101' });
  });
  up.end();
}
