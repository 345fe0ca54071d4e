import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage, serializeMessage, headerOnlyReply } from './wire.ts';
import { newMessage, Type, Class, type Message } from './types.ts';
import { parseRRs, formatRR } from './zonefile.ts';

function hex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}

function query(name: string, type: number, edns?: number): Message {
  const m = newMessage(0x1234);
  m.rd = true;
  m.question.push({ name, type, class: Class.IN });
  if (edns !== undefined) m.edns = { udpSize: edns, version: 0, do: false, options: [] };
  return m;
}

test('a query serializes to the bytes dig sends', () => {
  const { bytes } = serializeMessage(query('example.com.', Type.A));
  assert.equal(Buffer.from(bytes).toString('hex'),
    '123401000001000000000000' + '076578616d706c6503636f6d00' + '00010001');
});

test('names are compressed against earlier names, case-sensitively', () => {
  const m = query('Web.default.svc.cluster.local.', Type.A);
  m.qr = true;
  m.answer = parseRRs(`
    Web.default.svc.cluster.local. 5 IN A 10.96.0.20
    db.default.svc.cluster.local. 5 IN CNAME Web.default.svc.cluster.local.
  `);
  const { bytes } = serializeMessage(m);
  const b = Buffer.from(bytes);
  // question name at 12; first answer owner is a pointer to it (0xc00c)
  const qEnd = 12 + 'Web.default.svc.cluster.local.'.length + 1 + 4;
  assert.equal(b.readUInt16BE(qEnd), 0xc00c);
  // second owner: "db" then a pointer to "default.svc..." at offset 12 + 4
  const second = qEnd + 2 + 10 + 4;
  assert.equal(b[second], 2);
  assert.equal(b.readUInt16BE(second + 3), 0xc000 | (12 + 4));
  const back = parseMessage(bytes);
  assert.ok(back.ok);
  assert.deepEqual(back.msg.answer.map(formatRR), m.answer.map(formatRR));
});

const roundTrip: { name: string; records: string }[] = [
  { name: 'A and AAAA', records: 'a.example. 30 IN A 192.0.2.1\na.example. 30 IN AAAA 2001:db8::1' },
  { name: 'SOA', records: 'cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1700000000 7200 1800 86400 5' },
  { name: 'SRV keeps an uncompressed target', records: '_http._tcp.web.default.svc.cluster.local. 5 IN SRV 0 100 80 web.default.svc.cluster.local.' },
  { name: 'TXT with several strings and escapes', records: 'dns-version.cluster.local. 28800 IN TXT "1.1.0" "a \\"quoted\\" one" "\\255x"' },
  { name: 'MX, NS, PTR, CNAME', records: 'x. 1 IN MX 10 mail.x.\nx. 1 IN NS ns.x.\n1.0.0.10.in-addr.arpa. 1 IN PTR x.\ny.x. 1 IN CNAME x.' },
  { name: 'unknown type as RFC 3597 bytes', records: 'x. 1 IN TYPE65280 \\# 3 abcdef' },
  { name: 'escaped labels', records: 'a\\.b.c\\032d.example. 1 IN A 192.0.2.9' },
  { name: 'HINFO', records: 'h.example. 1 IN HINFO "cpu" "os"' },
];

for (const c of roundTrip) {
  test(`round trip: ${c.name}`, () => {
    const m = query('x.', Type.ANY, 1232);
    m.qr = true;
    m.answer = parseRRs(c.records);
    const r = parseMessage(serializeMessage(m).bytes);
    assert.ok(r.ok, r.ok ? '' : r.error);
    assert.deepEqual(r.msg.answer.map(formatRR), c.records.split('\n').map((l) => parseRRs(l).map(formatRR)[0]));
    assert.deepEqual(r.msg.edns, m.edns);
  });
}

test('EDNS: extended rcode, DO bit and options survive a round trip', () => {
  const m = query('x.', Type.A, 4096);
  m.qr = true;
  m.rcode = 16; // BADVERS needs the OPT's upper bits
  m.edns = { udpSize: 4096, version: 0, do: true, options: [{ code: 10, data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) }] };
  const r = parseMessage(serializeMessage(m).bytes);
  assert.ok(r.ok);
  assert.equal(r.msg.rcode, 16);
  assert.deepEqual(r.msg.edns, m.edns);
});

