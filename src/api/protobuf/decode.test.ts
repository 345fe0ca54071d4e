import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { StatusError } from '../../machinery/status.ts';
import { MAX_UNKNOWN_FIELDS, decodeKubernetesProtobuf, goDuration, messageDef, parseMessage, supportedKinds } from './decode.ts';
import { PROTOBUF_CONTENT_TYPE, isProtobufContentType } from './index.ts';
import { KINDS, MESSAGES } from './schema.ts';
import { body, entry, f, m, tag, varint } from './test-writer.ts';

const testdata = new URL('./testdata/', import.meta.url);

interface ManifestEntry { name: string; command: string; path: string; contentType: string; file: string; expected?: string }
const manifest = JSON.parse(readFileSync(new URL('manifest.json', testdata), 'utf8')) as ManifestEntry[];

test('golden: bodies captured from kubectl 1.32 decode to the JSON kubectl 1.31 sends', () => {
  assert.ok(manifest.length >= 20, 'manifest lists the captures');
  for (const row of manifest) {
    assert.equal(row.contentType, PROTOBUF_CONTENT_TYPE, `${row.name}: captured as protobuf`);
    assert.ok(row.expected !== undefined, `${row.name}: has an expected JSON`);
    const got = decodeKubernetesProtobuf(readFileSync(new URL(row.file, testdata)));
    const want = JSON.parse(readFileSync(new URL(row.expected, testdata), 'utf8')) as unknown;
    assert.deepStrictEqual(got.object, want, `${row.name} (${row.command})`);
    // Field order follows the Go structs, so even the serialized text matches.
    assert.equal(JSON.stringify(got.object), JSON.stringify(want), `${row.name}: key order`);
    assert.deepEqual(got.unknownFields, [], `${row.name}: no unknown fields`);
  }
});

const POD = (spec: Uint8Array[]): Uint8Array => body('v1', 'Pod', m(f(1, [f(1, 'p')]), f(2, spec)));

