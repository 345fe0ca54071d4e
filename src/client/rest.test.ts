// The HTTP client's own behaviour (what the conformance suite cannot show): error mapping for
// non-Status bodies, network errors, timeouts and aborts with stable codes, Retry-After, token file
// rotation, paging, and the watch stream's edge cases — against small scripted HTTP servers, plus
// TLS and authentication against the real API server.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { StatusError } from '../machinery/status.ts';
import { FakeClock } from './clock.ts';
import { isClientError, isGone, isNotFound, statusErrorFromResponse } from './errors.ts';
import { Client } from './rest.ts';
import { startTestServer, testCredentials } from './testing.ts';
import { builtin, type WatchEvent } from './types.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function serve(handler: Handler): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url, server,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

const configmaps = builtin('configmaps');
const tmp = mkdtempSync(join(tmpdir(), 'sb-rest-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('error mapping', () => {
  const rows: Array<{ name: string; code: number; body: string; reason: string; message: string | RegExp }> = [
    { name: 'a Status body is kept as sent', code: 404, body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "x" not found', reason: 'NotFound', details: { name: 'x', kind: 'pods' }, code: 404 }), reason: 'NotFound', message: 'pods "x" not found' },
    { name: 'a text 404 gets client-go wording', code: 404, body: '404 page not found', reason: 'NotFound', message: 'the server could not find the requested resource' },
    { name: 'a 503 from a proxy', code: 503, body: '<html>unavailable</html>', reason: 'ServiceUnavailable', message: 'the server is currently unable to handle the request' },
    { name: 'an unknown code', code: 599, body: 'weird', reason: 'Unknown', message: /an error on the server \("weird"\)/ },
  ];
  for (const row of rows) {
    test(row.name, async () => {
      const s = await serve((_req, res) => {
        res.writeHead(row.code, { 'Content-Type': row.body.startsWith('{') ? 'application/json' : 'text/plain' });
        res.end(row.body);
      });
      const c = new Client({ server: s.url, namespace: 'default', source: 'test' });
      try {
        await assert.rejects(c.resource(configmaps).get('default', 'x'), (err: unknown) => {
          assert.ok(err instanceof StatusError);
          assert.equal(err.status.code, row.code);
          assert.equal(err.status.reason, row.reason);
          if (typeof row.message === 'string') assert.equal(err.message, row.message);
          else assert.match(err.message, row.message);
          return true;
        });
      } finally {
        c.close();
        await s.close();
      }
    });
  }

  test('statusErrorFromResponse keeps the body as a cause', () => {
    const e = statusErrorFromResponse(502, 'upstream died');
    assert.equal(e.status.details?.causes?.[0]?.message, 'upstream died');
  });
});

describe('transport failures have stable codes', () => {
  test('connection refused', async () => {
    const s = await serve(() => undefined);
    const url = s.url;
    await s.close();
    const c = new Client({ server: url, namespace: 'default', source: 'test' });
    await assert.rejects(c.resource(configmaps).list('default'), (err: unknown) => {
      assert.ok(isClientError(err, 'ERR_CLIENT_NETWORK'), String(err));
      assert.equal(err.syscallCode, 'ECONNREFUSED');
      return true;
    });
    c.close();
  });

  test('timeout, per client and per request', async () => {
    const s = await serve(() => undefined); // never answers
    const c = new Client({ server: s.url, namespace: 'default', source: 'test' }, { timeoutMs: 50 });
    try {
      await assert.rejects(c.resource(configmaps).get('default', 'x'), (err: unknown) => isClientError(err, 'ERR_CLIENT_TIMEOUT'));
      await assert.rejects(c.resource(configmaps).get('default', 'x', { timeoutMs: 20 }), /no answer within 20 ms/);
    } finally {
      c.close();
      await s.close();
    }
  });

  test('abort signal', async () => {
    const s = await serve(() => undefined);
    const c = new Client({ server: s.url, namespace: 'default', source: 'test' }, { timeoutMs: 0 });
    try {
      const ac = new AbortController();
      const p = c.resource(configmaps).get('default', 'x', { signal: ac.signal });
      setTimeout(() => ac.abort(), 20);
      await assert.rejects(p, (err: unknown) => isClientError(err, 'ERR_CLIENT_ABORTED'));
      await assert.rejects(c.resource(configmaps).get('default', 'x', { signal: AbortSignal.abort() }), (err: unknown) => isClientError(err, 'ERR_CLIENT_ABORTED'));
    } finally {
      c.close();
      await s.close();
    }
  });

  test('a 2xx body that is not JSON', async () => {
    const s = await serve((_req, res) => res.end('not json'));
    const c = new Client({ server: s.url, namespace: 'default', source: 'test' });
    try {
      await assert.rejects(c.resource(configmaps).get('default', 'x'), (err: unknown) => isClientError(err, 'ERR_CLIENT_DECODE'));
    } finally {
      c.close();
      await s.close();
    }
  });
});

describe('requests', () => {
  test('429 with Retry-After is retried after the wait', async () => {
    let n = 0;
    const s = await serve((_req, res) => {
      n++;
      if (n === 1) {
        res.writeHead(429, { 'Retry-After': '2', 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'TooManyRequests', code: 429 }));
        return;
      }
      res.end(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }));
    });
    const clock = new FakeClock();
    const c = new Client({ server: s.url, namespace: 'default', source: 'test' }, { clock });
    try {
      const p = c.resource(configmaps).get('default', 'x');
      while (clock.pending() === 0) await new Promise((r) => setTimeout(r, 2));
      assert.deepEqual(clock.pendingDelays(), [2000]);
      await clock.advance(2000);
      assert.equal((await p).metadata.name, 'x');
      assert.equal(n, 2);
    } finally {
      c.close();
      await s.close();
    }
  });

  test('query parameters, bodies, content types and headers', async () => {
    const seen: Array<{ method: string; url: string; ct: string | undefined; body: string; auth: string | undefined }> = [];
    const s = await serve((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => { body += d.toString(); });
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', ct: req.headers['content-type'], body, auth: req.headers.authorization });
        res.end(JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } }));
      });
    });
    const c = new Client({ server: s.url, namespace: 'default', source: 'test', token: 'T' });
    const d = c.resource(builtin('deployments', 'apps'));
    try {
      await d.create('ns', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } }, { dryRun: true, fieldManager: 'me', fieldValidation: 'Strict' });
      await d.patch('ns', 'd', [{ op: 'add', path: '/x', value: 1 }], 'json');
      await d.patchStatus('ns', 'd', { status: {} }, 'strategic');
      await d.delete('ns', 'd', { propagationPolicy: 'Foreground', gracePeriodSeconds: 0, preconditions: { uid: 'u' } });
      await d.deleteCollection('ns', { labelSelector: 'a=b' });
      await d.list(undefined, { labelSelector: 'a in (x,y)', fieldSelector: 'metadata.name=d', limit: 5, continue: 'tok' });
      await c.resource(builtin('namespaces')).get('', 'kube-system');
      await c.request('GET', '/api/v1/namespaces/ns/pods/p/log', undefined, { query: { container: 'c', follow: false, tailLines: undefined } });
      assert.deepEqual(seen.map((x) => `${x.method} ${decodeURIComponent(x.url)} ${x.ct ?? ''}`), [
        'POST /apis/apps/v1/namespaces/ns/deployments?dryRun=All&fieldManager=me&fieldValidation=Strict application/json',
        'PATCH /apis/apps/v1/namespaces/ns/deployments/d application/json-patch+json',
        'PATCH /apis/apps/v1/namespaces/ns/deployments/d/status application/strategic-merge-patch+json',
        'DELETE /apis/apps/v1/namespaces/ns/deployments/d application/json',
        'DELETE /apis/apps/v1/namespaces/ns/deployments?labelSelector=a=b ',
        'GET /apis/apps/v1/deployments?labelSelector=a+in+(x,y)&fieldSelector=metadata.name=d&limit=5&continue=tok ',
        'GET /api/v1/namespaces/kube-system ',
        'GET /api/v1/namespaces/ns/pods/p/log?container=c&follow=false ',
      ]);
      assert.deepEqual(JSON.parse(seen[3]?.body ?? ''), { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground', gracePeriodSeconds: 0, preconditions: { uid: 'u' } });
      assert.ok(seen.every((x) => x.auth === 'Bearer T'));
    } finally {
      c.close();
      await s.close();
    }
  });

  test('list follows continue tokens unless a limit is asked, and fills kind/apiVersion of items', async () => {
    const pages: Record<string, { items: string[]; next?: string }> = { '': { items: ['a', 'b'], next: 'p2' }, p2: { items: ['c'], next: 'p3' }, p3: { items: ['d'] } };
    const s = await serve((req, res) => {
      const q = new URL(req.url ?? '', 'http://x').searchParams;
      const page = pages[q.get('continue') ?? ''] ?? { items: [] };
      res.end(JSON.stringify({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: '42', ...(page.next !== undefined ? { continue: page.next } : {}) }, items: page.items.map((name) => ({ metadata: { name } })) }));
    });
    const c = new Client({ server: s.url, namespace: 'default', source: 'test' });
    try {
      const all = await c.resource(configmaps).list('default');
      assert.deepEqual(all.items.map((o) => o.metadata.name), ['a', 'b', 'c', 'd']);
      assert.deepEqual(all.metadata, { resourceVersion: '42' });
      assert.ok(all.items.every((o) => o.kind === 'ConfigMap' && o.apiVersion === 'v1'));
      const one = await c.resource(configmaps).list('default', { limit: 2 });
      assert.deepEqual(one.items.map((o) => o.metadata.name), ['a', 'b']);
      assert.equal(one.metadata.continue, 'p2');
    } finally {
      c.close();
      await s.close();
    }
  });

  test('an expired continue token while paging falls back to one full list', async () => {
    const seen: string[] = [];
    const s = await serve((req, res) => {
      const q = new URL(req.url ?? '', 'http://x').searchParams;
      seen.push(`limit=${q.get('limit') ?? ''} continue=${q.get('continue') ?? ''}`);
      if (q.get('continue') === 'old') {
        res.writeHead(410, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Expired', code: 410, message: 'too old' }));
        return;
      }
      const paged = q.get('limit') !== null;
      res.end(JSON.stringify({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: '9', ...(paged ? { continue: 'old' } : {}) }, items: paged ? [{ metadata: { name: 'a' } }] : [{ metadata: { name: 'a' } }, { metadata: { name: 'b' } }] }));
    });
    const c = new Client({ server: s.url, namespace: 'default', source: 'test' });
    try {
      const l = await c.resource(configmaps).list('default', { pageSize: 1 });
      assert.deepEqual(l.items.map((o) => o.metadata.name), ['a', 'b']);
      assert.deepEqual(seen, ['limit=1 continue=', 'limit=1 continue=old', 'limit= continue=']);
    } finally {
      c.close();
      await s.close();
    }
  });

  test('a token file is re-read about once a minute', async () => {
    const tokenFile = join(tmp, 'token');
    writeFileSync(tokenFile, 'one\n');
    const auths: string[] = [];
    const s = await serve((req, res) => {
      auths.push(req.headers.authorization ?? '');
      res.end('{"kind":"ConfigMap","apiVersion":"v1","metadata":{}}');
    });
    const clock = new FakeClock();
    const c = new Client({ server: s.url, namespace: 'default', source: 'test', tokenFile }, { clock });
    try {
      await c.resource(configmaps).get('default', 'x');
      writeFileSync(tokenFile, 'two\n');
      await c.resource(configmaps).get('default', 'x');
      await clock.advance(61_000);
      await c.resource(configmaps).get('default', 'x');
      assert.deepEqual(auths, ['Bearer one', 'Bearer one', 'Bearer two']);
    } finally {
      c.close();
      await s.close();
    }
  });
});

