// Fuzzing the codec: random bytes and mutations of real messages never make parseMessage throw,
// and whatever it accepts serializes and parses back to the same records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage, serializeMessage } from './wire.ts';
import { newMessage, Type, Class } from './types.ts';
import { parseRRs, formatRR } from './zonefile.ts';

/** A small deterministic PRNG (mulberry32) so failures reproduce; FUZZ_SEED overrides the seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const seed = Number(process.env['FUZZ_SEED'] ?? 20240601);
const rounds = Number(process.env['FUZZ_ROUNDS'] ?? 20000);

function corpus(): Uint8Array[] {
  const q = newMessage(7);
  q.rd = true;
  q.question.push({ name: '_http._tcp.Web.default.svc.cluster.local.', type: Type.SRV, class: Class.IN });
  q.edns = { udpSize: 1232, version: 0, do: true, options: [{ code: 10, data: new Uint8Array(8) }] };
  const r = structuredClone(q);
  r.qr = true;
  r.aa = true;
  r.answer = parseRRs(`
    _http._tcp.Web.default.svc.cluster.local. 5 IN SRV 0 50 80 web-0.web.default.svc.cluster.local.
    _http._tcp.Web.default.svc.cluster.local. 5 IN SRV 0 50 80 web-1.web.default.svc.cluster.local.
  `);
  r.authority = parseRRs('cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5');
  r.additional = parseRRs(`
    web-0.web.default.svc.cluster.local. 5 IN A 10.244.0.5
    web-1.web.default.svc.cluster.local. 5 IN AAAA fd00::5
    x.example. 5 IN TXT "a" "b"
    x.example. 5 IN MX 1 mail.example.
  `);
  return [serializeMessage(q).bytes, serializeMessage(r).bytes];
}

test(`fuzz: ${rounds} mutated messages never throw and re-encode consistently (seed ${seed})`, () => {
  const rand = prng(seed);
  const base = corpus();
  let accepted = 0;
  for (let i = 0; i < rounds; i++) {
    const src = base[i % base.length] ?? new Uint8Array();
    let buf: Uint8Array;
    const mode = Math.floor(rand() * 4);
    if (mode === 0) {
      buf = new Uint8Array(Math.floor(rand() * 600));
      for (let j = 0; j < buf.length; j++) buf[j] = Math.floor(rand() * 256);
    } else {
      buf = src.slice();
      const flips = 1 + Math.floor(rand() * 8);
      for (let j = 0; j < flips; j++) {
        const at = Math.floor(rand() * buf.length);
        buf[at] = mode === 1 ? Math.floor(rand() * 256) : (buf[at] ?? 0) ^ (1 << Math.floor(rand() * 8));
      }
      if (mode === 3) buf = buf.subarray(0, Math.floor(rand() * buf.length));
    }
    let res;
    try {
      res = parseMessage(buf);
    } catch (err) {
      assert.fail(`parseMessage threw on ${Buffer.from(buf).toString('hex')}: ${String(err)}`);
    }
    if (!res.ok) continue;
    accepted++;
    // Whatever was accepted must serialize (or fail with WireError for unwritable data) and read back the same.
    let again;
    try {
      again = serializeMessage(res.msg).bytes;
    } catch (err) {
      assert.match(String(err), /label|name|address|escape/, `serialize failed on ${Buffer.from(buf).toString('hex')}`);
      continue;
    }
    const back = parseMessage(again);
    assert.ok(back.ok, `re-read failed for ${Buffer.from(buf).toString('hex')}`);
    assert.deepEqual(back.msg.answer.map(formatRR), res.msg.answer.map(formatRR));
    assert.deepEqual(back.msg.question, res.msg.question);
  }
  assert.ok(accepted > 0, 'some mutations should still parse');
});
