// One probe attempt of each kind, worded as the kubelet's probers word their results
// (pkg/probe/http, tcp, exec, grpc): httpGet (2xx/3xx pass), tcpSocket (a connection opens),
// exec (exit 0) and grpc (grpc.health.v1 SERVING).
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { connect as http2Connect, constants as h2 } from 'node:http2';
import type { Container, IntOrString, Probe } from '../../api/types.ts';

export type ProbeOutcome = 'success' | 'failure';

export interface ProbeResult {
  result: ProbeOutcome;
  /** The failure text for the Unhealthy event ('' on success). */
  output: string;
}

/** Runs a command in the container for exec probes; resolves with exit code and combined output. */
export type ExecRunner = (argv: string[], timeoutMs: number) => Promise<{ exitCode: number; output: string; timedOut: boolean }>;

/** Resolves a named port against the container's ports. */
export function resolvePort(port: IntOrString, container: Container): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function dialError(err: NodeJS.ErrnoException, host: string, port: number): string {
  const where = `dial tcp ${hostPort(host, port)}`;
  switch (err.code) {
    case 'ECONNREFUSED': return `${where}: connect: connection refused`;
    case 'EHOSTUNREACH': return `${where}: connect: no route to host`;
    case 'ENETUNREACH': return `${where}: connect: network is unreachable`;
    case 'ETIMEDOUT': return `${where}: i/o timeout`;
    case 'ECONNRESET': return `read tcp ${where.slice(9)}: read: connection reset by peer`;
    default: return `${where}: ${err.message}`;
  }
}

/** httpGet: a status in [200, 400) passes. */
export function httpProbe(p: NonNullable<Probe['httpGet']>, host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  const scheme = (p.scheme ?? 'HTTP').toUpperCase() === 'HTTPS' ? 'https' : 'http';
  const target = p.host !== undefined && p.host !== '' ? p.host : host;
  let path = p.path ?? '/';
  if (!path.startsWith('/')) path = `/${path}`;
  const url = `${scheme}://${hostPort(target, port)}${path}`;
  const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.32', Accept: '*/*' };
  for (const h of p.httpHeaders ?? []) headers[h.name] = h.value;
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = (scheme === 'https' ? httpsRequest : httpRequest)(url, { method: 'GET', headers, rejectUnauthorized: false, agent: false }, (res) => {
      const code = res.statusCode ?? 0;
      res.resume();
      if (code >= 200 && code < 400) finish({ result: 'success', output: '' });
      else finish({ result: 'failure', output: `HTTP probe failed with statuscode: ${code}` });
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish({ result: 'failure', output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => finish({ result: 'failure', output: `Get "${url}": ${dialError(err, target, port)}` }));
    req.end();
  });
}

/** tcpSocket: a connection that opens passes. */
export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const s = netConnect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ result: 'failure', output: `dial tcp ${hostPort(host, port)}: i/o timeout` });
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve({ result: 'success', output: '' });
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ result: 'failure', output: dialError(err, host, port) });
    });
  });
}

/** exec: exit code 0 passes; the output is the failure text. */
export async function execProbe(command: readonly string[], run: ExecRunner, timeoutMs: number): Promise<ProbeResult> {
  const r = await run([...command], timeoutMs);
  if (r.timedOut) return { result: 'failure', output: `command ${JSON.stringify(command.join(' '))} timed out` };
  return r.exitCode === 0 ? { result: 'success', output: '' } : { result: 'failure', output: r.output.trimEnd() };
}

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

/** grpc.health.v1.HealthCheckRequest{service} in a gRPC length-prefixed message. */
export function grpcHealthRequest(service: string): Buffer {
  const s = Buffer.from(service, 'utf8');
  const msg = s.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a, ...varint(s.length)]), s]);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(msg.length, 1);
  return Buffer.concat([head, msg]);
}

const servingStatus = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;

