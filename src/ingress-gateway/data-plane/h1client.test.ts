// The lean HTTP/1.1 client against scripted raw TCP servers: framing (Content-Length, chunked,
// close-delimited, HEAD, 204/304, 1xx), keep-alive reuse, and refusal of malformed responses.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { H1Pool } from './h1client.ts';
import { UpstreamError, type UpstreamResponse } from './upstream.ts';
import type { Endpoint } from '../route-table/types.ts';

const servers: net.Server[] = [];
const pool = new H1Pool({ idleTimeoutMs: 2_000 });
after(() => {
  pool.close();
  for (const s of servers) s.close();
});

/** A server that answers each request head with `reply(head, n)` (n = request number on the connection). */
async function scripted(reply: (head: string, n: number, sock: net.Socket) => string | Buffer | undefined): Promise<{ ep: Endpoint; conns: () => number; heads: string[] }> {
  let conns = 0;
  const heads: string[] = [];
  const s = net.createServer((sock) => {
    conns++;
    let buf = '';
    let n = 0;
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.slice(0, end);
        let rest = buf.slice(end + 4);
        const cl = /content-length: (\d+)/i.exec(head);
        if (cl !== null) {
          const len = Number(cl[1]);
          if (rest.length < len) return;
          heads.push(head + '\r\n\r\n' + rest.slice(0, len));
          rest = rest.slice(len);
        } else if (/transfer-encoding: chunked/i.test(head)) {
          const z = rest.indexOf('0\r\n\r\n');
          if (z < 0) return;
          heads.push(head + '\r\n\r\n' + rest.slice(0, z + 5));
          rest = rest.slice(z + 5);
        } else heads.push(head);
        buf = rest;
        const out = reply(head, n++, sock);
        if (out !== undefined) sock.write(out);
      }
    });
    sock.on('error', () => {});
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  return { ep: { address: '127.0.0.1', port, key: `127.0.0.1:${port}` }, conns: () => conns, heads };
}

function send(ep: Endpoint, opts: { method?: string; body?: Readable; headers?: string[] } = {}): Promise<UpstreamResponse> {
  return pool.send({ endpoint: ep, protocol: 'HTTP', method: opts.method ?? 'GET', path: '/p?q=1', headers: opts.headers ?? ['Host', 'up.test'], body: opts.body, connectTimeoutMs: 1_000, readTimeoutMs: 1_000 });
}