test('hand-built messages decode with the JSON shaping rules', () => {
  const rows: Array<{ name: string; body: Uint8Array; want: Record<string, unknown>; unknown?: string[] }> = [
    {
      name: 'zero scalars: pointer kept, omitempty dropped, non-omitempty kept',
      body: body('apps/v1', 'Deployment', m(
        f(1, [f(1, 'd'), f(2, ''), f(7, 0)]),
        f(2, [f(1, 0), f(5, 0), f(6, 0), f(7, false)]),
      )),
      want: { kind: 'Deployment', apiVersion: 'apps/v1', metadata: { name: 'd' }, spec: { replicas: 0, revisionHistoryLimit: 0 } },
    },
    {
      name: 'empty embedded messages are kept as {}',
      body: body('apps/v1', 'Deployment', m(f(1, []), f(2, [f(4, [])]), f(3, []))),
      want: { kind: 'Deployment', apiVersion: 'apps/v1', metadata: {}, spec: { strategy: {} }, status: {} },
    },
    {
      name: 'IntOrString int and string, pointer IntOrString',
      body: body('apps/v1', 'Deployment', m(f(2, [f(4, [f(1, 'RollingUpdate'), f(2, [f(1, [f(1, 1), f(3, '25%')]), f(2, [f(1, 0), f(2, 2)])])])]))),
      want: { kind: 'Deployment', apiVersion: 'apps/v1', spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 2 } } } },
    },
    {
      name: 'service port with targetPort 0 kept (non-pointer IntOrString), nodePort 0 dropped',
      body: body('v1', 'Service', m(f(2, [f(1, [f(1, ''), f(2, 'UDP'), f(3, 53), f(4, []), f(5, 0)])]))),
      want: { kind: 'Service', apiVersion: 'v1', spec: { ports: [{ protocol: 'UDP', port: 53, targetPort: 0 }] } },
    },
    {
      name: 'Time: RFC 3339 seconds, nanos dropped; zero Time omitted; Go zero time omitted',
      body: body('v1', 'ConfigMap', m(f(1, [
        f(8, [f(1, 1767323045), f(2, 999)]),
        f(9, []),
        f(17, [f(1, 'kubectl'), f(4, [f(1, -62135596800n)]), f(6, 'FieldsV1'), f(7, [f(1, '{"f:data":{}}')])]),
      ]))),
      want: {
        kind: 'ConfigMap', apiVersion: 'v1',
        metadata: { creationTimestamp: '2026-01-02T03:04:05Z', managedFields: [{ manager: 'kubectl', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': {} } }] },
      },
    },
    {
      name: 'Time at the Unix epoch is a real time',
      body: body('v1', 'ConfigMap', m(f(1, [f(8, [f(1, 0)])]))),
      want: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { creationTimestamp: '1970-01-01T00:00:00Z' } },
    },
    {
      name: 'MicroTime keeps microseconds; Lease pointer scalars kept at zero',
      body: body('coordination.k8s.io/v1', 'Lease', m(f(1, [f(1, 'l')]), f(2, [f(1, ''), f(2, 0), f(4, [f(1, 1767323045), f(2, 123456789)]), f(5, 0)]))),
      want: {
        kind: 'Lease', apiVersion: 'coordination.k8s.io/v1', metadata: { name: 'l' },
        spec: { holderIdentity: '', leaseDurationSeconds: 0, renewTime: '2026-01-02T03:04:05.123456Z', leaseTransitions: 0 },
      },
    },
    {
      name: 'Secret data bytes become base64; map entries sorted; missing value is zero',
      body: body('v1', 'Secret', m(f(1, [f(1, 's')]), entry(2, 'z', Uint8Array.of(0, 1, 2, 255)), entry(2, 'a', 'hi'), f(2, [f(1, 'empty')]), f(3, 'Opaque'))),
      want: { kind: 'Secret', apiVersion: 'v1', metadata: { name: 's' }, data: { a: 'aGk=', empty: '', z: 'AAEC/w==' }, type: 'Opaque' },
    },
    {
      name: 'map key __proto__ is an ordinary key',
      body: body('v1', 'ConfigMap', m(f(1, [entry(11, '__proto__', 'x')]))),
      want: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { labels: JSON.parse('{"__proto__":"x"}') as Record<string, string> } },
    },
    {
      name: 'duplicate map key: last wins',
      body: body('v1', 'ConfigMap', m(entry(2, 'k', 'one'), entry(2, 'k', 'two'))),
      want: { kind: 'ConfigMap', apiVersion: 'v1', data: { k: 'two' } },
    },
    {
      name: 'resources: Quantity map values; empty Quantity is "0"',
      body: POD([f(2, [f(1, 'c'), f(8, [entry(1, 'cpu', [f(1, '500m')]), entry(2, 'memory', [f(1, '64Mi')]), entry(2, 'ephemeral-storage', [])])])]),
      want: { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', resources: { limits: { cpu: '500m' }, requests: { 'ephemeral-storage': '0', memory: '64Mi' } } }] } },
    },
    {
      name: 'inline volume source and probe handler are flattened',
      body: POD([
        f(1, [f(1, 'cfg'), f(2, [f(19, [f(1, [f(1, 'my-config')]), f(3, 420)])])]),
        f(2, [f(1, 'c'), f(10, [f(1, [f(2, [f(1, '/healthz'), f(2, [f(1, 1), f(3, 'http')])])]), f(2, 3), f(3, 0)])]),
      ]),
      want: {
        kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p' },
        spec: {
          volumes: [{ name: 'cfg', configMap: { name: 'my-config', defaultMode: 420 } }],
          containers: [{ name: 'c', livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, initialDelaySeconds: 3 } }],
        },
      },
    },
    {
      name: 'negative int64 (10-byte varint) and pod-level scalars',
      body: POD([f(2, [f(1, 'c')]), f(3, 'Never'), f(4, -1), f(6, 'ClusterFirst'), f(11, true), f(21, false)]),
      want: { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }], restartPolicy: 'Never', terminationGracePeriodSeconds: -1, dnsPolicy: 'ClusterFirst', automountServiceAccountToken: false, hostNetwork: true } },
    },
    {
      name: 'env, command, args and ports keep order; empty strings inside lists kept',
      body: POD([f(2, [f(1, 'c'), f(2, 'busybox'), f(3, 'sh'), f(3, '-c'), f(4, ''), f(7, [f(1, 'A'), f(2, '1')]), f(7, [f(1, 'B'), f(2, '')]), f(6, [f(3, 8080), f(4, 'TCP')])])]),
      want: {
        kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p' },
        spec: { containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c'], args: [''], ports: [{ containerPort: 8080, protocol: 'TCP' }], env: [{ name: 'A', value: '1' }, { name: 'B' }] }] },
      },
    },
    {
      name: 'a message field given twice merges (proto semantics)',
      body: body('v1', 'Namespace', m(f(1, [f(1, 'a'), entry(11, 'x', '1')]), f(1, [entry(11, 'y', '2'), f(3, '')]))),
      want: { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'a', labels: { x: '1', y: '2' } } },
    },
    {
      name: 'packed and unpacked repeated int32',
      body: body('batch/v1', 'Job', m(f(2, [f(11, [f(1, [f(2, [f(1, 'main'), f(2, 'In'), f(3, Uint8Array.from([...varint(1), ...varint(2)])), f(3, 42)])])])]))),
      want: { kind: 'Job', apiVersion: 'batch/v1', spec: { podFailurePolicy: { rules: [{ onExitCodes: { containerName: 'main', operator: 'In', values: [1, 2, 42] } }] } } },
    },
    {
      name: 'EndpointSlice: pointer bools false kept',
      body: body('discovery.k8s.io/v1', 'EndpointSlice', m(f(1, [f(1, 'web-abc')]), f(4, 'IPv4'), f(2, [f(1, '10.0.0.1'), f(2, [f(1, true), f(2, true), f(3, false)]), f(6, 'node-1')]), f(3, [f(1, 'http'), f(2, 'TCP'), f(3, 8080)]))),
      want: {
        kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', metadata: { name: 'web-abc' }, addressType: 'IPv4',
        endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'node-1' }],
        ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
      },
    },
    {
      name: 'autoscaling/v1 Scale',
      body: body('autoscaling/v1', 'Scale', m(f(1, [f(1, 'web'), f(3, 'default')]), f(2, [f(1, 5)]), f(3, [f(1, 0), f(2, '')]))),
      want: { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 5 }, status: { replicas: 0 } },
    },
    {
      name: 'NetworkPolicy port with IntOrString and pointer endPort',
      body: body('networking.k8s.io/v1', 'NetworkPolicy', m(f(2, [f(1, []), f(2, [f(1, [f(1, 'TCP'), f(2, [f(2, 8000)]), f(3, 9000)])]), f(4, 'Ingress')]))),
      want: { kind: 'NetworkPolicy', apiVersion: 'networking.k8s.io/v1', spec: { podSelector: {}, ingress: [{ ports: [{ protocol: 'TCP', port: 8000, endPort: 9000 }] }], policyTypes: ['Ingress'] } },
    },
    {
      name: 'owner references keep non-omitempty fields',
      body: body('apps/v1', 'ReplicaSet', m(f(1, [f(1, 'rs'), f(13, [f(1, 'Deployment'), f(3, 'web'), f(4, 'uid-1'), f(5, 'apps/v1'), f(6, true)])]))),
      want: { kind: 'ReplicaSet', apiVersion: 'apps/v1', metadata: { name: 'rs', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-1', controller: true }] } },
    },
    {
      name: 'unknown fields are skipped and reported by path',
      body: body('apps/v1', 'Deployment', m(
        f(1, [f(1, 'd'), f(99, 'x')]),
        f(2, [f(3, [f(2, [f(2, [f(1, 'c'), Uint8Array.from([...tag(77, 5), 1, 2, 3, 4])]), f(2, [f(1, 'd'), f(78, 1)])])])]),
        f(9, 1),
      )),
      want: { kind: 'Deployment', apiVersion: 'apps/v1', metadata: { name: 'd' }, spec: { template: { spec: { containers: [{ name: 'c' }, { name: 'd' }] } } } },
      // Top-level unknowns are seen before the embedded messages (decoded at the end) are read.
      unknown: ['#9', 'metadata.#99', 'spec.template.spec.containers[0].#77', 'spec.template.spec.containers[1].#78'],
    },
    {
      name: 'unknown fields: repeated paths reported once, at most MAX_UNKNOWN_FIELDS',
      body: body('v1', 'Namespace', m(...Array.from({ length: 300 }, (_, i) => f(100 + (i % 150), i)))),
      want: { kind: 'Namespace', apiVersion: 'v1' },
      unknown: Array.from({ length: MAX_UNKNOWN_FIELDS }, (_, i) => `#${100 + i}`),
    },
    {
      name: 'invalid UTF-8 in a string becomes U+FFFD (as Go JSON would)',
      body: body('v1', 'ConfigMap', m(entry(2, 'k', Uint8Array.of(0x61, 0xff)))),
      want: { kind: 'ConfigMap', apiVersion: 'v1', data: { k: 'a\ufffd' } },
    },
    {
      name: 'envelope contentEncoding/contentType and unknown envelope fields are ignored',
      body: m(Uint8Array.of(0x6b, 0x38, 0x73, 0x00), f(1, [f(1, 'v1'), f(2, 'Namespace'), f(3, 'x')]), f(2, m(f(1, [f(1, 'n')]))), f(3, 'gzip?'), f(4, 'application/vnd.kubernetes.protobuf'), f(7, 1)),
      want: { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'n' } },
    },
    {
      name: 'empty raw: object with only kind and apiVersion',
      body: body('v1', 'ServiceAccount', new Uint8Array(0)),
      want: { kind: 'ServiceAccount', apiVersion: 'v1' },
    },
  ];
  for (const row of rows) {
    const got = decodeKubernetesProtobuf(row.body);
    assert.deepStrictEqual(got.object, row.want, row.name);
    assert.deepEqual(got.unknownFields, row.unknown ?? [], `${row.name}: unknown fields`);
  }
});

