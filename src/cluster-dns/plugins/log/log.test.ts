import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeRequest } from '../../plugin/testing.ts';
import { replyTo } from '../../dns/types.ts';
import { combinedFormat, commonFormat, formatLine } from './log.ts';

test('log: common and combined formats', () => {
  const req = makeRequest('Web.test.svc.cluster.local.', 'AAAA', { edns: 1232, do: true, id: 513 });
  const m = replyTo(req.msg, 3);
  m.aa = true;
  const w = { size: 150, msg: m };
  assert.equal(formatLine(commonFormat, req, w, 0.000123),
    '127.0.0.1:40000 - 513 "AAAA IN Web.test.svc.cluster.local. udp 40 true 1232" NXDOMAIN qr,aa,rd 150 0.000123s');
  assert.ok(formatLine(combinedFormat, req, w, 1).endsWith('150 1s "0"'));
  assert.equal(formatLine('{name} {type} {unknown}', req, w, 0), 'Web.test.svc.cluster.local. AAAA {unknown}');
});
