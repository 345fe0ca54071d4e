// The userspace proxy's sockets on loopback (127.0.0.0/8 is all local, so "ClusterIPs" such as
// 127.0.10.1 can be bound without root): scheduling, affinity, retry on connect failure, refusal
// without endpoints, half-close, back-pressure, UDP flows and their idle timeout, counters.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createHash, randomBytes } from 'node:crypto';
import { Proxier } from '../../proxier.ts';
import { UserspaceBackend } from './backend.ts';
import { realClock } from '../../clock.ts';
import { ProxyMetrics } from '../../metrics.ts';
import { defaultProxyConfig } from '../../types.ts';
import { makeService, makeSlice, readyEndpoint } from '../../testing.ts';
import type { EndpointSlice, Service } from '../../../api/types.ts';

const cfg = defaultProxyConfig({ nodeName: 'n1', nodeIPs: [], serviceCIDRs: ['127.0.10.0/24'], clusterCIDR: '' });
const closers: (() => void)[] = [];
after(() => { for (const c of closers) c(); });

async function freePort(host: string): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, host, r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** HTTP-ish responders on 127.0.1.<n>:port answering their own address. */
async function namedServers(port: number, ips: string[]): Promise<Server[]> {
  return Promise.all(ips.map((ip) => new Promise<Server>((resolve) => {
    const s = createServer((c) => c.end(ip));
    s.listen(port, ip, () => resolve(s));
    closers.push(() => s.close());
  })));
}

function ask(ip: string, port: number, localAddress?: string): Promise<string> {
  return new Promise((resolve) => {
    const c = connect({ host: ip, port, ...(localAddress === undefined ? {} : { localAddress }) });
    let b = '';
    c.on('data', (d) => (b += d));
    c.on('end', () => resolve(b));
    c.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'ERROR'));
  });
}

function proxier(): { p: Proxier; be: UserspaceBackend } {
  const metrics = new ProxyMetrics();
  const be = new UserspaceBackend({ cfg, clock: realClock, scheduler: 'rr', nodePortAddresses: ['127.0.0.1'], connectTimeoutMs: 300, udpIdleTimeoutMs: 300, metrics });
  const p = new Proxier({ cfg, backend: be, clock: realClock, minSyncPeriodMs: 0, metrics });
  closers.push(() => { p.stop(); void be.close(); });
  p.setSynced();
  return { p, be };
}

function svc(name: string, ip: string, port: number, edit?: (s: Service & { spec: NonNullable<Service['spec']> }) => void): Service {
  return makeService('t', name, (s) => { s.spec.clusterIP = ip; s.spec.ports = [{ name: 'p', port, protocol: 'TCP' }]; edit?.(s); });
}
function slice(name: string, ips: string[], port: number, protocol: 'TCP' | 'UDP' = 'TCP'): EndpointSlice {
  return makeSlice('t', name, 1, (s) => { s.endpoints = ips.map((ip) => readyEndpoint(ip)); s.ports = [{ name: 'p', port, protocol }]; });
}

test('round robin over three endpoints, then ClientIP affinity', async () => {
  const port = await freePort('127.0.1.1');
  const eps = ['127.0.1.1', '127.0.1.2', '127.0.1.3'];
  await namedServers(port, eps);
  const vip = '127.0.10.1';
  const vport = await freePort(vip);
  const { p } = proxier();
  p.onService(undefined, svc('rr', vip, vport));
  p.onEndpointSlice(slice('rr', eps, port));
  await p.whenIdle();
  const got = [];
  for (let i = 0; i < 6; i++) got.push(await ask(vip, vport));
  assert.deepEqual(got, [...eps, ...eps]);
  p.onService(undefined, svc('rr', vip, vport, (s) => { s.spec.sessionAffinity = 'ClientIP'; s.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 100 } }; }));
  await p.whenIdle();
  const sticky = new Set<string>();
  for (let i = 0; i < 6; i++) sticky.add(await ask(vip, vport));
  assert.equal(sticky.size, 1);
});

test('a failed connect moves on to the next endpoint; counters record it', async () => {
  const port = await freePort('127.0.2.1');
  await namedServers(port, ['127.0.2.1']);
  const vip = '127.0.10.2';
  const vport = await freePort(vip);
  const { p, be } = proxier();
  p.onService(undefined, svc('retry', vip, vport));
  p.onEndpointSlice(slice('retry', ['127.0.2.1', '127.0.2.2', '127.0.2.3'], port));
  await p.whenIdle();
  for (let i = 0; i < 6; i++) assert.equal(await ask(vip, vport), '127.0.2.1');
  const stats = be.proxy.stats();
  assert.equal(stats.get(`TCP ${vip}:${vport}|127.0.2.1:${port}`)?.total, 6);
  assert.ok((stats.get(`TCP ${vip}:${vport}|127.0.2.2:${port}`)?.failures ?? 0) > 0);
  assert.ok(p.metrics.connectFailures.get({ service: 't/retry:p/TCP', endpoint: `127.0.2.2:${port}` }) > 0);
});

