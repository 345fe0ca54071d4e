import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants as zc, createDeflate, inflateSync } from 'node:zlib';
import { headerDictionary } from './dictionary.ts';
import {
  FrameReader, SpdyProtocolError, StoredHeaderCompressor, decodeFrame, decodeHeaderBlock, encodeFrame, encodeHeaderBlock, type SpdyFrame,
} from './frames.ts';
import { HeaderInflater, SpdySession, type SpdyStream, type SpdyTransport } from './session.ts';

test('the SPDY/3 dictionary is the 1423 bytes both ends agree on', () => {
  assert.equal(headerDictionary.length, 1423);
  assert.equal(headerDictionary.subarray(0, 11).toString('latin1'), '\0\0\0\x07options');
  assert.ok(headerDictionary.toString('latin1').endsWith('enq=0.'));
});

test('frames survive encode → decode, whole and split at every byte', () => {
  const cases: SpdyFrame[] = [
    { kind: 'data', streamId: 1, fin: false, data: Buffer.from('hello') },
    { kind: 'data', streamId: 0x7fffffff, fin: true, data: Buffer.alloc(0) },
    { kind: 'synStream', streamId: 3, associatedId: 0, priority: 7, fin: false, unidirectional: true, headerBlock: Buffer.from([1, 2, 3]) },
    { kind: 'synReply', streamId: 3, fin: true, headerBlock: Buffer.from([9]) },
    { kind: 'headers', streamId: 5, fin: false, headerBlock: Buffer.alloc(0) },
    { kind: 'rstStream', streamId: 7, status: 5 },
    { kind: 'settings', entries: [{ flags: 1, id: 7, value: 65536 }, { flags: 0, id: 4, value: 100 }] },
    { kind: 'ping', id: 0xfffffffe },
    { kind: 'goAway', lastGoodStreamId: 9, status: 0 },
    { kind: 'windowUpdate', streamId: 1, delta: 1024 },
  ];
  for (const f of cases) assert.deepEqual(decodeFrame(encodeFrame(f)), f, f.kind);
  const all = Buffer.concat(cases.map(encodeFrame));
  for (let cut = 0; cut <= all.length; cut++) {
    const r = new FrameReader();
    const got = [...r.push(all.subarray(0, cut)), ...r.push(all.subarray(cut))];
    assert.deepEqual(got, cases, `split at ${cut}`);
  }
});

test('bad frames are protocol errors, never crashes', () => {
  const bad: Array<{ name: string; bytes: Buffer; want: RegExp }> = [
    { name: 'version 2', bytes: Buffer.from([0x80, 2, 0, 1, 0, 0, 0, 10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]), want: /unsupported SPDY version 2/ },
    { name: 'short SYN_STREAM', bytes: Buffer.from([0x80, 3, 0, 1, 0, 0, 0, 2, 0, 0]), want: /SYN_STREAM frame too short/ },
    { name: 'short RST_STREAM', bytes: Buffer.from([0x80, 3, 0, 3, 0, 0, 0, 4, 0, 0, 0, 1]), want: /RST_STREAM frame too short/ },
    { name: 'settings count beyond the payload', bytes: Buffer.from([0x80, 3, 0, 4, 0, 0, 0, 4, 0, 0, 0, 9]), want: /SETTINGS frame too short/ },
    { name: 'huge control frame', bytes: Buffer.from([0x80, 3, 0, 1, 0, 0xff, 0xff, 0xff]), want: /exceeds/ },
  ];
  for (const c of bad) assert.throws(() => new FrameReader().push(c.bytes), (e: unknown) => e instanceof SpdyProtocolError && c.want.test(e.message), c.name);
  assert.deepEqual(decodeFrame(Buffer.from([0x80, 3, 0, 42, 0, 0, 0, 0])), { kind: 'unknown', type: 42 });
  assert.throws(() => decodeHeaderBlock(Buffer.from([0, 0, 0, 1, 0, 0, 0, 9, 0x61])), /truncated in name/);
  assert.throws(() => decodeHeaderBlock(Buffer.from([0, 0])), /truncated in count/);
});

test('header blocks: lowercase names, NUL-joined values', () => {
  const raw = encodeHeaderBlock([['streamType', 'error'], ['Port', '80'], ['requestID', '0'], ['x', 'a\0b']]);
  assert.deepEqual([...decodeHeaderBlock(raw)], [['streamtype', ['error']], ['port', ['80']], ['requestid', ['0']], ['x', ['a', 'b']]]);
});

