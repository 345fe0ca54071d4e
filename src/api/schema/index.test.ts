import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { hasSchema, schemaTable, unknownFieldPaths, unknownFieldPathsForSchema, type GroupVersionKind } from './index.ts';

const MANIFESTS = join(import.meta.dirname, 'testdata', 'manifests');

function loadYaml(file: string): unknown[] {
  return parseAllDocuments(readFileSync(join(MANIFESTS, file), 'utf8'))
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
      return d.toJS() as unknown;
    })
    .filter((d) => d !== null && d !== undefined);
}

function gvkOf(obj: unknown): GroupVersionKind {
  const o = obj as { apiVersion?: unknown; kind?: unknown };
  assert.equal(typeof o.apiVersion, 'string');
  assert.equal(typeof o.kind, 'string');
  const av = o.apiVersion as string;
  const slash = av.indexOf('/');
  return slash < 0 ? { group: '', version: av, kind: o.kind as string } : { group: av.slice(0, slash), version: av.slice(slash + 1), kind: o.kind as string };
}

const pod = { group: '', version: 'v1', kind: 'Pod' };
const service = { group: '', version: 'v1', kind: 'Service' };
const deployment = { group: 'apps', version: 'v1', kind: 'Deployment' };
const crdKind = { group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition' };

describe('schema table', () => {
  const served: ReadonlyArray<readonly [string, string, string]> = [
    ['', 'v1', 'Namespace'], ['', 'v1', 'Pod'], ['', 'v1', 'Service'], ['', 'v1', 'Endpoints'],
    ['', 'v1', 'ConfigMap'], ['', 'v1', 'Secret'], ['', 'v1', 'Node'], ['', 'v1', 'Event'],
    ['', 'v1', 'ServiceAccount'], ['', 'v1', 'Binding'],
    ['apps', 'v1', 'Deployment'], ['apps', 'v1', 'ReplicaSet'], ['apps', 'v1', 'StatefulSet'], ['apps', 'v1', 'DaemonSet'],
    ['discovery.k8s.io', 'v1', 'EndpointSlice'],
    ['networking.k8s.io', 'v1', 'Ingress'], ['networking.k8s.io', 'v1', 'IngressClass'], ['networking.k8s.io', 'v1', 'NetworkPolicy'],
    ['coordination.k8s.io', 'v1', 'Lease'],
    ['apiextensions.k8s.io', 'v1', 'CustomResourceDefinition'],
    ['autoscaling', 'v1', 'Scale'],
    ['', 'v1', 'DeleteOptions'], ['apps', 'v1', 'DeleteOptions'], ['meta.k8s.io', 'v1', 'DeleteOptions'],
  ];
  for (const [group, version, kind] of served) {
    it(`has ${group === '' ? 'core' : group}/${version} ${kind}`, () => {
      assert.equal(hasSchema({ group, version, kind }), true);
    });
  }

  const notServed: ReadonlyArray<readonly [string, GroupVersionKind]> = [
    ['a custom resource', { group: 'example.com', version: 'v1', kind: 'Widget' }],
    ['a wrong version', { group: 'apps', version: 'v1beta2', kind: 'Deployment' }],
    ['a wrong group', { group: 'extensions', version: 'v1', kind: 'Ingress' }],
    ['a prototype key', { group: '', version: 'v1', kind: 'constructor' }],
  ];
  for (const [name, gvk] of notServed) {
    it(`has no entry for ${name}`, () => {
      assert.equal(hasSchema(gvk), false);
      assert.deepEqual(unknownFieldPaths(gvk, { spec: { anything: 1 } }), []);
    });
  }

  it('accepts any object with group, version and kind (such as a ResourceInfo)', () => {
    const info = { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true };
    assert.equal(hasSchema(info), true);
    assert.deepEqual(unknownFieldPaths(info, { spec: { replica: 1 } }), ['spec.replica']);
  });

  it('references only defined types', () => {
    const leaves = new Set(['string', 'integer', 'number', 'boolean', 'any']);
    const check = (ref: string, where: string): void => {
      if (ref.startsWith('[]')) return check(ref.slice(2), where);
      if (ref.startsWith('map[string]')) return check(ref.slice('map[string]'.length), where);
      if (leaves.has(ref)) return;
      assert.ok(Object.hasOwn(schemaTable.types, ref), `${where} references undefined type ${ref}`);
    };
    for (const [kind, type] of Object.entries(schemaTable.kinds)) check(type, `kind ${kind}`);
    for (const [name, def] of Object.entries(schemaTable.types)) {
      for (const [field, ref] of Object.entries(def.fields)) check(ref, `${name}.${field}`);
    }
  });

  it('gives every kind apiVersion, kind and metadata (DeleteOptions: no metadata)', () => {
    for (const [kind, type] of Object.entries(schemaTable.kinds)) {
      const fields = schemaTable.types[type]?.fields ?? {};
      assert.equal(fields['apiVersion'], 'string', kind);
      assert.equal(fields['kind'], 'string', kind);
      if (!kind.endsWith('/DeleteOptions')) assert.equal(fields['metadata'], 'meta.v1.ObjectMeta', kind);
    }
  });

  it('names its upstream source', () => {
    assert.match(schemaTable.source, /v1\.32/);
  });
});

describe('valid manifests have no unknown fields', () => {
  const files = readdirSync(MANIFESTS).filter((f) => f.endsWith('.yaml')).sort();
  it('has test manifests', () => {
    assert.ok(files.length >= 8);
  });
  for (const file of files) {
    for (const [i, obj] of loadYaml(file).entries()) {
      const gvk = gvkOf(obj);
      it(`${file} #${i} (${gvk.kind})`, () => {
        assert.equal(hasSchema(gvk), true, `no schema for ${JSON.stringify(gvk)}`);
        assert.deepEqual(unknownFieldPaths(gvk, obj), []);
      });
    }
  }
});

describe('unknownFieldPaths reports typos like kube-apiserver', () => {
  const rows: ReadonlyArray<{ name: string; gvk: GroupVersionKind; obj: unknown; want: string[] }> = [
    { name: 'a misspelt spec field', gvk: service, obj: { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { prots: [] } }, want: ['spec.prots'] },
    { name: 'several, in document order', gvk: service, obj: { spec: { b: 1, type: 'ClusterIP', a: 2 } }, want: ['spec.b', 'spec.a'] },
    { name: 'a field inside a list element', gvk: service, obj: { spec: { ports: [{ port: 80 }, { port: 81, prot: 'TCP' }] } }, want: ['spec.ports[1].prot'] },
    { name: 'the first list element', gvk: service, obj: { spec: { ports: [{ port: 80, prot: 'TCP' }] } }, want: ['spec.ports[0].prot'] },
    { name: 'a top-level field', gvk: service, obj: { apiVersion: 'v1', kind: 'Service', specs: {} }, want: ['specs'] },
    { name: 'a metadata field', gvk: service, obj: { metadata: { name: 'x', lables: { a: 'b' } } }, want: ['metadata.lables'] },
    { name: 'case mismatch (the decoder is case-sensitive)', gvk: service, obj: { Spec: {}, spec: { Type: 'ClusterIP' } }, want: ['Spec', 'spec.Type'] },
    {
      name: 'deep in a pod template',
      gvk: deployment,
      obj: { spec: { template: { spec: { containers: [{ name: 'a' }, { name: 'b', livenessProbe: { httpGet: { paht: '/' } } }] } } } },
      want: ['spec.template.spec.containers[1].livenessProbe.httpGet.paht'],
    },
    {
      name: 'inside an inlined volume source',
      gvk: pod,
      obj: { spec: { volumes: [{ name: 'v', configMap: { nam: 'c' } }, { name: 'w', configMapp: {} }] } },
      want: ['spec.volumes[0].configMap.nam', 'spec.volumes[1].configMapp'],
    },
    {
      name: 'inside an inlined probe handler',
      gvk: pod,
      obj: { spec: { containers: [{ name: 'a', readinessProbe: { tcpSocket: { port: 1, hots: 'x' }, exec: { cmd: [] } } }] } },
      want: ['spec.containers[0].readinessProbe.tcpSocket.hots', 'spec.containers[0].readinessProbe.exec.cmd'],
    },
    { name: 'an unknown field whose value is null', gvk: pod, obj: { spec: { nodeNmae: null } }, want: ['spec.nodeNmae'] },
    { name: 'a struct value inside a map (CRD schema properties)', gvk: crdKind, obj: { spec: { versions: [{ name: 'v1', schema: { openAPIV3Schema: { properties: { spec: { type: 'object', propertys: {} } } } } }] } }, want: ['spec.versions[0].schema.openAPIV3Schema.properties.spec.propertys'] },
    { name: 'JSONSchemaProps recursion through not/allOf', gvk: crdKind, obj: { spec: { versions: [{ schema: { openAPIV3Schema: { not: { allOf: [{ tpye: 'string' }] } } } }] } }, want: ['spec.versions[0].schema.openAPIV3Schema.not.allOf[0].tpye'] },
    { name: 'DeleteOptions sent with a group version', gvk: { group: 'apps', version: 'v1', kind: 'DeleteOptions' }, obj: { kind: 'DeleteOptions', apiVersion: 'apps/v1', propagationPolicyy: 'Background' }, want: ['propagationPolicyy'] },
    { name: 'prototype property names are unknown', gvk: pod, obj: JSON.parse('{"spec":{"constructor":1,"__proto__":{"x":1},"toString":2}}') as unknown, want: ['spec.constructor', 'spec.__proto__', 'spec.toString'] },
    { name: 'a Scale body', gvk: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, obj: { spec: { replicas: 1, replica: 2 } }, want: ['spec.replica'] },
    { name: 'an EndpointSlice endpoint', gvk: { group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice' }, obj: { endpoints: [{ addresses: ['1.2.3.4'], condition: {} }] }, want: ['endpoints[0].condition'] },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.deepEqual(unknownFieldPaths(row.gvk, row.obj), row.want);
    });
  }
});

describe('a typo injected deep into the kitchen sink is found at its exact path', () => {
  const [deploy] = loadYaml('kitchen-sink-deployment.yaml');
  const podSpec = ['spec', 'template', 'spec'];
  const rows: ReadonlyArray<{ name: string; at: ReadonlyArray<string | number>; want: string }> = [
    { name: 'strategy.rollingUpdate', at: ['spec', 'strategy', 'rollingUpdate'], want: 'spec.strategy.rollingUpdate.typo' },
    { name: 'selector.matchExpressions[0]', at: ['spec', 'selector', 'matchExpressions', 0], want: 'spec.selector.matchExpressions[0].typo' },
    { name: 'pod template metadata', at: ['spec', 'template', 'metadata'], want: 'spec.template.metadata.typo' },
    { name: 'node affinity term', at: [...podSpec, 'affinity', 'nodeAffinity', 'requiredDuringSchedulingIgnoredDuringExecution', 'nodeSelectorTerms', 0, 'matchFields', 0], want: 'spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].typo' },
    { name: 'pod anti-affinity term', at: [...podSpec, 'affinity', 'podAntiAffinity', 'preferredDuringSchedulingIgnoredDuringExecution', 0, 'podAffinityTerm'], want: 'spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.typo' },
    { name: 'toleration', at: [...podSpec, 'tolerations', 1], want: 'spec.template.spec.tolerations[1].typo' },
    { name: 'topology spread constraint selector', at: [...podSpec, 'topologySpreadConstraints', 0, 'labelSelector'], want: 'spec.template.spec.topologySpreadConstraints[0].labelSelector.typo' },
    { name: 'pod securityContext.seccompProfile', at: [...podSpec, 'securityContext', 'seccompProfile'], want: 'spec.template.spec.securityContext.seccompProfile.typo' },
    { name: 'sidecar grpc probe', at: [...podSpec, 'initContainers', 1, 'startupProbe', 'grpc'], want: 'spec.template.spec.initContainers[1].startupProbe.grpc.typo' },
    { name: 'env resourceFieldRef', at: [...podSpec, 'containers', 0, 'env', 2, 'valueFrom', 'resourceFieldRef'], want: 'spec.template.spec.containers[0].env[2].valueFrom.resourceFieldRef.typo' },
    { name: 'envFrom secretRef', at: [...podSpec, 'containers', 0, 'envFrom', 1, 'secretRef'], want: 'spec.template.spec.containers[0].envFrom[1].secretRef.typo' },
    { name: 'resources.claims', at: [...podSpec, 'containers', 0, 'resources', 'claims', 0], want: 'spec.template.spec.containers[0].resources.claims[0].typo' },
    { name: 'httpGet header', at: [...podSpec, 'containers', 0, 'livenessProbe', 'httpGet', 'httpHeaders', 0], want: 'spec.template.spec.containers[0].livenessProbe.httpGet.httpHeaders[0].typo' },
    { name: 'preStop sleep', at: [...podSpec, 'containers', 1, 'lifecycle', 'preStop', 'sleep'], want: 'spec.template.spec.containers[1].lifecycle.preStop.sleep.typo' },
    { name: 'capabilities', at: [...podSpec, 'containers', 0, 'securityContext', 'capabilities'], want: 'spec.template.spec.containers[0].securityContext.capabilities.typo' },
    { name: 'projected clusterTrustBundle', at: [...podSpec, 'volumes', 6, 'projected', 'sources', 4, 'clusterTrustBundle'], want: 'spec.template.spec.volumes[6].projected.sources[4].clusterTrustBundle.typo' },
    { name: 'ephemeral volume claim template spec', at: [...podSpec, 'volumes', 9, 'ephemeral', 'volumeClaimTemplate', 'spec', 'resources'], want: 'spec.template.spec.volumes[9].ephemeral.volumeClaimTemplate.spec.resources.typo' },
    { name: 'a volume itself', at: [...podSpec, 'volumes', 3], want: 'spec.template.spec.volumes[3].typo' },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const obj = structuredClone(deploy) as Record<string | number, unknown>;
      let cur: unknown = obj;
      for (const step of row.at) {
        assert.ok(typeof cur === 'object' && cur !== null, `no ${String(step)} on the way to ${row.want}`);
        cur = (cur as Record<string | number, unknown>)[step];
      }
      assert.ok(typeof cur === 'object' && cur !== null && !Array.isArray(cur), `not an object at ${row.want}`);
      (cur as Record<string, unknown>)['typo'] = 1;
      assert.deepEqual(unknownFieldPaths(deployment, obj), [row.want]);
    });
  }
});

