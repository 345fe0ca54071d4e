import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyStrategicMergePatch } from './strategic-merge-patch.ts';
import { applyJsonMergePatch } from './json-merge-patch.ts';
import { GENERIC_SCHEMA, type PatchSchema, schemaFor } from './merge-keys.ts';
import { type JsonObject, type JsonValue, cloneJson, jsonEqual } from './json.ts';
import { isStatusError } from '../../machinery/status.ts';
import { createMergePatch, randomObject, rng } from './testing.ts';

function schema(apiVersion: string, kind: string): PatchSchema {
  const s = schemaFor(apiVersion, kind);
  assert.ok(s, `no schema for ${apiVersion} ${kind}`);
  return s;
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

// ---- the bodies kubectl 1.32 sends (apiserver.md §1.6, §1.7, §2) ----

const liveService: JsonObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: {
    name: 'web',
    namespace: 'default',
    uid: '6c9d1b9e-0000-4000-8000-000000000001',
    resourceVersion: '41',
    creationTimestamp: '2025-01-01T00:00:00Z',
    labels: { app: 'web' },
    annotations: { [LAST_APPLIED]: '{"old":true}\n' },
  },
  spec: {
    type: 'ClusterIP',
    clusterIP: '10.96.12.7',
    clusterIPs: ['10.96.12.7'],
    ipFamilies: ['IPv4'],
    ipFamilyPolicy: 'SingleStack',
    sessionAffinity: 'None',
    internalTrafficPolicy: 'Cluster',
    selector: { app: 'web' },
    ports: [
      { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 },
      { name: 'https', port: 443, protocol: 'TCP', targetPort: 8443 },
    ],
  },
  status: { loadBalancer: {} },
};

const liveDeployment: JsonObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', generation: 1, annotations: { [LAST_APPLIED]: '{"old":true}\n' } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          {
            name: 'c',
            image: 'nginx:1',
            env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }],
            ports: [{ containerPort: 80, protocol: 'TCP' }],
            volumeMounts: [{ name: 'v1', mountPath: '/data' }],
            imagePullPolicy: 'IfNotPresent',
            terminationMessagePath: '/dev/termination-log',
          },
        ],
        volumes: [{ name: 'v1', emptyDir: {} }],
        restartPolicy: 'Always',
        dnsPolicy: 'ClusterFirst',
      },
    },
  },
  status: { replicas: 2, conditions: [{ type: 'Available', status: 'True' }] },
};

interface Row {
  name: string;
  given: { original: JsonObject; patch: JsonObject; schema: PatchSchema };
  want: JsonObject;
}

