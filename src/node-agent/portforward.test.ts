import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { streamRole, servePortForwardSession } from './portforward.ts';
import { SpdySession, type SpdyStream, type SpdyTransport } from './spdy/session.ts';

test('stream roles from headers, with the kubelet\'s messages', () => {
  const h = (o: Record<string, string>): Map<string, string[]> => new Map(Object.entries(o).map(([k, v]) => [k, [v]]));
  const cases: Array<{ name: string; headers: Record<string, string>; id: number; want: ReturnType<typeof streamRole> }> = [
    { name: 'error stream', headers: { streamtype: 'error', port: '80', requestid: '0' }, id: 1, want: { ok: true, type: 'error', port: 80, requestID: '0' } },
    { name: 'data stream', headers: { streamtype: 'data', port: '65535', requestid: '7' }, id: 3, want: { ok: true, type: 'data', port: 65535, requestID: '7' } },
    { name: 'old client: error pairs by its id', headers: { streamtype: 'error', port: '80' }, id: 5, want: { ok: true, type: 'error', port: 80, requestID: '5' } },
    { name: 'old client: data is the id after', headers: { streamtype: 'data', port: '80' }, id: 7, want: { ok: true, type: 'data', port: 80, requestID: '5' } },
    { name: 'no type', headers: { port: '80' }, id: 1, want: { ok: false, message: 'invalid stream type ""' } },
    { name: 'no port', headers: { streamtype: 'data' }, id: 1, want: { ok: false, message: '"port" header is required' } },
    { name: 'port 0', headers: { streamtype: 'data', port: '0' }, id: 1, want: { ok: false, message: 'port "0" must be > 0' } },
    { name: 'port too big', headers: { streamtype: 'data', port: '70000' }, id: 1, want: { ok: false, message: 'unable to parse "70000" as a port: strconv.ParseUint: parsing "70000": invalid syntax' } },
    { name: 'port not a number', headers: { streamtype: 'data', port: 'http' }, id: 1, want: { ok: false, message: 'unable to parse "http" as a port: strconv.ParseUint: parsing "http": invalid syntax' } },
  ];
  for (const c of cases) assert.deepEqual(streamRole(h(c.headers), c.id), c.want, c.name);
});

function pair(): { server: SpdySession; client: SpdySession } {
  let server: SpdySession | undefined;
  let client: SpdySession | undefined;
  const t = (deliver: (b: Buffer) => void, peer: () => SpdySession | undefined): SpdyTransport => ({
    write(b) { queueMicrotask(() => deliver(b)); return true; },
    onDrain(cb) { cb(); },
    close() { queueMicrotask(() => peer()?.transportClosed()); },
  });
  server = new SpdySession(t((b) => client?.receive(b), () => client), 'server');
  client = new SpdySession(t((b) => server?.receive(b), () => server), 'client');
  return { server, client };
}

function readAll(s: SpdyStream): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    s.on('data', (d: Buffer) => { got += d.toString(); });
    s.on('end', () => resolve(got));
    s.on('close', () => resolve(got));
  });
}

/** A fake Pod port: answers "port N: <what it received>" after the client's FIN. */
function fakePort(port: number): Duplex {
  let got = '';
  const d: Duplex = new Duplex({
    read() {},
    write(chunk: Buffer, _e, cb) { got += chunk.toString(); cb(); },
    final(cb) { d.push(`port ${port}: ${got}`); d.push(null); cb(); },
  });
  return d;
}

test('pairs by requestID, forwards with half-close, reports dial errors on the error stream', async () => {
  const { server, client } = pair();
  servePortForwardSession(server, { name: 'web', uid: 'u1' }, async (port) => {
    if (port === 81) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    return fakePort(port);
  });
  // Two requests interleaved: streams of request 1 open before request 0's data stream.
  const e0 = await client.open([['streamType', 'error'], ['port', '80'], ['requestID', '0']]);
  const e1 = await client.open([['streamType', 'error'], ['port', '8080'], ['requestID', '1']]);
  const d1 = await client.open([['streamType', 'data'], ['port', '8080'], ['requestID', '1']]);
  const d0 = await client.open([['streamType', 'data'], ['port', '80'], ['requestID', '0']]);
  const [err0, err1] = [readAll(e0), readAll(e1)];
  e0.end();
  e1.end();
  const [out0, out1] = [readAll(d0), readAll(d1)];
  d0.end('GET /');
  d1.end('hello');
  assert.equal(await out0, 'port 80: GET /');
  assert.equal(await out1, 'port 8080: hello');
  assert.equal(await err0, '');
  assert.equal(await err1, '');

  const e2 = await client.open([['streamType', 'error'], ['port', '81'], ['requestID', '2']]);
  const err2 = readAll(e2);
  e2.end();
  const d2 = await client.open([['streamType', 'data'], ['port', '81'], ['requestID', '2']]);
  d2.on('error', () => {});
  assert.match(await err2, /^error forwarding port 81 to pod web, uid u1: failed to connect to localhost:81 .*connection refused$/);
  client.close();
});
