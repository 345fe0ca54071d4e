import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { acceptKey, decodeFrames, encodeFrame, Opcode, WebSocketConn } from './websocket.ts';
import { exitStatus, parseExecQuery } from './exec.ts';

test('Sec-WebSocket-Accept (RFC 6455 section 1.3 example)', () => {
  assert.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});

test('frames: masked client frames decode, lengths 7/16/64 bits, partial input waits', () => {
  const mask = Buffer.from([1, 2, 3, 4]);
  for (const n of [0, 5, 125, 126, 300, 70_000]) {
    const payload = Buffer.alloc(n, 7);
    const f = encodeFrame(Opcode.binary, payload, true, mask);
    const { frames, rest } = decodeFrames(f);
    assert.equal(frames.length, 1, `len ${n}`);
    assert.deepEqual(frames[0]?.payload, payload);
    assert.equal(rest.length, 0);
    const half = decodeFrames(f.subarray(0, f.length - 1));
    assert.equal(half.frames.length, 0);
    assert.equal(half.rest.length, f.length - 1);
  }
});

test('connection: ping gets pong, fragments join, close is answered', () => {
  const sock = new PassThrough();
  const out: Buffer[] = [];
  const written = new PassThrough();
  const duplex = Object.assign(sock, { write: (b: Buffer) => { out.push(b); return true; } });
  void written;
  const ws = new WebSocketConn(duplex, 'v5.channel.k8s.io');
  const got: Buffer[] = [];
  ws.on('message', (d: Buffer) => got.push(d));
  const mask = Buffer.from([9, 9, 9, 9]);
  sock.emit('data', encodeFrame(Opcode.ping, Buffer.from('hi'), true, mask));
  sock.emit('data', Buffer.concat([encodeFrame(Opcode.binary, Buffer.from([0, 65]), false, mask), encodeFrame(Opcode.continuation, Buffer.from([66]), true, mask)]));
  assert.deepEqual(decodeFrames(out[0]!).frames[0], { fin: true, opcode: Opcode.pong, payload: Buffer.from('hi') });
  assert.deepEqual(got, [Buffer.from([0, 65, 66])]);
});

test('exec query and exit status (what kubectl turns into "command terminated with exit code 3")', () => {
  const q = parseExecQuery(new URLSearchParams('command=sh&command=-c&command=exit+3&container=c&stdin=true&stdout=true&tty=true'));
  assert.deepEqual(q, { command: ['sh', '-c', 'exit 3'], container: 'c', stdin: true, stdout: true, stderr: false, tty: true });
  assert.deepEqual(exitStatus(q.command, 0), { metadata: {}, status: 'Success' });
  const s = exitStatus(q.command, 3) as { reason: string; details: { causes: Array<{ reason: string; message: string }> } };
  assert.equal(s.reason, 'NonZeroExitCode');
  assert.deepEqual(s.details.causes, [{ reason: 'ExitCode', message: '3' }]);
});