const kubectlRows: Row[] = [
  {
    name: 'apply: Service drops port 80 and adds 9090 ($setElementOrder/ports, $patch: delete)',
    given: {
      original: liveService,
      schema: schema('v1', 'Service'),
      patch: {
        metadata: { annotations: { [LAST_APPLIED]: '{"new":true}\n' }, labels: { tier: 'fe' } },
        spec: {
          '$setElementOrder/ports': [{ port: 443 }, { port: 9090 }],
          ports: [{ name: 'metrics', port: 9090, targetPort: 9090 }, { $patch: 'delete', port: 80 }],
        },
      },
    },
    want: {
      ...liveService,
      metadata: {
        ...(liveService['metadata'] as JsonObject),
        labels: { app: 'web', tier: 'fe' },
        annotations: { [LAST_APPLIED]: '{"new":true}\n' },
      },
      spec: {
        ...(liveService['spec'] as JsonObject),
        ports: [
          { name: 'https', port: 443, protocol: 'TCP', targetPort: 8443 },
          { name: 'metrics', port: 9090, targetPort: 9090 },
        ],
      },
    },
  },
  {
    name: 'apply: Deployment Recreate, env A removed, port 81 added, volume emptyDir→configMap',
    given: {
      original: liveDeployment,
      schema: schema('apps/v1', 'Deployment'),
      patch: {
        metadata: { annotations: { [LAST_APPLIED]: '{"new":true}\n' } },
        spec: {
          strategy: { $retainKeys: ['type'], rollingUpdate: null, type: 'Recreate' },
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'c' }],
              '$setElementOrder/volumes': [{ name: 'v1' }],
              containers: [
                {
                  '$setElementOrder/env': [{ name: 'B' }],
                  '$setElementOrder/ports': [{ containerPort: 80 }, { containerPort: 81 }],
                  env: [{ $patch: 'delete', name: 'A' }],
                  image: 'nginx:2',
                  name: 'c',
                  ports: [{ containerPort: 81 }],
                },
              ],
              volumes: [{ $retainKeys: ['configMap', 'name'], configMap: { name: 'cm' }, emptyDir: null, name: 'v1' }],
            },
          },
        },
      },
    },
    want: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default', generation: 1, annotations: { [LAST_APPLIED]: '{"new":true}\n' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        strategy: { type: 'Recreate' },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              {
                name: 'c',
                image: 'nginx:2',
                env: [{ name: 'B', value: '2' }],
                ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 81 }],
                volumeMounts: [{ name: 'v1', mountPath: '/data' }],
                imagePullPolicy: 'IfNotPresent',
                terminationMessagePath: '/dev/termination-log',
              },
            ],
            volumes: [{ name: 'v1', configMap: { name: 'cm' } }],
            restartPolicy: 'Always',
            dnsPolicy: 'ClusterFirst',
          },
        },
      },
      status: { replicas: 2, conditions: [{ type: 'Available', status: 'True' }] },
    },
  },
  {
    name: 'rollout restart: annotation on the pod template',
    given: {
      original: liveDeployment,
      schema: schema('apps/v1', 'Deployment'),
      patch: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-03-01T10:00:00Z' } } } } },
    },
    want: (() => {
      const d = cloneJson(liveDeployment);
      ((d['spec'] as JsonObject)['template'] as JsonObject)['metadata'] = {
        labels: { app: 'web' },
        annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-03-01T10:00:00Z' },
      };
      return d;
    })(),
  },
  {
    name: 'set image: container matched by name, nothing else touched',
    given: {
      original: liveDeployment,
      schema: schema('apps/v1', 'Deployment'),
      patch: { spec: { template: { spec: { containers: [{ image: 'nginx:3', name: 'c' }] } } } },
    },
    want: (() => {
      const d = cloneJson(liveDeployment);
      const c = (((d['spec'] as JsonObject)['template'] as JsonObject)['spec'] as JsonObject)['containers'] as JsonObject[];
      (c[0] as JsonObject)['image'] = 'nginx:3';
      return d;
    })(),
  },
  {
    name: 'edit (2-way): image, env removal, label, finalizer removal',
    given: {
      original: {
        ...liveDeployment,
        metadata: { ...(liveDeployment['metadata'] as JsonObject), finalizers: ['example.com/a', 'example.com/b'] },
      },
      schema: schema('apps/v1', 'Deployment'),
      patch: {
        metadata: {
          '$deleteFromPrimitiveList/finalizers': ['example.com/b'],
          '$setElementOrder/finalizers': ['example.com/a'],
          labels: { tier: 'fe' },
        },
        spec: {
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'c' }],
              containers: [{ '$setElementOrder/env': [{ name: 'B' }], env: [{ $patch: 'delete', name: 'A' }], image: 'nginx:3', name: 'c' }],
            },
          },
        },
      },
    },
    want: (() => {
      const d = cloneJson(liveDeployment);
      d['metadata'] = { ...(d['metadata'] as JsonObject), finalizers: ['example.com/a'], labels: { tier: 'fe' } };
      const c = ((((d['spec'] as JsonObject)['template'] as JsonObject)['spec'] as JsonObject)['containers'] as JsonObject[])[0] as JsonObject;
      c['image'] = 'nginx:3';
      c['env'] = [{ name: 'B', value: '2' }];
      return d;
    })(),
  },
];