test('our stored-block compression is a zlib stream any inflater reads, block after block', () => {
  const c = new StoredHeaderCompressor();
  const blocks = [encodeHeaderBlock([]), encodeHeaderBlock([['a', 'b']]), encodeHeaderBlock([['port', '8080'], ['streamtype', 'data']])];
  const stream = Buffer.concat(blocks.map((b) => c.compress(b)));
  assert.deepEqual(inflateSync(stream, { finishFlush: zc.Z_SYNC_FLUSH }), Buffer.concat(blocks));
  // Every block ends with the sync-flush marker, as Go's zlib Flush writes it.
  const second = new StoredHeaderCompressor();
  second.compress(Buffer.from('x'));
  assert.deepEqual(second.compress(Buffer.from('ab')), Buffer.from([0, 2, 0, 0xfd, 0xff, 0x61, 0x62, 0, 0, 0, 0xff, 0xff]));
});

/** Compresses like Go's zlib writer with the SPDY dictionary and a Flush per header block. */
async function goStyleBlocks(raws: Buffer[]): Promise<Buffer[]> {
  const d = createDeflate({ dictionary: headerDictionary, level: 9 });
  const out: Buffer[] = [];
  for (const raw of raws) {
    d.write(raw);
    await new Promise<void>((r) => d.flush(zc.Z_SYNC_FLUSH, () => r()));
    const parts: Buffer[] = [];
    for (let c = d.read() as Buffer | null; c !== null; c = d.read() as Buffer | null) parts.push(c);
    out.push(Buffer.concat(parts));
  }
  d.destroy();
  return out;
}

test('header blocks compressed with the dictionary and a shared context inflate one by one', async () => {
  const raws = [0, 1, 2, 3].map((i) => encodeHeaderBlock([['streamtype', i % 2 === 0 ? 'error' : 'data'], ['port', '80'], ['requestid', String(i >> 1)]]));
  const blocks = await goStyleBlocks(raws);
  assert.ok((blocks[3]?.length ?? 0) < (raws[3]?.length ?? 0), 'later blocks are back-references');
  const inf = new HeaderInflater();
  for (let i = 0; i < raws.length; i++) assert.deepEqual(await inf.inflate(blocks[i] ?? Buffer.alloc(0)), raws[i]);
  inf.close();
  const bad = new HeaderInflater();
  await assert.rejects(bad.inflate(Buffer.from('not zlib at all')), /header decompression/);
  bad.close();
});

/** Two sessions joined back to back in memory. */
function pair(): { server: SpdySession; client: SpdySession; wire: { toServer: number; toClient: number } } {
  const wire = { toServer: 0, toClient: 0 };
  let server: SpdySession | undefined;
  let client: SpdySession | undefined;
  const t = (deliver: (b: Buffer) => void, count: () => void, peer: () => SpdySession | undefined): SpdyTransport => ({
    write(b) { count(); queueMicrotask(() => deliver(b)); return true; },
    onDrain(cb) { cb(); },
    close() { queueMicrotask(() => peer()?.transportClosed()); },
  });
  server = new SpdySession(t((b) => client?.receive(b), () => wire.toClient++, () => client), 'server');
  client = new SpdySession(t((b) => server?.receive(b), () => wire.toServer++, () => server), 'client');
  return { server, client, wire };
}

function readAll(s: SpdyStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    s.on('data', (d: Buffer) => parts.push(d));
    s.on('end', () => resolve(Buffer.concat(parts).toString()));
    s.on('error', reject);
  });
}

test('session: streams with headers, replies, data both ways, FIN, RST and PING', async () => {
  const { server, client } = pair();
  const seen: Array<{ type: string; port: string }> = [];
  server.on('stream', (s) => {
    seen.push({ type: s.header('streamType'), port: s.header('port') });
    if (s.header('streamtype') === 'data') {
      s.on('data', (d: Buffer) => s.write(Buffer.from(d.toString().toUpperCase())));
      s.on('end', () => s.end());
    }
  });
  const err = await client.open([['streamType', 'error'], ['port', '80'], ['requestID', '0']]);
  err.end();
  const data = await client.open([['streamType', 'data'], ['port', '80'], ['requestID', '0']]);
  const got = readAll(data);
  data.write('hello ');
  data.end('world');
  assert.equal(await got, 'HELLO WORLD');
  assert.deepEqual(seen, [{ type: 'error', port: '80' }, { type: 'data', port: '80' }]);
  await client.ping();

  const big = await client.open([['streamType', 'data'], ['port', '81'], ['requestID', '1']]);
  const long = 'x'.repeat(200_000);
  const echoed = readAll(big);
  big.end(long);
  assert.equal((await echoed).length, long.length);

  const next = new Promise<SpdyStream>((r) => server.once('stream', r));
  const reset = await client.open([['streamType', 'data'], ['port', '82'], ['requestID', '2']]);
  const serverSide = await next;
  const wasReset = new Promise<void>((r) => serverSide.once('reset', () => r()));
  reset.reset();
  await wasReset;
  client.close();
  await new Promise<void>((r) => (server.isClosed ? r() : server.once('close', () => r())));
});
