// The whole query path, fuzzed without sockets: random and mutated packets through a kubeadm-like
// chain never throw, and every reply that comes back is a readable response to the same id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QueryHandler } from './handle.ts';
import { blocksFrom, fakeEnv, seededRandom } from '../plugin/testing.ts';
import { fixtureCluster } from '../plugins/kubernetes/testdata.ts';
import { parseMessage, serializeMessage } from '../dns/wire.ts';
import { Class, newMessage, Type } from '../dns/types.ts';

const corefile = `.:53 {
    errors
    log
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
    }
    hosts {
       10.1.72.80 oauth.abc.com
       fallthrough
    }
    cache 30
    loadbalance
}`;

test('query path fuzz: 20000 packets, no throw, replies readable and matching', async () => {
  const env = fakeEnv({ cluster: fixtureCluster(), files: { '/etc/hosts': '' } });
  const h = new QueryHandler(blocksFrom(corefile, env), (err) => { throw err; });
  const rand = seededRandom(Number(process.env['FUZZ_SEED'] ?? 5));
  const names = ['web.test.svc.cluster.local.', '_http._tcp.web.test.svc.cluster.local.', 'db.test.svc.cluster.local.', '20.0.96.10.in-addr.arpa.', 'oauth.abc.com.', 'cluster.local.'];
  const types = [Type.A, Type.AAAA, Type.SRV, Type.PTR, Type.TXT, Type.ANY, Type.AXFR, 65280];
  let replies = 0;
  for (let i = 0; i < 20000; i++) {
    const q = newMessage(i & 0xffff);
    q.question.push({ name: names[i % names.length] ?? '.', type: types[i % types.length] ?? 1, class: Class.IN });
    if (i % 3 === 0) q.edns = { udpSize: 512 + (i % 4000), version: 0, do: i % 2 === 0, options: [] };
    const buf = serializeMessage(q).bytes.slice();
    const flips = i % 5;
    for (let j = 0; j < flips; j++) buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
    const out = await h.handle(buf, i % 7 === 0 ? 'tcp' : 'udp', { address: '127.0.0.1', port: 1, family: 4 });
    if (out === undefined) continue;
    replies++;
    const r = parseMessage(out);
    assert.ok(r.ok, `unreadable reply to ${Buffer.from(buf).toString('hex')}`);
    assert.equal(r.msg.qr, true);
    assert.equal(r.msg.id, (buf[0]! << 8) | buf[1]!);
    if (i % 7 !== 0) assert.ok(out.length <= Math.max(512, r.msg.edns?.udpSize ?? 512));
  }
  assert.ok(replies > 15000);
});