describe('applyStrategicMergePatch: kubectl bodies', () => {
  for (const { name, given, want } of kubectlRows) {
    it(name, () => {
      const before = { original: cloneJson(given.original), patch: cloneJson(given.patch) };
      const got = applyStrategicMergePatch(given.original, given.patch, given.schema);
      assert.deepEqual(got, want);
      assert.deepEqual(given.original, before.original, 'original must not be mutated');
      assert.deepEqual(given.patch, before.patch, 'patch must not be mutated');
    });
  }

  it('applying the same apply patch twice is idempotent (next apply is "unchanged")', () => {
    const { given } = kubectlRows[0] as Row;
    const once = applyStrategicMergePatch(given.original, given.patch, given.schema);
    const twice = applyStrategicMergePatch(once, given.patch, given.schema);
    assert.deepEqual(twice, once);
  });
});

// ---- directives and list semantics, on real kinds ----

const podSchema = schema('v1', 'Pod');
const nodeSchema = schema('v1', 'Node');
const pdbSchema = schema('policy/v1', 'PodDisruptionBudget');

const pod = (containers: JsonValue[], extra: JsonObject = {}): JsonObject => ({ spec: { containers, ...extra } });
const names = (...n: string[]): JsonObject[] => n.map((name) => ({ name }));

