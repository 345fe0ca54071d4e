import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyJsonMergePatch, mergePatchValue } from './json-merge-patch.ts';
import { type JsonObject, type JsonValue, cloneJson, isJsonObject, jsonEqual } from './json.ts';
import { isStatusError } from '../../machinery/status.ts';
import { createMergePatch, randomObject, rng } from './testing.ts';

describe('mergePatchValue (RFC 7386 appendix A)', () => {
  const rows: { name: string; given: { target: JsonValue; patch: JsonValue }; want: JsonValue }[] = [
    { name: 'replace a member', given: { target: { a: 'b' }, patch: { a: 'c' } }, want: { a: 'c' } },
    { name: 'add a member', given: { target: { a: 'b' }, patch: { b: 'c' } }, want: { a: 'b', b: 'c' } },
    { name: 'null removes a member', given: { target: { a: 'b' }, patch: { a: null } }, want: {} },
    { name: 'null removes only that member', given: { target: { a: 'b', b: 'c' }, patch: { a: null } }, want: { b: 'c' } },
    { name: 'scalar replaces array', given: { target: { a: ['b'] }, patch: { a: 'c' } }, want: { a: 'c' } },
    { name: 'array replaces scalar', given: { target: { a: 'c' }, patch: { a: ['b'] } }, want: { a: ['b'] } },
    { name: 'nested merge with removal', given: { target: { a: { b: 'c' } }, patch: { a: { b: 'd', c: null } } }, want: { a: { b: 'd' } } },
    { name: 'arrays are replaced whole', given: { target: { a: [{ b: 'c' }] }, patch: { a: [1] } }, want: { a: [1] } },
    { name: 'array patch replaces array target', given: { target: ['a', 'b'], patch: ['c', 'd'] }, want: ['c', 'd'] },
    { name: 'array patch replaces object target', given: { target: { a: 'b' }, patch: ['c'] }, want: ['c'] },
    { name: 'null patch replaces everything', given: { target: { a: 'foo' }, patch: null }, want: null },
    { name: 'string patch replaces everything', given: { target: { a: 'foo' }, patch: 'bar' }, want: 'bar' },
    { name: 'null in the target is kept', given: { target: { e: null }, patch: { a: 1 } }, want: { e: null, a: 1 } },
    { name: 'object patch on array target starts from {}', given: { target: [1, 2], patch: { a: 'b', c: null } }, want: { a: 'b' } },
    { name: 'nulls under a new member are dropped', given: { target: {}, patch: { a: { bb: { ccc: null } } } }, want: { a: { bb: {} } } },
    { name: 'nulls inside arrays are kept', given: { target: {}, patch: { a: [null, { b: null }] } }, want: { a: [null, { b: null }] } },
    { name: 'a __proto__ member is plain data', given: { target: {}, patch: JSON.parse('{"__proto__":{"polluted":true}}') as JsonValue }, want: JSON.parse('{"__proto__":{"polluted":true}}') as JsonValue },
  ];
  for (const { name, given, want } of rows) {
    it(name, () => {
      const got = mergePatchValue(given.target, given.patch);
      assert.ok(jsonEqual(got, want), `got ${JSON.stringify(got)}`);
      assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'Object.prototype must not be touched');
    });
  }
});