test('no endpoints: the port is closed, so connections are refused at once', async () => {
  const port = await freePort('127.0.3.1');
  await namedServers(port, ['127.0.3.1']);
  const vip = '127.0.10.3';
  const vport = await freePort(vip);
  const { p } = proxier();
  p.onService(undefined, svc('none', vip, vport));
  p.onEndpointSlice(slice('none', ['127.0.3.1'], port));
  await p.whenIdle();
  assert.equal(await ask(vip, vport), '127.0.3.1');
  p.onEndpointSlice(slice('none', [], port));
  await p.whenIdle();
  const t0 = performance.now();
  assert.equal(await ask(vip, vport), 'ECONNREFUSED');
  assert.ok(performance.now() - t0 < 200);
});

test('half-close passes through and big transfers keep their bytes (back-pressure)', async () => {
  const ip = '127.0.4.1';
  const port = await freePort(ip);
  // Endpoint: counts and hashes what it receives until the client half-closes, then echoes a
  // 32 MiB reply and the hash (the client stays readable after ending its side).
  const payload = randomBytes(32 << 20);
  const s = createServer({ allowHalfOpen: true }, (c) => {
    const h = createHash('sha256');
    let n = 0;
    c.on('data', (d: Buffer) => { h.update(d); n += d.length; });
    c.on('end', () => {
      c.write(`${n} ${h.digest('hex')}\n`);
      c.end(payload);
    });
  });
  await new Promise<void>((r) => s.listen(port, ip, r));
  closers.push(() => s.close());
  const vip = '127.0.10.4';
  const vport = await freePort(vip);
  const { p } = proxier();
  p.onService(undefined, svc('big', vip, vport));
  p.onEndpointSlice(slice('big', [ip], port));
  await p.whenIdle();
  const upload = randomBytes(16 << 20);
  const result = await new Promise<{ head: string; body: Buffer }>((resolve, reject) => {
    const c = connect({ host: vip, port: vport, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    c.on('data', (d: Buffer) => chunks.push(d));
    c.on('end', () => {
      const all = Buffer.concat(chunks);
      const nl = all.indexOf(10);
      resolve({ head: all.subarray(0, nl).toString(), body: all.subarray(nl + 1) });
    });
    c.on('error', reject);
    c.end(upload);
  });
  assert.equal(result.head, `${upload.length} ${createHash('sha256').update(upload).digest('hex')}`);
  assert.equal(createHash('sha256').update(result.body).digest('hex'), createHash('sha256').update(payload).digest('hex'));
});

async function udpEchoes(port: number, ips: string[]): Promise<void> {
  await Promise.all(ips.map((ip) => new Promise<void>((resolve) => {
    const s = createSocket('udp4');
    s.on('message', (_m, r) => s.send(ip, r.port, r.address));
    s.bind(port, ip, () => resolve());
    closers.push(() => s.close());
  })));
}

function udpAsk(sock: UdpSocket, ip: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve('TIMEOUT'), 1000);
    sock.once('message', (m) => { clearTimeout(t); resolve(m.toString()); });
    sock.send('ping', port, ip);
  });
}

test('UDP: a flow sticks to its endpoint, is re-picked after idling, and leaves a departed endpoint', async () => {
  const port = await freePort('127.0.5.1');
  await udpEchoes(port, ['127.0.5.1', '127.0.5.2']);
  const vip = '127.0.10.5';
  const vport = await freePort(vip);
  const { p } = proxier();
  p.onService(undefined, makeService('t', 'dns', (s) => { s.spec.clusterIP = vip; s.spec.ports = [{ name: 'p', port: vport, protocol: 'UDP' }]; }));
  p.onEndpointSlice(slice('dns', ['127.0.5.1', '127.0.5.2'], port, 'UDP'));
  await p.whenIdle();
  const client = createSocket('udp4');
  await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
  closers.push(() => client.close());
  const a = await udpAsk(client, vip, vport);
  assert.ok(a === '127.0.5.1' || a === '127.0.5.2');
  for (let i = 0; i < 3; i++) assert.equal(await udpAsk(client, vip, vport), a, 'same flow, same endpoint');
  await new Promise((r) => setTimeout(r, 1500));
  const b = await udpAsk(client, vip, vport);
  assert.notEqual(b, a, 'after the idle timeout the flow is new and round robin moves on');
  p.onEndpointSlice(slice('dns', [a], port, 'UDP'));
  await p.whenIdle();
  for (let i = 0; i < 3; i++) assert.equal(await udpAsk(client, vip, vport), a, 'no datagram goes to the departed endpoint');
});