const directiveRows: Row[] = [
  {
    name: 'maps merge key by key; null deletes; a null for a missing key is ignored',
    given: { original: { metadata: { labels: { a: '1', b: '2' } } }, patch: { metadata: { labels: { a: null, c: '3', zz: null } } }, schema: podSchema },
    want: { metadata: { labels: { b: '2', c: '3' } } },
  },
  {
    name: 'lists without a strategy are replaced whole',
    given: { original: { spec: { nodeSelector: { a: 'b' }, tolerations: [{ key: 'x' }, { key: 'y' }] } }, patch: { spec: { tolerations: [{ key: 'z' }] } }, schema: podSchema },
    want: { spec: { nodeSelector: { a: 'b' }, tolerations: [{ key: 'z' }] } },
  },
  {
    name: 'merge list: element merged by key, live order kept',
    given: { original: pod([{ name: 'a', image: '1' }, { name: 'b', image: '1' }]), patch: pod([{ name: 'b', image: '2' }]), schema: podSchema },
    want: pod([{ name: 'a', image: '1' }, { name: 'b', image: '2' }]),
  },
  {
    name: 'merge list without $setElementOrder: a new element goes first (patch order beats live order)',
    given: { original: pod(names('a', 'b')), patch: pod(names('c')), schema: podSchema },
    want: pod(names('c', 'a', 'b')),
  },
  {
    name: 'merge list without $setElementOrder: patch elements keep patch order, server-only ones slot in by live order',
    given: { original: pod(names('1', '2', '3')), patch: pod([{ name: '3', image: 'x' }, { name: '1', image: 'y' }]), schema: podSchema },
    want: pod([{ name: '2' }, { name: '3', image: 'x' }, { name: '1', image: 'y' }]),
  },
  {
    name: '$setElementOrder appends a new element where the order says',
    given: { original: pod(names('a', 'b')), patch: { spec: { '$setElementOrder/containers': names('a', 'b', 'c'), containers: names('c') } }, schema: podSchema },
    want: pod(names('a', 'b', 'c')),
  },
  {
    name: '$setElementOrder alone reorders',
    given: { original: pod(names('a', 'b', 'c')), patch: { spec: { '$setElementOrder/containers': names('c', 'a', 'b') } }, schema: podSchema },
    want: pod(names('c', 'a', 'b')),
  },
  {
    name: '$setElementOrder: a server-only element goes before the next ordered element that follows it live',
    given: { original: pod(names('a', 'x', 'b', 'y', 'c')), patch: { spec: { '$setElementOrder/containers': names('c', 'b', 'a') } }, schema: podSchema },
    want: pod(names('x', 'y', 'c', 'b', 'a')),
  },
  {
    name: '$setElementOrder: server-only elements between ordered ones stay between them',
    given: { original: pod(names('a', 'x', 'b', 'y', 'c')), patch: { spec: { '$setElementOrder/containers': names('a', 'b', 'c') } }, schema: podSchema },
    want: pod(names('a', 'x', 'b', 'y', 'c')),
  },
  {
    name: '$setElementOrder with a deletion and an addition: a server-only element stays ahead of the new one',
    given: {
      original: pod([{ name: 'a' }, { name: 'b', image: 'b' }, { name: 'x', image: 'server-only' }]),
      patch: { spec: { '$setElementOrder/containers': names('b', 'n'), containers: [{ name: 'n' }, { name: 'a', $patch: 'delete' }] } },
      schema: podSchema,
    },
    want: pod([{ name: 'b', image: 'b' }, { name: 'x', image: 'server-only' }, { name: 'n' }]),
  },
  {
    name: '$patch: delete removes every element with that key; deleting a missing one is fine',
    given: { original: pod(names('a', 'b')), patch: pod([{ name: 'a', $patch: 'delete' }, { name: 'zz', $patch: 'delete' }]), schema: podSchema },
    want: pod(names('b')),
  },
  {
    name: '$patch: replace in a merge list replaces the list',
    given: { original: pod([{ name: 'a', image: '1' }, { name: 'b' }]), patch: pod([{ name: 'c', image: '2' }, { $patch: 'replace' }]), schema: podSchema },
    want: pod([{ name: 'c', image: '2' }]),
  },
  {
    name: '$patch: replace on a map replaces it',
    given: { original: { metadata: { labels: { a: '1', b: '2' } } }, patch: { metadata: { labels: { $patch: 'replace', c: '3' } } }, schema: podSchema },
    want: { metadata: { labels: { c: '3' } } },
  },
  {
    name: '$patch: delete on a map empties it',
    given: { original: { metadata: { labels: { a: '1' }, name: 'p' } }, patch: { metadata: { labels: { $patch: 'delete' } } }, schema: podSchema },
    want: { metadata: { labels: {}, name: 'p' } },
  },
  {
    name: '$patch: replace on a map the original lacks sets it',
    given: { original: { metadata: { name: 'p' } }, patch: { metadata: { labels: { $patch: 'replace', c: '3' } } }, schema: podSchema },
    want: { metadata: { name: 'p', labels: { c: '3' } } },
  },
  {
    name: 'nested merge lists: env merged inside the matching container',
    given: {
      original: pod([{ name: 'c', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }]),
      patch: pod([{ name: 'c', env: [{ name: 'B', value: '3' }, { name: 'C', value: '4' }] }]),
      schema: podSchema,
    },
    want: pod([{ name: 'c', env: [{ name: 'A', value: '1' }, { name: 'B', value: '3' }, { name: 'C', value: '4' }] }]),
  },
  {
    name: 'a new element is cleaned of nulls and directives',
    given: {
      original: pod(names('a')),
      patch: { spec: { '$setElementOrder/containers': names('a', 'b'), containers: [{ name: 'b', image: null, '$setElementOrder/env': [{ name: 'X' }], env: [{ name: 'X', value: 'y' }] }] } },
      schema: podSchema,
    },
    want: pod([{ name: 'a' }, { name: 'b', env: [{ name: 'X', value: 'y' }] }]),
  },
  {
    name: 'a new member drops null members and $patch: delete elements',
    given: { original: { spec: {} }, patch: { spec: { containers: [{ name: 'a', image: null }, { name: 'b', $patch: 'delete' }], nodeName: null } }, schema: podSchema },
    want: { spec: { containers: [{ name: 'a' }] } },
  },
  {
    name: '$retainKeys on a volume clears the other volume source',
    given: {
      original: { spec: { volumes: [{ name: 'v', emptyDir: {} }, { name: 'w', hostPath: { path: '/x' } }] } },
      patch: { spec: { volumes: [{ name: 'v', $retainKeys: ['name', 'secret'], secret: { secretName: 's' } }] } },
      schema: podSchema,
    },
    want: { spec: { volumes: [{ name: 'v', secret: { secretName: 's' } }, { name: 'w', hostPath: { path: '/x' } }] } },
  },
  {
    name: 'primitive merge list (finalizers): a set union; patch order first, live-only values after',
    given: { original: { metadata: { finalizers: ['a', 'b'] } }, patch: { metadata: { finalizers: ['c', 'a'] } }, schema: podSchema },
    want: { metadata: { finalizers: ['c', 'a', 'b'] } },
  },
  {
    name: 'primitive merge list: a live value before a patched one stays before it',
    given: { original: { metadata: { finalizers: ['a', 'b', 'c'] } }, patch: { metadata: { finalizers: ['c', 'a'] } }, schema: podSchema },
    want: { metadata: { finalizers: ['b', 'c', 'a'] } },
  },
  {
    name: 'primitive merge list with $setElementOrder and $deleteFromPrimitiveList',
    given: {
      original: { metadata: { finalizers: ['a', 'b', 'c'] } },
      patch: { metadata: { '$setElementOrder/finalizers': ['c', 'a', 'd'], '$deleteFromPrimitiveList/finalizers': ['b'], finalizers: ['d'] } },
      schema: podSchema,
    },
    want: { metadata: { finalizers: ['c', 'a', 'd'] } },
  },
  {
    name: '$deleteFromPrimitiveList never adds the list',
    given: { original: { metadata: { name: 'n' } }, patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['x'] } }, schema: podSchema },
    want: { metadata: { name: 'n' } },
  },
  {
    name: 'node podCIDRs merge as a set',
    given: { original: { spec: { podCIDRs: ['10.0.0.0/24'] } }, patch: { spec: { podCIDRs: ['10.0.0.0/24', 'fd00::/64'] } }, schema: nodeSchema },
    want: { spec: { podCIDRs: ['10.0.0.0/24', 'fd00::/64'] } },
  },
  {
    name: 'status conditions merge by type',
    given: {
      original: { status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'MemoryPressure', status: 'False' }] } },
      patch: { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] } },
      schema: nodeSchema,
    },
    want: { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }, { type: 'MemoryPressure', status: 'False' }] } },
  },
  {
    name: 'ownerReferences merge by uid',
    given: {
      original: { metadata: { ownerReferences: [{ uid: 'u1', name: 'rs-1', kind: 'ReplicaSet' }] } },
      patch: { metadata: { ownerReferences: [{ uid: 'u2', name: 'other', kind: 'ReplicaSet' }] } },
      schema: podSchema,
    },
    want: { metadata: { ownerReferences: [{ uid: 'u2', name: 'other', kind: 'ReplicaSet' }, { uid: 'u1', name: 'rs-1', kind: 'ReplicaSet' }] } },
  },
  {
    name: 'patchStrategy replace on a struct (PodDisruptionBudget selector)',
    given: {
      original: { spec: { selector: { matchLabels: { app: 'a' } }, minAvailable: 1 } },
      patch: { spec: { selector: { matchExpressions: [{ key: 'k', operator: 'Exists' }] } } },
      schema: pdbSchema,
    },
    want: { spec: { selector: { matchExpressions: [{ key: 'k', operator: 'Exists' }] }, minAvailable: 1 } },
  },
  {
    name: 'an empty merge list in the patch changes nothing',
    given: { original: pod(names('a')), patch: pod([]), schema: podSchema },
    want: pod(names('a')),
  },
  {
    name: 'a null list deletes it',
    given: { original: pod(names('a'), { volumes: [{ name: 'v' }] }), patch: { spec: { volumes: null } }, schema: podSchema },
    want: pod(names('a')),
  },
  {
    name: 'a scalar replaces a map (shapes differ)',
    given: { original: { spec: { affinity: { nodeAffinity: {} } } }, patch: { spec: { affinity: 'x' } }, schema: podSchema },
    want: { spec: { affinity: 'x' } },
  },
  {
    name: 'top-level $patch: replace replaces the whole object',
    given: { original: { a: 1, b: 2 }, patch: { $patch: 'replace', c: 3 }, schema: podSchema },
    want: { c: 3 },
  },
];