describe('applyJsonMergePatch (kubectl bodies)', () => {
  const svc: JsonObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web', tier: 'fe' }, resourceVersion: '7' },
    spec: { selector: { app: 'web' }, ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }] },
  };
  const deploy: JsonObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: { replicas: 1, selector: { matchLabels: { app: 'web' } } },
  };
  const rows: { name: string; given: { original: JsonObject; patch: JsonValue }; want: JsonObject }[] = [
    {
      name: 'kubectl label env=prod',
      given: { original: svc, patch: { metadata: { labels: { env: 'prod' } } } },
      want: { ...svc, metadata: { ...(svc['metadata'] as JsonObject), labels: { app: 'web', tier: 'fe', env: 'prod' } } },
    },
    {
      name: 'kubectl label --overwrite tier=be',
      given: { original: svc, patch: { metadata: { labels: { tier: 'be' } } } },
      want: { ...svc, metadata: { ...(svc['metadata'] as JsonObject), labels: { app: 'web', tier: 'be' } } },
    },
    {
      name: 'kubectl label tier- (null removes the label)',
      given: { original: svc, patch: { metadata: { labels: { tier: null } } } },
      want: { ...svc, metadata: { ...(svc['metadata'] as JsonObject), labels: { app: 'web' } } },
    },
    {
      name: 'kubectl annotate on an object without annotations',
      given: { original: svc, patch: { metadata: { annotations: { note: 'x' } } } },
      want: { ...svc, metadata: { ...(svc['metadata'] as JsonObject), annotations: { note: 'x' } } },
    },
    {
      name: 'kubectl scale --replicas=3',
      given: { original: deploy, patch: { spec: { replicas: 3 } } },
      want: { ...deploy, spec: { replicas: 3, selector: { matchLabels: { app: 'web' } } } },
    },
    {
      name: 'patch --type=merge replaces lists whole',
      given: { original: svc, patch: { spec: { ports: [{ port: 443 }] } } },
      want: { ...svc, spec: { selector: { app: 'web' }, ports: [{ port: 443 }] } },
    },
    { name: 'empty patch is a no-op', given: { original: svc, patch: {} }, want: svc },
  ];
  for (const { name, given, want } of rows) {
    it(name, () => {
      const before = cloneJson(given.original);
      const got = applyJsonMergePatch(given.original, given.patch);
      assert.deepEqual(got, want);
      assert.deepEqual(given.original, before, 'original must not be mutated');
    });
  }

  const errorRows: { name: string; given: JsonValue; want: { code: number; message: string } }[] = [
    { name: 'null body', given: null, want: { code: 400, message: 'Invalid JSON Patch' } },
    { name: 'array body', given: [{ op: 'add' }], want: { code: 400, message: 'Invalid JSON Patch' } },
    { name: 'scalar body', given: 5, want: { code: 400, message: 'Invalid JSON Patch' } },
  ];
  for (const { name, given, want } of errorRows) {
    it(`rejects ${name}`, () => {
      assert.throws(() => applyJsonMergePatch(svc, given), (err: unknown) => {
        assert.ok(isStatusError(err));
        assert.equal(err.code, want.code);
        assert.equal(err.status.message, want.message);
        return true;
      });
    });
  }
});

describe('merge patch property: applying diff(a, b) to a gives b', () => {
  it('holds for 500 random object pairs', () => {
    const rand = rng(0x5eed);
    for (let i = 0; i < 500; i++) {
      const a = randomObject(rand, 3);
      const b = rand() < 0.2 ? cloneJson(a) : randomObject(rand, 3);
      const patch = createMergePatch(a, b);
      const got = applyJsonMergePatch(a, patch);
      assert.ok(jsonEqual(got, b), `case ${i}\n a=${JSON.stringify(a)}\n b=${JSON.stringify(b)}\n patch=${JSON.stringify(patch)}\n got=${JSON.stringify(got)}`);
      assert.ok(isJsonObject(got));
    }
  });
  it('holds when the target is a small edit of the source', () => {
    const rand = rng(42);
    for (let i = 0; i < 300; i++) {
      const a = randomObject(rand, 4);
      const b = cloneJson(a);
      for (const k of Object.keys(b)) {
        const r = rand();
        if (r < 0.2) delete b[k];
        else if (r < 0.4) b[k] = randomObject(rand, 2);
      }
      if (rand() < 0.5) b[`new${i}`] = randomObject(rand, 2);
      const got = applyJsonMergePatch(a, createMergePatch(a, b));
      assert.ok(jsonEqual(got, b), `case ${i}`);
    }
  });
});
