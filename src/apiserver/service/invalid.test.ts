// Every row of the invalid-Service table through a Registry wired as the API server wires it:
// the Status code, reason, message and causes must be upstream's, byte for byte, and a rejected
// write must leave no allocation behind.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError, FieldErrorType } from '../../machinery/status.ts';
import { invalidServices, invalidMessage, kubectlInvalidText } from '../../api/service/testdata/invalid-services.ts';
import { newServiceHarness, type ServiceHarness } from './testing.ts';

function usage(h: ServiceHarness): string {
  const ips = [...h.strategy.allocators.ipRanges.values()].map((r) => r.entries().join(' '));
  return `${ips.join(' ')} | ${h.strategy.allocators.nodePorts.entries().join(' ')}`;
}

/** The field error type a cause's message starts with. */
function reasonOf(body: string): string {
  const prefixes: Array<[string, string]> = [
    ['Invalid value', FieldErrorType.Invalid], ['Required value', FieldErrorType.Required], ['Duplicate value', FieldErrorType.Duplicate],
    ['Unsupported value', FieldErrorType.NotSupported], ['Forbidden', FieldErrorType.Forbidden],
  ];
  return prefixes.find(([p]) => body.startsWith(p))?.[1] ?? '?';
}

describe('invalid Services answer as kube-apiserver does', () => {
  assert.ok(invalidServices.length >= 30, 'at least 30 rows');
  for (const tc of invalidServices) {
    test(tc.name, async () => {
      const h = await newServiceHarness();
      for (const e of tc.existing ?? []) await h.create(e);
      const ns = tc.given.metadata.namespace ?? 'default';
      const name = tc.given.metadata.name ?? '';
      let op: () => Promise<unknown>;
      if (tc.mutate !== undefined) {
        const mutate = tc.mutate;
        await h.create(tc.given);
        op = () => h.edit(ns, name, mutate);
      } else {
        op = () => h.create(tc.given);
      }
      const before = usage(h);
      const err = await op().then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof StatusError, `want a StatusError, got ${String(err)}`);
      const st = err.status;
      const code = tc.want.code ?? 422;
      assert.equal(st.code, code, st.message);
      if (code === 422) {
        const causes = tc.want.causes ?? [];
        assert.equal(st.reason, 'Invalid');
        assert.deepEqual(
          (st.details?.causes ?? []).map((c) => `${c.field ?? ''}: ${c.message}`),
          causes,
        );
        assert.deepEqual((st.details?.causes ?? []).map((c) => c.reason), causes.map((c) => reasonOf(c.slice(c.indexOf(': ') + 2))));
        assert.equal(st.message, tc.want.message ?? invalidMessage('Service', name, causes));
        assert.equal(st.details?.kind, 'Service');
        assert.equal(st.details?.name, name);
        assert.equal(st.details?.group, undefined, 'core group is omitted');
      } else {
        assert.equal(st.message, tc.want.message);
      }
      if (tc.want.kubectl !== undefined) assert.equal(kubectlInvalidText(st), tc.want.kubectl);
      assert.equal(usage(h), before, 'a rejected write leaves the allocators as they were');
    });
  }
});