describe('unknownFieldPaths leaves free-form values alone', () => {
  const rows: ReadonlyArray<{ name: string; gvk: GroupVersionKind; obj: unknown }> = [
    { name: 'apiVersion and kind at the top', gvk: pod, obj: { apiVersion: 'v1', kind: 'Pod' } },
    { name: 'label and annotation keys', gvk: pod, obj: { metadata: { labels: { 'any/key': 'v', spec: 'x' }, annotations: { '': '' } } } },
    { name: 'ConfigMap data keys', gvk: { group: '', version: 'v1', kind: 'ConfigMap' }, obj: { data: { 'app.properties': 'a=b', spec: 'x' } } },
    { name: 'IntOrString and Quantity values', gvk: pod, obj: { spec: { containers: [{ name: 'a', resources: { limits: { cpu: '1', 'example.com/dongle': 2 } }, livenessProbe: { httpGet: { port: 'http' } } }] } } },
    { name: 'managedFields fieldsV1', gvk: pod, obj: { metadata: { managedFields: [{ manager: 'm', fieldsV1: { 'f:spec': { 'f:whatever': {} } } }] } } },
    { name: 'timestamps', gvk: pod, obj: { metadata: { creationTimestamp: null, deletionTimestamp: '2025-01-01T00:00:00Z' } } },
    { name: 'CRD default/example/enum values', gvk: crdKind, obj: { spec: { versions: [{ schema: { openAPIV3Schema: { default: { any: { thing: 1 } }, example: { x: 1 }, enum: [{ a: 1 }] } } }] } } },
    // items/additionalProperties/dependencies are JSONSchemaPropsOr* types with their own
    // UnmarshalJSON, which upstream decodes without strict checking.
    { name: 'CRD items and additionalProperties (decoded non-strictly upstream)', gvk: crdKind, obj: { spec: { versions: [{ schema: { openAPIV3Schema: { items: { tpye: 'x' }, additionalProperties: { tpye: 'y' } } } }] } } },
    { name: 'wrongly typed values (a type error upstream, not an unknown field)', gvk: pod, obj: { spec: 'nope', metadata: [1, 2] } },
    { name: 'null spec', gvk: pod, obj: { spec: null } },
    { name: 'a non-object body', gvk: pod, obj: [{ typo: 1 }] },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.deepEqual(unknownFieldPaths(row.gvk, row.obj), []);
    });
  }
});

