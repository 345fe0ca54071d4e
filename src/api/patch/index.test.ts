import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyPatch, patchMediaType, patchTypeFor } from './index.ts';
import type { JsonObject, JsonValue } from './json.ts';
import { isStatusError } from '../../machinery/status.ts';

const svc: JsonObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
  spec: { ports: [{ port: 80, protocol: 'TCP' }, { port: 443, protocol: 'TCP' }], selector: { app: 'web' } },
};
const route: JsonObject = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'r', namespace: 'default' },
  spec: { hostnames: ['a.example'], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] },
};
const scale: JsonObject = {
  apiVersion: 'autoscaling/v1',
  kind: 'Scale',
  metadata: { name: 'web', namespace: 'default' },
  spec: { replicas: 1 },
  status: { replicas: 1, selector: 'app=web' },
};

interface Row {
  name: string;
  given: { contentType: string; original: JsonObject; body: unknown };
  want: JsonValue;
}

const withSpec = (o: JsonObject, spec: JsonObject): JsonObject => ({ ...o, spec });

const rows: Row[] = [
  {
    name: 'merge patch (kubectl label)',
    given: { contentType: 'application/merge-patch+json', original: svc, body: { metadata: { labels: { tier: 'fe' } } } },
    want: { ...svc, metadata: { name: 'web', namespace: 'default', labels: { app: 'web', tier: 'fe' } } },
  },
  {
    name: 'merge patch replaces lists',
    given: { contentType: 'application/merge-patch+json', original: svc, body: { spec: { ports: [{ port: 8080 }] } } },
    want: withSpec(svc, { ports: [{ port: 8080 }], selector: { app: 'web' } }),
  },
  {
    name: 'merge patch on the scale subresource (kubectl scale)',
    given: { contentType: 'application/merge-patch+json', original: scale, body: '{"spec":{"replicas":3}}' },
    want: { ...scale, spec: { replicas: 3 } },
  },
  {
    name: 'strategic merge patch merges ports by port',
    given: { contentType: 'application/strategic-merge-patch+json', original: svc, body: { spec: { ports: [{ port: 443, name: 'https' }] } } },
    want: withSpec(svc, { ports: [{ port: 80, protocol: 'TCP' }, { port: 443, protocol: 'TCP', name: 'https' }], selector: { app: 'web' } }),
  },
  {
    name: 'strategic merge patch with a charset parameter and raw bytes',
    given: {
      contentType: 'application/strategic-merge-patch+json; charset=utf-8',
      original: svc,
      body: new TextEncoder().encode('{"spec":{"ports":[{"$patch":"delete","port":80}]}}'),
    },
    want: withSpec(svc, { ports: [{ port: 443, protocol: 'TCP' }], selector: { app: 'web' } }),
  },
  {
    name: 'strategic merge patch with a null body is a no-op',
    given: { contentType: 'application/strategic-merge-patch+json', original: svc, body: 'null' },
    want: svc,
  },
  {
    name: 'JSON patch',
    given: { contentType: 'application/json-patch+json', original: svc, body: [{ op: 'replace', path: '/spec/ports/0/port', value: 81 }] },
    want: withSpec(svc, { ports: [{ port: 81, protocol: 'TCP' }, { port: 443, protocol: 'TCP' }], selector: { app: 'web' } }),
  },
  {
    name: 'merge patch on a custom resource',
    given: { contentType: 'application/merge-patch+json', original: route, body: { spec: { hostnames: ['b.example'] } } },
    want: withSpec(route, { hostnames: ['b.example'], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] }),
  },
];

describe('applyPatch', () => {
  for (const { name, given, want } of rows) {
    it(name, () => {
      const before = structuredClone(given.original);
      const o = given.original;
      const got = applyPatch(given.contentType, o, given.body, String(o['apiVersion']), String(o['kind']));
      assert.deepEqual(got, want);
      assert.deepEqual(given.original, before, 'original must not be mutated');
    });
  }

  it('treats undefined members of the original as absent', () => {
    const original = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: undefined }, data: { a: '1' } };
    const got = applyPatch('application/merge-patch+json', original, { data: { b: '2' } }, 'v1', 'ConfigMap');
    assert.deepEqual(got, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1', b: '2' } });
  });
});