test('truncation: answers that do not fit are cut, TC set, OPT kept', () => {
  const m = query('many.example.', Type.A, 512);
  m.qr = true;
  for (let i = 0; i < 100; i++) m.answer.push({ name: 'many.example.', ttl: 5, class: 1, type: 'A', address: `10.0.${i >> 8}.${i & 255}` });
  const { bytes, truncated } = serializeMessage(m, 512);
  assert.ok(bytes.length <= 512);
  assert.ok(truncated);
  const r = parseMessage(bytes);
  assert.ok(r.ok);
  assert.ok(r.msg.tc);
  assert.ok(r.msg.answer.length > 20 && r.msg.answer.length < 100);
  assert.equal(r.msg.edns?.udpSize, 512);
});

test('truncation in the additional section alone does not set TC', () => {
  const m = query('srv.example.', Type.SRV);
  m.qr = true;
  m.answer = parseRRs('srv.example. 5 IN SRV 0 100 80 t.example.');
  for (let i = 0; i < 60; i++) m.additional.push({ name: `t${i}.example.`, ttl: 5, class: 1, type: 'A', address: `10.0.0.${i}` });
  const { bytes, truncated } = serializeMessage(m, 512);
  const r = parseMessage(bytes);
  assert.ok(r.ok);
  assert.ok(truncated);
  assert.equal(r.msg.tc, false);
  assert.equal(r.msg.answer.length, 1);
});

const malformed: { name: string; bytes: string; header: boolean; error: RegExp }[] = [
  { name: 'empty', bytes: '', header: false, error: /shorter than a header/ },
  { name: 'short header', bytes: '1234 0100 0001', header: false, error: /shorter than a header/ },
  { name: 'question missing', bytes: '1234 0100 0001 0000 0000 0000', header: true, error: /counts exceed|truncated|past/ },
  { name: 'pointer loop', bytes: '1234 0100 0001 0000 0000 0000 c00c 0001 0001', header: true, error: /backwards/ },
  { name: 'forward pointer', bytes: '1234 0100 0001 0000 0000 0000 c00e 0001 0001 00', header: true, error: /backwards/ },
  { name: 'label past the end', bytes: '1234 0100 0001 0000 0000 0000 05616263 0001', header: true, error: /past the end|truncated/ },
  { name: 'reserved label type', bytes: '1234 0100 0001 0000 0000 0000 4100 0001 0001', header: true, error: /label type/ },
  { name: 'trailing garbage', bytes: '1234 0100 0001 0000 0000 0000 00 0001 0001 ff', header: true, error: /after the last record/ },
  { name: 'A with 3 bytes', bytes: '1234 8100 0000 0001 0000 0000 00 0001 0001 00000005 0003 0a0000', header: true, error: /A record with 3 bytes/ },
  { name: 'two OPT records', bytes: '1234 0100 0000 0000 0000 0002 00 0029 1000 00000000 0000 00 0029 1000 00000000 0000', header: true, error: /more than one OPT/ },
  { name: 'OPT in the answer', bytes: '1234 0100 0000 0001 0000 0000 00 0029 1000 00000000 0000', header: true, error: /outside the additional/ },
  { name: 'huge counts', bytes: '1234 0100 ffff ffff ffff ffff 00', header: true, error: /counts exceed/ },
];

for (const c of malformed) {
  test(`malformed: ${c.name}`, () => {
    const r = parseMessage(hex(c.bytes));
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.match(r.error, c.error);
    assert.equal(r.header !== undefined, c.header);
    if (r.header !== undefined) assert.equal(r.header.id, 0x1234);
  });
}

test('name longer than 255 bytes is refused when reading and writing', () => {
  const long = `${Array.from({ length: 5 }, () => 'a'.repeat(60)).join('.')}.`;
  const m = query(long, Type.A);
  assert.throws(() => serializeMessage(m), /longer than 255/);
  const labels = Array.from({ length: 5 }, () => '3c' + '61'.repeat(60)).join('');
  const r = parseMessage(hex(`1234 0100 0001 0000 0000 0000 ${labels}00 0001 0001`));
  assert.equal(r.ok, false);
});

test('header-only FORMERR reply', () => {
  const b = headerOnlyReply({ id: 0xbeef, opcode: 0, rd: true }, 1);
  const r = parseMessage(b);
  assert.ok(r.ok);
  assert.equal(r.msg.id, 0xbeef);
  assert.equal(r.msg.qr, true);
  assert.equal(r.msg.rd, true);
  assert.equal(r.msg.rcode, 1);
});