describe('unknownFieldPathsForSchema (custom resources)', () => {
  const crd = loadYaml('crd-widgets.yaml')[0] as { spec: { versions: Array<{ schema: { openAPIV3Schema: unknown } }> } };
  const v1 = crd.spec.versions[0]?.schema.openAPIV3Schema;
  const v1beta1 = crd.spec.versions[1]?.schema.openAPIV3Schema;
  const widget = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w', namespace: 'demo', labels: { a: 'b' } },
    spec: { color: 'red', ...spec },
    ...extra,
  });

  const valid = widget(
    {
      replicas: 2,
      size: '10Gi',
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
      selectors: { web: { matchLabels: { app: 'web' } } },
      config: { anything: { goes: [1, { here: true }] }, strict: { level: 3 } },
      template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: 'b' } }, spec: { containers: [] } },
      templates: { a: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, spec: { free: 'form' } } },
      matrix: [[{ x: 1 }], []],
      tags: ['a', 'b'],
      empty: {},
      maybe: null,
    },
    { status: { replicas: 1, selector: 'app=web', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2025-01-01T00:00:00Z' }] } },
  );

  const rows: ReadonlyArray<{ name: string; schema: unknown; obj: unknown; want: string[] }> = [
    { name: 'a valid object using every schema feature', schema: v1, obj: valid, want: [] },
    { name: 'apiVersion, kind and metadata need no declaration', schema: { type: 'object' }, obj: { apiVersion: 'a/v1', kind: 'K', metadata: { name: 'x' } }, want: [] },
    { name: 'a misspelt spec field', schema: v1, obj: widget({ colour: 'red' }), want: ['spec.colour'] },
    { name: 'a field in a list item', schema: v1, obj: widget({ ports: [{ name: 'a' }, { name: 'b', prot: 'TCP' }] }), want: ['spec.ports[1].prot'] },
    { name: 'a field in an additionalProperties value', schema: v1, obj: widget({ selectors: { web: { matchLabel: {} } } }), want: ['spec.selectors.web.matchLabel'] },
    { name: 'nested arrays', schema: v1, obj: widget({ matrix: [[], [{ x: 1 }, { y: 2 }]] }), want: ['spec.matrix[1][1].y'] },
    { name: 'preserve-unknown-fields keeps unknowns but checks declared children', schema: v1, obj: widget({ config: { free: { x: 1 }, strict: { levle: 1 } } }), want: ['spec.config.strict.levle'] },
    { name: 'an object schema without properties', schema: v1, obj: widget({ empty: { a: 1, b: { c: 1 } } }), want: ['spec.empty.a', 'spec.empty.b'] },
    { name: 'an object where a scalar item is declared', schema: v1, obj: widget({ tags: [{ a: 1 }] }), want: ['spec.tags[0].a'] },
    { name: 'a top-level field', schema: v1, obj: widget({}, { extra: 1 }), want: ['extra'] },
    { name: 'a status field', schema: v1, obj: widget({}, { status: { replicas: 1, phase: 'x' } }), want: ['status.phase'] },
    {
      name: 'metadata first, then pruned paths sorted (as upstream)',
      schema: v1,
      obj: { apiVersion: 'example.com/v1', kind: 'Widget', spec: { zeta: 1, color: 'red', alpha: 2 }, metadata: { name: 'w', zz: 1, lables: {} }, extra: true },
      want: ['metadata.lables', 'metadata.zz', 'extra', 'spec.alpha', 'spec.zeta'],
    },
    { name: 'nested ObjectMeta fields', schema: v1, obj: widget({}, { metadata: { name: 'w', ownerReferences: [{ name: 'o', kindd: 'X' }] } }), want: ['metadata.ownerReferences[0].kindd'] },
    {
      name: 'metadata of an embedded resource',
      schema: v1,
      obj: widget({ template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', lables: {} }, anything: 1 } }),
      want: ['spec.template.metadata.lables'],
    },
    {
      name: 'embedded resources in a map (pruning uses .key, metadata uses [key])',
      schema: v1,
      obj: widget({ templates: { a: { metadata: { name: 'x', bad: 1 }, extra: 1, spec: { free: 1 } } } }),
      want: ['spec.templates.a.extra', 'spec.templates[a].metadata.bad'],
    },
    { name: 'a root with preserve-unknown-fields', schema: v1beta1, obj: { apiVersion: 'example.com/v1beta1', kind: 'Widget', metadata: { name: 'w' }, anything: { at: 'all' } }, want: [] },
    { name: 'a root with preserve-unknown-fields still checks metadata', schema: v1beta1, obj: { metadata: { name: 'w', nmae: 'x' } }, want: ['metadata.nmae'] },
    { name: 'no usable schema: only metadata is checked', schema: undefined, obj: { metadata: { nmae: 'x' }, spec: { a: 1 } }, want: ['metadata.nmae'] },
    { name: 'a non-object body', schema: v1, obj: 'x', want: [] },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.deepEqual(unknownFieldPathsForSchema(row.schema, row.obj), row.want);
    });
  }

  it('the schema is not modified', () => {
    const before = JSON.stringify(v1);
    unknownFieldPathsForSchema(v1, widget({ colour: 1 }));
    assert.equal(JSON.stringify(v1), before);
  });
});