function assertBadRequest(fn: () => unknown, message: RegExp, name: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof StatusError, `${name}: StatusError, got ${String(e)}`);
    assert.equal(e.code, 400, name);
    assert.equal(e.reason, 'BadRequest', name);
    assert.match(e.status.message ?? '', message, name);
    return true;
  }, name);
}

test('bad bodies are 400 BadRequest with a clear message', () => {
  const deployment = readFileSync(new URL('deployment.pb', testdata));
  const rows: Array<{ name: string; body: Uint8Array; message: RegExp }> = [
    { name: 'empty', body: new Uint8Array(0), message: /^empty data$/ },
    { name: 'JSON sent as protobuf', body: Buffer.from('{"kind":"Namespace"}'), message: /does not appear to be a protobuf message, expected prefix \[107 56 115 0\]/ },
    { name: 'short wrong magic', body: Uint8Array.of(0x6b, 0x38), message: /does not appear to be a protobuf message/ },
    { name: 'magic only', body: Uint8Array.of(0x6b, 0x38, 0x73, 0x00), message: /^empty body$/ },
    { name: 'truncated envelope', body: deployment.subarray(0, 20), message: /envelope.*unexpected EOF/ },
    { name: 'truncated object', body: m(Uint8Array.of(0x6b, 0x38, 0x73, 0x00), f(1, [f(1, 'apps/v1'), f(2, 'Deployment')]), f(2, m(f(1, [f(1, 'web')])).subarray(0, 6))), message: /apps\/v1 Deployment: unexpected EOF/ },
    { name: 'missing kind', body: body('v1', '', new Uint8Array(0)), message: /Object 'Kind' is missing/ },
    { name: 'missing apiVersion', body: body('', 'Pod', new Uint8Array(0)), message: /Object 'apiVersion' is missing/ },
    { name: 'unknown kind names the supported kinds', body: body('v1', 'Node', new Uint8Array(0)), message: /no kind "Node" is registered for version "v1".*application\/json.*apps\/v1 Deployment.*v1 Service/ },
    { name: 'known kind, wrong version', body: body('apps/v1beta1', 'Deployment', new Uint8Array(0)), message: /no kind "Deployment" is registered for version "apps\/v1beta1"/ },
    { name: 'wrong wire type for a string', body: body('v1', 'Namespace', m(f(1, [f(1, 5)]))), message: /wrong wireType = 0 for field name/ },
    { name: 'wrong wire type for a message', body: body('v1', 'Namespace', f(1, 7)), message: /wrong wireType = 0 for field metadata/ },
    { name: 'wrong wire type for an int', body: body('apps/v1', 'Deployment', f(2, [f(1, 'x')])), message: /wrong wireType = 2 for field replicas/ },
    { name: 'impossible IntOrString type', body: body('v1', 'Service', f(2, [f(1, [f(4, [f(1, 7)])])])), message: /impossible IntOrString.Type 7/ },
    { name: 'time beyond year 9999', body: body('v1', 'Namespace', f(1, [f(8, [f(1, 253402300800n)])])), message: /time out of range/ },
    { name: 'FieldsV1 not JSON', body: body('v1', 'Namespace', f(1, [f(17, [f(7, [f(1, '{nope')])])])), message: /FieldsV1 is not valid JSON/ },
    { name: 'illegal field number 0', body: body('v1', 'Namespace', Uint8Array.of(0x02, 0x00)), message: /illegal tag 0/ },
  ];
  for (const row of rows) assertBadRequest(() => decodeKubernetesProtobuf(row.body), row.message, row.name);
});

