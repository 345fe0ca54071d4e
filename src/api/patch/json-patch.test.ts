import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_JSON_PATCH_OPERATIONS, applyJsonPatch, escapeJsonPointerToken, parseJsonPointer } from './json-patch.ts';
import { type JsonValue, cloneJson } from './json.ts';
import { isStatusError } from '../../machinery/status.ts';

interface Row {
  name: string;
  given: { doc: JsonValue; patch: JsonValue };
  want: JsonValue;
}

// RFC 6902 appendix A (A.13, a document with a duplicate "op" member, cannot be expressed once
// parsed; the error cases are in the next table).
const rfcRows: Row[] = [
  {
    name: 'A.1 adding an object member',
    given: { doc: { foo: 'bar' }, patch: [{ op: 'add', path: '/baz', value: 'qux' }] },
    want: { baz: 'qux', foo: 'bar' },
  },
  {
    name: 'A.2 adding an array element',
    given: { doc: { foo: ['bar', 'baz'] }, patch: [{ op: 'add', path: '/foo/1', value: 'qux' }] },
    want: { foo: ['bar', 'qux', 'baz'] },
  },
  {
    name: 'A.3 removing an object member',
    given: { doc: { baz: 'qux', foo: 'bar' }, patch: [{ op: 'remove', path: '/baz' }] },
    want: { foo: 'bar' },
  },
  {
    name: 'A.4 removing an array element',
    given: { doc: { foo: ['bar', 'qux', 'baz'] }, patch: [{ op: 'remove', path: '/foo/1' }] },
    want: { foo: ['bar', 'baz'] },
  },
  {
    name: 'A.5 replacing a value',
    given: { doc: { baz: 'qux', foo: 'bar' }, patch: [{ op: 'replace', path: '/baz', value: 'boo' }] },
    want: { baz: 'boo', foo: 'bar' },
  },
  {
    name: 'A.6 moving a value',
    given: {
      doc: { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
      patch: [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
    },
    want: { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
  },
  {
    name: 'A.7 moving an array element',
    given: { doc: { foo: ['all', 'grass', 'cows', 'eat'] }, patch: [{ op: 'move', from: '/foo/1', path: '/foo/3' }] },
    want: { foo: ['all', 'cows', 'eat', 'grass'] },
  },
  {
    name: 'A.8 testing a value: success',
    given: {
      doc: { baz: 'qux', foo: ['a', 2, 'c'] },
      patch: [{ op: 'test', path: '/baz', value: 'qux' }, { op: 'test', path: '/foo/1', value: 2 }],
    },
    want: { baz: 'qux', foo: ['a', 2, 'c'] },
  },
  {
    name: 'A.10 adding a nested member object',
    given: { doc: { foo: 'bar' }, patch: [{ op: 'add', path: '/child', value: { grandchild: {} } }] },
    want: { foo: 'bar', child: { grandchild: {} } },
  },
  {
    name: 'A.11 ignoring unrecognized elements',
    given: { doc: { foo: 'bar' }, patch: [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }] },
    want: { foo: 'bar', baz: 'qux' },
  },
  {
    name: 'A.14 ~ escape ordering',
    given: { doc: { '/': 9, '~1': 10 }, patch: [{ op: 'test', path: '/~01', value: 10 }] },
    want: { '/': 9, '~1': 10 },
  },
  {
    name: 'A.16 adding an array value',
    given: { doc: { foo: ['bar'] }, patch: [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }] },
    want: { foo: ['bar', ['abc', 'def']] },
  },
];

const kubeRows: Row[] = [
  {
    name: 'add a label whose key needs ~1',
    given: {
      doc: { metadata: { labels: { app: 'web' } } },
      patch: [{ op: 'add', path: '/metadata/labels/app.kubernetes.io~1name', value: 'web' }],
    },
    want: { metadata: { labels: { app: 'web', 'app.kubernetes.io/name': 'web' } } },
  },
  {
    name: 'append a port with -',
    given: {
      doc: { spec: { ports: [{ port: 80 }] } },
      patch: [{ op: 'add', path: '/spec/ports/-', value: { port: 443 } }],
    },
    want: { spec: { ports: [{ port: 80 }, { port: 443 }] } },
  },
  {
    name: 'insert at the end index',
    given: { doc: { a: [1, 2] }, patch: [{ op: 'add', path: '/a/2', value: 3 }] },
    want: { a: [1, 2, 3] },
  },
  {
    name: 'replace replicas after a passing test',
    given: {
      doc: { spec: { replicas: 1 } },
      patch: [{ op: 'test', path: '/spec/replicas', value: 1 }, { op: 'replace', path: '/spec/replicas', value: 3 }],
    },
    want: { spec: { replicas: 3 } },
  },
  {
    name: 'replace of a missing object member sets it (as evanphx/json-patch v4)',
    given: { doc: { metadata: { labels: {} } }, patch: [{ op: 'replace', path: '/metadata/labels/tier', value: 'fe' }] },
    want: { metadata: { labels: { tier: 'fe' } } },
  },
  {
    name: 'negative index counts from the end (as evanphx/json-patch v4)',
    given: { doc: { a: [1, 2, 3] }, patch: [{ op: 'remove', path: '/a/-1' }] },
    want: { a: [1, 2] },
  },
  {
    name: 'copy a map',
    given: { doc: { a: { x: 1 } }, patch: [{ op: 'copy', from: '/a', path: '/b' }, { op: 'replace', path: '/b/x', value: 2 }] },
    want: { a: { x: 1 }, b: { x: 2 } },
  },
  {
    name: 'move to the same path is a no-op',
    given: { doc: { a: 1 }, patch: [{ op: 'move', from: '/a', path: '/a' }] },
    want: { a: 1 },
  },
  {
    name: 'add at the root replaces the document',
    given: { doc: { a: 1 }, patch: [{ op: 'add', path: '', value: { b: 2 } }] },
    want: { b: 2 },
  },
  {
    name: 'test of an object ignores member order',
    given: { doc: { a: { x: 1, y: 2 } }, patch: [{ op: 'test', path: '/a', value: { y: 2, x: 1 } }] },
    want: { a: { x: 1, y: 2 } },
  },
  {
    name: 'remove a finalizer by index',
    given: { doc: { metadata: { finalizers: ['a', 'b'] } }, patch: [{ op: 'remove', path: '/metadata/finalizers/0' }] },
    want: { metadata: { finalizers: ['b'] } },
  },
  { name: 'empty patch', given: { doc: { a: 1 }, patch: [] }, want: { a: 1 } },
];

describe('applyJsonPatch', () => {
  for (const { name, given, want } of [...rfcRows, ...kubeRows]) {
    it(name, () => {
      const before = cloneJson(given.doc);
      assert.deepEqual(applyJsonPatch(given.doc, given.patch), want);
      assert.deepEqual(given.doc, before, 'document must not be mutated');
    });
  }
});

interface ErrorRow {
  name: string;
  given: { doc: JsonValue; patch: JsonValue };
  want: { code: number; reason: string; message: string | RegExp };
}

const errorRows: ErrorRow[] = [
  {
    name: 'A.9 testing a value: error',
    given: { doc: { baz: 'qux' }, patch: [{ op: 'test', path: '/baz', value: 'bar' }] },
    want: { code: 422, reason: 'Invalid', message: 'testing value /baz failed: test failed' },
  },
  {
    name: 'A.12 adding to a nonexistent target',
    given: { doc: { foo: 'bar' }, patch: [{ op: 'add', path: '/baz/bat', value: 'qux' }] },
    want: { code: 422, reason: 'Invalid', message: 'add operation does not apply: doc is missing path: "/baz/bat": missing value' },
  },
  {
    name: 'A.15 comparing strings and numbers',
    given: { doc: { '/': 9, '~1': 10 }, patch: [{ op: 'test', path: '/~01', value: '10' }] },
    want: { code: 422, reason: 'Invalid', message: 'testing value /~01 failed: test failed' },
  },
  {
    name: 'test of a missing member fails',
    given: { doc: { a: 1 }, patch: [{ op: 'test', path: '/b', value: null }] },
    want: { code: 422, reason: 'Invalid', message: 'testing value /b failed: test failed' },
  },
  {
    name: 'remove a missing member',
    given: { doc: { a: 1 }, patch: [{ op: 'remove', path: '/b' }] },
    want: { code: 422, reason: 'Invalid', message: "error in remove for path: '/b': Unable to remove nonexistent key: b: missing value" },
  },
  {
    name: 'add past the end of an array',
    given: { doc: { a: [1] }, patch: [{ op: 'add', path: '/a/5', value: 2 }] },
    want: { code: 422, reason: 'Invalid', message: "error in add for path: '/a/5': Unable to access invalid index: 5: invalid index referenced" },
  },
  {
    name: 'add with a non-numeric array index',
    given: { doc: { a: [1] }, patch: [{ op: 'add', path: '/a/x', value: 2 }] },
    want: { code: 422, reason: 'Invalid', message: "error in add for path: '/a/x': value was not a proper array index: 'x'" },
  },
  {
    name: 'replace past the end of an array',
    given: { doc: { a: [1] }, patch: [{ op: 'replace', path: '/a/1', value: 2 }] },
    want: { code: 422, reason: 'Invalid', message: 'replace operation does not apply: doc is missing key: /a/1: missing value' },
  },
  {
    name: 'move from a missing path',
    given: { doc: { a: 1 }, patch: [{ op: 'move', from: '/x', path: '/b' }] },
    want: { code: 422, reason: 'Invalid', message: 'move operation does not apply: doc is missing from path: /x: missing value' },
  },
  {
    name: 'move into its own child',
    given: { doc: { a: { b: 1 } }, patch: [{ op: 'move', from: '/a', path: '/a/b/c' }] },
    want: { code: 422, reason: 'Invalid', message: 'move operation does not apply: doc is missing destination path: /a/b/c: missing value' },
  },
  {
    name: 'copy from a missing path',
    given: { doc: { a: 1 }, patch: [{ op: 'copy', from: '/x', path: '/b' }] },
    want: { code: 422, reason: 'Invalid', message: 'copy operation does not apply: doc is missing from path: /x: missing value' },
  },
  {
    name: 'unknown op',
    given: { doc: { a: 1 }, patch: [{ op: 'frobnicate', path: '/a' }] },
    want: { code: 422, reason: 'Invalid', message: 'Unexpected kind: frobnicate' },
  },
  {
    name: 'missing op',
    given: { doc: { a: 1 }, patch: [{ path: '/a' }] },
    want: { code: 422, reason: 'Invalid', message: 'Unexpected kind: unknown' },
  },
  {
    name: 'missing path',
    given: { doc: { a: 1 }, patch: [{ op: 'remove' }] },
    want: { code: 422, reason: 'Invalid', message: 'remove operation failed to decode path: operation missing path field: missing value' },
  },
  {
    name: 'missing value',
    given: { doc: { a: 1 }, patch: [{ op: 'add', path: '/b' }] },
    want: { code: 422, reason: 'Invalid', message: 'add operation, missing value field: missing value' },
  },
  {
    name: 'pointer without a leading slash',
    given: { doc: { a: 1 }, patch: [{ op: 'remove', path: 'a' }] },
    want: { code: 422, reason: 'Invalid', message: /invalid JSON pointer "a"/ },
  },
  {
    name: 'a failing later op leaves nothing applied',
    given: { doc: { a: 1 }, patch: [{ op: 'add', path: '/b', value: 2 }, { op: 'test', path: '/a', value: 2 }] },
    want: { code: 422, reason: 'Invalid', message: 'testing value /a failed: test failed' },
  },
  {
    name: 'body is an object, not an array',
    given: { doc: { a: 1 }, patch: { op: 'add', path: '/b', value: 1 } },
    want: { code: 400, reason: 'BadRequest', message: 'json: cannot unmarshal object into Go value of type jsonpatch.Patch' },
  },
  {
    name: 'an operation is not an object',
    given: { doc: { a: 1 }, patch: ['add'] },
    want: { code: 400, reason: 'BadRequest', message: 'json: cannot unmarshal string into Go value of type jsonpatch.Operation' },
  },
  {
    name: 'path is not a string',
    given: { doc: { a: 1 }, patch: [{ op: 'remove', path: 5 }] },
    want: { code: 400, reason: 'BadRequest', message: 'error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.path of type string' },
  },
  {
    name: 'too many operations',
    given: { doc: { a: 1 }, patch: Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({ op: 'test', path: '/a', value: 1 })) },
    want: { code: 413, reason: 'RequestEntityTooLarge', message: 'Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001' },
  },
];