interface ErrorRow {
  name: string;
  given: { contentType: string; original: JsonObject; body: unknown };
  want: { code: number; reason: string; message: string | RegExp };
}

const errorRows: ErrorRow[] = [
  {
    name: 'server-side apply',
    given: { contentType: 'application/apply-patch+yaml', original: svc, body: '{}' },
    want: { code: 415, reason: 'UnsupportedMediaType', message: /server-side apply .* is not supported yet.*kubectl apply/ },
  },
  {
    name: 'strategic merge patch on a custom resource',
    given: { contentType: 'application/strategic-merge-patch+json', original: route, body: { spec: {} } },
    want: {
      code: 415,
      reason: 'UnsupportedMediaType',
      message: 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json',
    },
  },
  {
    name: 'an unknown content type',
    given: { contentType: 'application/json', original: svc, body: {} },
    want: {
      code: 415,
      reason: 'UnsupportedMediaType',
      message: 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json',
    },
  },
  {
    name: 'a body that is not JSON',
    given: { contentType: 'application/merge-patch+json', original: svc, body: '{"spec":' },
    want: { code: 400, reason: 'BadRequest', message: /^error decoding patch: / },
  },
  {
    name: 'a strategic merge patch that is a list',
    given: { contentType: 'application/strategic-merge-patch+json', original: svc, body: [] },
    want: { code: 400, reason: 'BadRequest', message: 'json: cannot unmarshal array into Go value of type map[string]interface {}' },
  },
  {
    name: 'a JSON patch that leaves no object',
    given: { contentType: 'application/json-patch+json', original: svc, body: [{ op: 'replace', path: '', value: [1] }] },
    want: { code: 422, reason: 'Invalid', message: /^the patched document is an array/ },
  },
  {
    name: 'a failed JSON patch test',
    given: { contentType: 'application/json-patch+json', original: svc, body: [{ op: 'test', path: '/metadata/name', value: 'db' }] },
    want: { code: 422, reason: 'Invalid', message: 'testing value /metadata/name failed: test failed' },
  },
];

describe('applyPatch errors', () => {
  for (const { name, given, want } of errorRows) {
    it(name, () => {
      const o = given.original;
      assert.throws(() => applyPatch(given.contentType, o, given.body, String(o['apiVersion']), String(o['kind'])), (err: unknown) => {
        assert.ok(isStatusError(err), String(err));
        assert.equal(err.code, want.code);
        assert.equal(err.reason, want.reason);
        if (typeof want.message === 'string') assert.equal(err.status.message, want.message);
        else assert.match(err.status.message ?? '', want.message);
        return true;
      });
    });
  }
});

describe('content types', () => {
  const rows: { name: string; given: string; want: string }[] = [
    { name: 'plain', given: 'application/merge-patch+json', want: 'application/merge-patch+json' },
    { name: 'with charset', given: 'application/json-patch+json; charset=utf-8', want: 'application/json-patch+json' },
    { name: 'odd case and spaces', given: ' Application/Strategic-Merge-Patch+JSON ', want: 'application/strategic-merge-patch+json' },
  ];
  for (const { name, given, want } of rows) it(name, () => assert.equal(patchMediaType(given), want));

  it('patchTypeFor', () => {
    assert.equal(patchTypeFor('application/json-patch+json', 'v1', 'Service'), 'json');
    assert.equal(patchTypeFor('application/merge-patch+json', 'v1', 'Service'), 'merge');
    assert.equal(patchTypeFor('application/strategic-merge-patch+json', 'v1', 'Service'), 'strategic');
  });
});