async function text(r: UpstreamResponse): Promise<string> {
  if (r.complete !== undefined) return r.complete.toString();
  const chunks: Buffer[] = [];
  for await (const c of r.body) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

async function fails(p: Promise<UpstreamResponse>): Promise<UpstreamError> {
  try {
    const r = await p;
    await text(r);
  } catch (err) {
    assert.ok(err instanceof UpstreamError, String(err));
    return err;
  }
  throw new Error('expected a failure');
}

describe('framing', () => {
  const cases: { name: string; reply: string; method?: string; want: { status: number; body: string } }[] = [
    { name: 'Content-Length', reply: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello', want: { status: 200, body: 'hello' } },
    { name: 'chunked with extension and trailer', reply: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n', want: { status: 200, body: 'hello world' } },
    { name: '1xx skipped', reply: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok', want: { status: 201, body: 'ok' } },
    { name: '204 has no body', reply: 'HTTP/1.1 204 No Content\r\n\r\n', want: { status: 204, body: '' } },
    { name: 'HEAD has no body despite Content-Length', reply: 'HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n', method: 'HEAD', want: { status: 200, body: '' } },
  ];
  for (const tc of cases) {
    test(tc.name, async () => {
      const s = await scripted(() => tc.reply);
      const r = await send(s.ep, tc.method !== undefined ? { method: tc.method } : {});
      assert.equal(r.status, tc.want.status);
      assert.equal(await text(r), tc.want.body);
    });
  }

  test('close-delimited body ends at EOF and the connection is not reused', async () => {
    const s = await scripted((_h, _n, sock) => {
      sock.end('HTTP/1.1 200 OK\r\n\r\nuntil close');
      return undefined;
    });
    const r = await send(s.ep);
    assert.equal(await text(r), 'until close');
    await text(await send(s.ep));
    assert.equal(s.conns(), 2);
  });

  test('a body split across reads streams with backpressure-safe reads', async () => {
    const s = await scripted((_h, _n, sock) => {
      sock.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234');
      setTimeout(() => sock.write('56789'), 20);
      return undefined;
    });
    const r = await send(s.ep);
    assert.equal(r.complete, undefined);
    assert.equal(r.contentLength, 10);
    assert.equal(await text(r), '0123456789');
  });

  test('keep-alive: sequential requests share one connection', async () => {
    const s = await scripted((_h, n) => `HTTP/1.1 200 OK\r\nContent-Length: ${String(n).length}\r\n\r\n${n}`);
    for (let i = 0; i < 5; i++) assert.equal(await text(await send(s.ep)), String(i));
    assert.equal(s.conns(), 1);
  });

  test('Connection: close is honoured', async () => {
    const s = await scripted(() => 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx');
    await text(await send(s.ep));
    await text(await send(s.ep));
    assert.equal(s.conns(), 2);
  });

  test('request bodies: Content-Length passes through, unknown length is chunked', async () => {
    const s = await scripted(() => 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    await text(await send(s.ep, { method: 'POST', headers: ['Host', 'x', 'Content-Length', '3'], body: Readable.from([Buffer.from('abc')]) }));
    await text(await send(s.ep, { method: 'POST', headers: ['Host', 'x'], body: Readable.from([Buffer.from('ab'), Buffer.from('cd')]) }));
    assert.match(s.heads[0] ?? '', /^POST \/p\?q=1 HTTP\/1\.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc$/);
    assert.match(s.heads[1] ?? '', /Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n$/);
  });
});

describe('malformed responses are refused and the connection dropped', () => {
  const cases: { name: string; reply: string }[] = [
    { name: 'bad status line', reply: 'HTTP/2 200 OK\r\n\r\n' },
    { name: 'conflicting Content-Length', reply: 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx' },
    { name: 'obs-fold', reply: 'HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 0\r\n\r\n' },
    { name: 'bytes after the response', reply: 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxEXTRA' },
    { name: 'bad chunk size', reply: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n' },
  ];
  for (const tc of cases) {
    test(tc.name, async () => {
      const s = await scripted(() => tc.reply);
      const err = await fails(send(s.ep));
      assert.equal(err.kind, 'protocol');
    });
  }
  test('a header value with CR/LF is never sent', async () => {
    const s = await scripted(() => 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    const err = await fails(send(s.ep, { headers: ['Host', 'x', 'X-Evil', 'a\r\nInjected: 1'] }));
    assert.equal(err.kind, 'protocol');
    assert.equal(s.heads.length, 0);
  });
});

describe('failures', () => {
  test('connection refused: not sent, kind connect', async () => {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    const err = await fails(send({ address: '127.0.0.1', port, key: `127.0.0.1:${port}` }));
    assert.equal(err.kind, 'connect');
    assert.equal(err.sent, false);
    assert.equal(err.status, 502);
  });
  test('no response within the read timeout: 504', async () => {
    const s = await scripted(() => undefined);
    const err = await fails(send(s.ep));
    assert.equal(err.kind, 'read-timeout');
    assert.equal(err.status, 504);
    assert.equal(err.sent, true);
  });
  test('reset after the request: kind reset, sent', async () => {
    const s = await scripted((_h, _n, sock) => {
      sock.destroy();
      return undefined;
    });
    const err = await fails(send(s.ep));
    assert.equal(err.kind, 'reset');
    assert.equal(err.sent, true);
  });
});