describe('applyJsonPatch errors', () => {
  for (const { name, given, want } of errorRows) {
    it(name, () => {
      const before = cloneJson(given.doc);
      assert.throws(() => applyJsonPatch(given.doc, given.patch), (err: unknown) => {
        assert.ok(isStatusError(err), `not a StatusError: ${String(err)}`);
        assert.equal(err.code, want.code);
        assert.equal(err.reason, want.reason);
        if (typeof want.message === 'string') assert.equal(err.status.message, want.message);
        else assert.match(err.status.message ?? '', want.message);
        return true;
      });
      assert.deepEqual(given.doc, before, 'document must not be mutated');
    });
  }
});

describe('JSON pointers', () => {
  const rows: { name: string; given: string; want: string[] | undefined }[] = [
    { name: 'whole document', given: '', want: [] },
    { name: 'root member with empty name', given: '/', want: [''] },
    { name: 'escapes', given: '/a~1b/m~0n/~01', want: ['a/b', 'm~n', '~1'] },
    { name: 'array index', given: '/spec/ports/0', want: ['spec', 'ports', '0'] },
    { name: 'no leading slash', given: 'spec', want: undefined },
  ];
  for (const { name, given, want } of rows) {
    it(name, () => assert.deepEqual(parseJsonPointer(given), want));
  }
  it('escapeJsonPointerToken round-trips', () => {
    for (const token of ['a/b', 'm~n', '~1', '/~0/', 'plain']) {
      assert.deepEqual(parseJsonPointer(`/${escapeJsonPointerToken(token)}`), [token]);
    }
  });
});