describe('applyStrategicMergePatch: directives and ordering', () => {
  for (const { name, given, want } of directiveRows) {
    it(name, () => {
      const before = cloneJson(given.original);
      assert.deepEqual(applyStrategicMergePatch(given.original, given.patch, given.schema), want);
      assert.deepEqual(given.original, before);
    });
  }
});

const errorRows: { name: string; given: { original: JsonObject; patch: JsonObject }; want: { code: number; message: string | RegExp } }[] = [
  {
    name: '$setElementOrder contradicting the order of the patch list',
    given: { original: pod(names('a', 'b')), patch: { spec: { '$setElementOrder/containers': names('a', 'b'), containers: names('b', 'a') } } },
    want: { code: 400, message: /doesn't match \$setElementOrder list/ },
  },
  {
    name: '$setElementOrder missing an element of the patch list',
    given: { original: pod(names('a')), patch: { spec: { '$setElementOrder/containers': names('a'), containers: names('z') } } },
    want: { code: 400, message: /^The order in patch list:/ },
  },
  {
    name: 'list element without its merge key',
    given: { original: pod(names('a')), patch: pod([{ image: 'x' }]) },
    want: { code: 400, message: 'map: {"image":"x"} does not contain declared merge key: name' },
  },
  {
    name: '$patch: delete without the merge key',
    given: { original: pod(names('a')), patch: pod([{ $patch: 'delete' }]) },
    want: { code: 400, message: 'map: {"$patch":"delete"} does not contain declared merge key: name' },
  },
  {
    name: '$patch: merge in a list',
    given: { original: pod(names('a')), patch: pod([{ name: 'a', $patch: 'merge' }]) },
    want: { code: 400, message: 'merging lists cannot yet be specified in the patch' },
  },
  {
    name: 'unknown $patch on a map',
    given: { original: { metadata: { labels: { a: '1' } } }, patch: { metadata: { labels: { $patch: 'explode' } } } },
    want: { code: 400, message: /^unknown patch type: "explode" in map/ },
  },
  {
    name: '$retainKeys not listing a patched member',
    given: { original: { spec: { volumes: [{ name: 'v', emptyDir: {} }] } }, patch: { spec: { volumes: [{ name: 'v', $retainKeys: ['name'], secret: {} }] } } },
    want: { code: 400, message: 'invalid patch format of retainKeys' },
  },
  {
    name: '$retainKeys that is not a list',
    given: { original: { spec: {} }, patch: { spec: { $retainKeys: 'name' } } },
    want: { code: 400, message: 'invalid patch format of retainKeys' },
  },
  {
    name: '$setElementOrder without a list name',
    given: { original: { spec: {} }, patch: { spec: { $setElementOrder: [] } } },
    want: { code: 400, message: 'invalid patch format of setElementOrder list' },
  },
  {
    name: '$deleteFromPrimitiveList without a list name',
    given: { original: { metadata: { finalizers: ['a'] } }, patch: { metadata: { $deleteFromPrimitiveList: ['a'] } } },
    want: { code: 400, message: 'invalid patch format of primitive list' },
  },
  {
    name: 'lists of lists',
    given: { original: { metadata: { finalizers: [['a']] } }, patch: { metadata: { finalizers: [['b']] } } },
    want: { code: 422, message: 'lists of lists are not supported' },
  },
  {
    name: 'mixed element types in a merge list',
    given: { original: { metadata: { finalizers: ['a'] } }, patch: { metadata: { finalizers: [{ name: 'b' }] } } },
    want: { code: 400, message: /^list element types are not identical/ },
  },
];

describe('applyStrategicMergePatch: malformed patches', () => {
  for (const { name, given, want } of errorRows) {
    it(name, () => {
      assert.throws(() => applyStrategicMergePatch(given.original, given.patch, podSchema), (err: unknown) => {
        assert.ok(isStatusError(err), String(err));
        assert.equal(err.code, want.code);
        if (typeof want.message === 'string') assert.equal(err.status.message, want.message);
        else assert.match(err.status.message ?? '', want.message);
        return true;
      });
    });
  }
});

describe('strategic merge patch property: without directives it is a JSON merge patch', () => {
  it('agrees with RFC 7386 on 500 random object pairs (generic schema)', () => {
    const rand = rng(7);
    for (let i = 0; i < 500; i++) {
      const a = randomObject(rand, 3);
      const b = randomObject(rand, 3);
      const patch = createMergePatch(a, b);
      const smp = applyStrategicMergePatch(a, patch, GENERIC_SCHEMA);
      assert.ok(jsonEqual(smp, b), `case ${i}: ${JSON.stringify({ a, b, patch, smp })}`);
      assert.ok(jsonEqual(smp, applyJsonMergePatch(a, patch)));
    }
  });
});