/** Decodes HealthCheckResponse.status from a gRPC response body. */
export function grpcHealthStatus(body: Buffer): string {
  if (body.length < 5) return 'UNKNOWN';
  const len = body.readUInt32BE(1);
  const msg = body.subarray(5, 5 + len);
  let i = 0;
  while (i < msg.length) {
    const key = msg[i++] ?? 0;
    if (key === 0x08) {
      let v = 0;
      let shift = 0;
      for (;;) {
        const b = msg[i++] ?? 0;
        v |= (b & 0x7f) << shift;
        if ((b & 0x80) === 0) break;
        shift += 7;
      }
      return servingStatus[v] ?? String(v);
    }
    break;
  }
  return 'UNKNOWN';
}

/** grpc: the standard health service answering SERVING passes. */
export function grpcProbe(host: string, port: number, service: string, timeoutMs: number): Promise<ProbeResult> {
  const addr = hostPort(host, port);
  return new Promise((resolve) => {
    let done = false;
    const session = http2Connect(`http://${addr}`);
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      session.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ result: 'failure', output: `timeout: failed to connect service "${addr}" within ${Math.round(timeoutMs / 1000)}s: context deadline exceeded` }), timeoutMs);
    session.on('error', (err: NodeJS.ErrnoException) => finish({ result: 'failure', output: `timeout: failed to connect service "${addr}" within ${Math.round(timeoutMs / 1000)}s: ${dialError(err, host, port)}` }));
    const req = session.request({
      [h2.HTTP2_HEADER_METHOD]: 'POST', [h2.HTTP2_HEADER_PATH]: '/grpc.health.v1.Health/Check',
      'content-type': 'application/grpc', te: 'trailers', 'user-agent': 'kube-probe/1.32',
    });
    const chunks: Buffer[] = [];
    let grpcStatus = '';
    let grpcMessage = '';
    req.on('response', (headers) => {
      if (headers['grpc-status'] !== undefined) grpcStatus = String(headers['grpc-status']);
    });
    req.on('trailers', (t) => {
      grpcStatus = String(t['grpc-status'] ?? grpcStatus);
      grpcMessage = String(t['grpc-message'] ?? '');
    });
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('error', (err: NodeJS.ErrnoException) => finish({ result: 'failure', output: `failed to connect service "${addr}": ${err.message}` }));
    req.on('end', () => {
      if (grpcStatus !== '' && grpcStatus !== '0') {
        finish({ result: 'failure', output: `rpc error: code = ${grpcStatus} desc = ${grpcMessage}` });
        return;
      }
      const st = grpcHealthStatus(Buffer.concat(chunks));
      finish(st === 'SERVING' ? { result: 'success', output: '' } : { result: 'failure', output: `service unhealthy (responded with "${st}")` });
    });
    req.end(grpcHealthRequest(service));
  });
}

/** Runs one attempt of `probe` against a container at `host` (the Pod IP). */
export async function runProbe(probe: Probe, container: Container, host: string, exec: ExecRunner): Promise<ProbeResult> {
  const timeoutMs = Math.max(1, probe.timeoutSeconds ?? 1) * 1000;
  if (probe.exec !== undefined) return execProbe(probe.exec.command ?? [], exec, timeoutMs);
  if (probe.httpGet !== undefined) {
    const port = resolvePort(probe.httpGet.port, container);
    if (port === undefined) return { result: 'failure', output: `couldn't find port: ${String(probe.httpGet.port)} in ${container.name}` };
    return httpProbe(probe.httpGet, host, port, timeoutMs);
  }
  if (probe.tcpSocket !== undefined) {
    const port = resolvePort(probe.tcpSocket.port, container);
    if (port === undefined) return { result: 'failure', output: `couldn't find port: ${String(probe.tcpSocket.port)} in ${container.name}` };
    const h = probe.tcpSocket.host !== undefined && probe.tcpSocket.host !== '' ? probe.tcpSocket.host : host;
    return tcpProbe(h, port, timeoutMs);
  }
  if (probe.grpc !== undefined) return grpcProbe(host, probe.grpc.port, probe.grpc.service ?? '', timeoutMs);
  return { result: 'failure', output: 'missing probe handler' };
}