/** xorshift32: a deterministic PRNG so failures reproduce. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

test('fuzz: truncations, random bytes and mutations never crash or hang', () => {
  const rand = prng(0x5eed);
  const int = (n: number): number => Math.floor(rand() * n);
  const goldens = manifest.map((r) => new Uint8Array(readFileSync(new URL(r.file, testdata))));
  let decoded = 0;
  let rejected = 0;
  const tryDecode = (input: Uint8Array, what: string): void => {
    try {
      const r = decodeKubernetesProtobuf(input);
      assert.equal(typeof r.object.kind, 'string', what);
      JSON.stringify(r.object); // must be serializable
      decoded++;
    } catch (e) {
      if (!(e instanceof StatusError) || e.code !== 400) throw new Error(`${what}: unexpected ${String(e)}`, { cause: e });
      rejected++;
    }
  };
  const started = Date.now();
  // Every truncation of every golden file.
  for (const [i, g] of goldens.entries()) {
    for (let n = 0; n < g.length; n++) tryDecode(g.subarray(0, n), `golden ${i} truncated to ${n}`);
  }
  // Random mutations.
  for (let iter = 0; iter < 6000; iter++) {
    const g = goldens[int(goldens.length)] ?? new Uint8Array(0);
    const b = Uint8Array.from(g);
    const kind = int(5);
    let input: Uint8Array = b;
    if (kind === 0) { for (let k = 0; k < 1 + int(4); k++) b[int(b.length)] = int(256); }
    else if (kind === 1) { const at = 4 + int(Math.max(1, b.length - 4)); b[at] = (b[at] ?? 0) ^ (1 << int(8)); }
    else if (kind === 2) { const at = int(b.length); input = m(b.subarray(0, at), Uint8Array.from({ length: 1 + int(8) }, () => int(256)), b.subarray(at)); }
    else if (kind === 3) { const at = int(b.length); input = m(b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + int(8)))); }
    else { input = m(Uint8Array.of(0x6b, 0x38, 0x73, 0x00), Uint8Array.from({ length: int(200) }, () => int(256))); }
    tryDecode(input, `mutation ${iter} (kind ${kind})`);
  }
  assert.ok(decoded > 0 && rejected > 0, `both outcomes seen (decoded ${decoded}, rejected ${rejected})`);
  assert.ok(Date.now() - started < 30_000, 'fuzz finished quickly');
});

test('schema: every message parses and every reference resolves', () => {
  for (const [key, msg] of Object.entries(KINDS)) {
    assert.ok(MESSAGES[msg] !== undefined, `${key} → ${msg}`);
  }
  for (const name of Object.keys(MESSAGES)) {
    const def = messageDef(name);
    const numbers = new Set<number>();
    const jsonNames = new Set<string>();
    for (const fd of def.fields) {
      assert.ok(!numbers.has(fd.no), `${name}: duplicate field number ${fd.no}`);
      numbers.add(fd.no);
      if (!fd.inline) {
        assert.ok(!jsonNames.has(fd.json), `${name}: duplicate json name ${fd.json}`);
        jsonNames.add(fd.json);
      }
      if (fd.value.kind === 'message') assert.ok(MESSAGES[fd.value.name] !== undefined, `${name}.${fd.json} → ${fd.value.name}`);
    }
  }
  assert.deepEqual(supportedKinds().filter((k) => k.startsWith('v1 ')), [
    'v1 ConfigMap', 'v1 Endpoints', 'v1 Namespace', 'v1 Pod', 'v1 ResourceQuota', 'v1 Secret', 'v1 Service', 'v1 ServiceAccount',
  ]);
});

test('schema parser rejects malformed entries', () => {
  const rows: Array<{ name: string; spec: string }> = [
    { name: 'missing number', spec: 'name=:string' },
    { name: 'unknown type', spec: 'name=1:float' },
    { name: 'inline scalar', spec: '...x=1:string' },
    { name: 'inline list', spec: '...x=1:[]a.B' },
  ];
  for (const row of rows) assert.throws(() => parseMessage('t.T', row.spec), /protobuf schema/, row.name);
  assert.deepEqual(parseMessage('t.T', ' a=1:{}Quantity  b=2:int32! ').fields.map((x) => [x.json, x.map, x.keepZero]), [['a', true, false], ['b', false, true]]);
});

test('goDuration matches Go time.Duration.String', () => {
  const rows: Array<[bigint, string]> = [
    [0n, '0s'], [1n, '1ns'], [1100n, '1.1µs'], [2_200_000n, '2.2ms'], [1_000_000_000n, '1s'], [1_500_000_000n, '1.5s'],
    [60_000_000_000n, '1m0s'], [3_600_000_000_000n, '1h0m0s'], [3_723_000_000_000n, '1h2m3s'], [-90_000_000_000n, '-1m30s'],
    [9_223_372_036_854_775_807n, '2562047h47m16.854775807s'],
  ];
  for (const [ns, want] of rows) assert.equal(goDuration(ns), want, String(ns));
});

test('content type helper', () => {
  const rows: Array<[string | undefined, boolean]> = [
    ['application/vnd.kubernetes.protobuf', true], ['Application/VND.Kubernetes.Protobuf; charset=x', true],
    ['application/json', false], [undefined, false], ['application/vnd.kubernetes.protobuf;stream=watch', true],
  ];
  for (const [ct, want] of rows) assert.equal(isProtobufContentType(ct), want, String(ct));
});