describe('watch streams', () => {
  const ev = (type: string, name: string, rv: number): string => JSON.stringify({ type, object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, resourceVersion: String(rv) } } }) + '\n';

  test('events split across chunks anywhere, then a clean end', async () => {
    const text = ev('ADDED', 'a', 1) + ev('MODIFIED', 'ä-ü', 2) + JSON.stringify({ type: 'BOOKMARK', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: '3' } } }) + '\n' + ev('DELETED', 'a', 4);
    const bytes = Buffer.from(text);
    let query = '';
    const s = await serve((req, res) => {
      query = req.url ?? '';
      res.writeHead(200, { 'Content-Type': 'application/json' });
      let i = 0;
      const step = (): void => {
        if (i >= bytes.length) {
          res.end();
          return;
        }
        res.write(bytes.subarray(i, i + 7));
        i += 7;
        setImmediate(step);
      };
      step();
    });
    const c = new Client({ server: s.url, namespace: 'default', source: 'test' });
    try {
      const got: WatchEvent[] = [];
      const h = c.resource(configmaps).watch('default', { resourceVersion: '0', allowWatchBookmarks: true, timeoutSeconds: 30, labelSelector: 'a=b' }, (e) => got.push(e));
      await h.done;
      assert.deepEqual(got.map((e) => `${e.type}:${e.object.metadata.name ?? ''}:${e.object.metadata.resourceVersion ?? ''}`), ['ADDED:a:1', 'MODIFIED:ä-ü:2', 'BOOKMARK::3', 'DELETED:a:4']);
      assert.equal(decodeURIComponent(query), '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0&labelSelector=a=b&allowWatchBookmarks=true&timeoutSeconds=30');
    } finally {
      c.close();
      await s.close();
    }
  });

  const failures: Array<{ name: string; script: (res: ServerResponse) => void; check: (err: unknown) => boolean }> = [
    {
      name: 'an ERROR event with 410 is a Gone StatusError',
      script: (res) => {
        res.writeHead(200);
        res.write(ev('ADDED', 'a', 1));
        res.end(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'too old resource version: 1 (5)', reason: 'Expired', code: 410 } }) + '\n');
      },
      check: (err) => isGone(err) && err instanceof StatusError && err.message === 'too old resource version: 1 (5)',
    },
    {
      name: 'a non-2xx answer is a StatusError',
      script: (res) => {
        res.writeHead(403, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'forbidden', reason: 'Forbidden', code: 403 }));
      },
      check: (err) => err instanceof StatusError && err.status.code === 403,
    },
    {
      name: 'a stream cut off mid-way is a network error',
      script: (res) => {
        res.writeHead(200);
        res.write(ev('ADDED', 'a', 1));
        setTimeout(() => res.socket?.destroy(), 20);
      },
      check: (err) => isClientError(err, 'ERR_CLIENT_NETWORK'),
    },
    {
      name: 'a line that is not JSON is a decode error',
      script: (res) => {
        res.writeHead(200);
        res.write('{"type":"ADDED",\n');
      },
      check: (err) => isClientError(err, 'ERR_CLIENT_DECODE'),
    },
  ];
  for (const row of failures) {
    test(row.name, async () => {
      const s = await serve((_req, res) => row.script(res));
      const c = new Client({ server: s.url, namespace: 'default', source: 'test' });
      try {
        const h = c.resource(configmaps).watch('default', {}, () => undefined);
        await assert.rejects(h.done, (err: unknown) => {
          assert.ok(row.check(err), `unexpected: ${String(err)} ${(err as { code?: string }).code ?? ''}`);
          return true;
        });
      } finally {
        c.close();
        await s.close();
      }
    });
  }

  test('close() stops open watches', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200);
      res.write(ev('ADDED', 'a', 1));
    });
    const c = new Client({ server: s.url, namespace: 'default', source: 'test' });
    try {
      const got: string[] = [];
      const h = c.resource(configmaps).watch('default', {}, (e) => got.push(e.type));
      while (got.length === 0) await new Promise((r) => setTimeout(r, 2));
      c.close();
      await h.done;
    } finally {
      await s.close();
    }
  });
});

describe('TLS and authentication against the API server', () => {
  test('a wrong token is a 401 Status; a wrong CA a network error; insecure skips verification', async () => {
    const ts = await startTestServer();
    try {
      const bad = new Client({ ...ts.config, token: 'wrong' });
      await assert.rejects(bad.resource(builtin('namespaces')).list(undefined), (err: unknown) => err instanceof StatusError && err.status.code === 401 && err.status.reason === 'Unauthorized');
      bad.close();
      const { creds } = testCredentials();
      const { caData: _ca, ...noCA } = ts.config;
      const untrusted = new Client({ ...noCA, caData: creds.cert });
      await assert.rejects(untrusted.resource(builtin('namespaces')).list(undefined), (err: unknown) => isClientError(err, 'ERR_CLIENT_NETWORK'));
      untrusted.close();
      const insecure = new Client({ ...noCA, insecureSkipTlsVerify: true });
      await assert.rejects(insecure.resource(configmaps).get('default', 'nope'), (err: unknown) => isNotFound(err));
      insecure.close();
    } finally {
      await ts.close();
    }
  });
});
