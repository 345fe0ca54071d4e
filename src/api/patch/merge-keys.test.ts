import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type FieldPatchMeta, fieldMeta, fieldSchema, groupOf, schemaFor, supportsStrategicMergePatch } from './merge-keys.ts';

/** Follows a dotted path of fields (through list elements) and returns the last field's metadata. */
function metaAt(apiVersion: string, kind: string, path: string): FieldPatchMeta {
  let s = schemaFor(apiVersion, kind);
  assert.ok(s, `no schema for ${apiVersion} ${kind}`);
  const parts = path.split('.');
  for (const p of parts.slice(0, -1)) s = fieldSchema(s, p);
  return fieldMeta(s, parts[parts.length - 1] ?? '');
}

const pick = (m: FieldPatchMeta): FieldPatchMeta => ({
  ...(m.strategy !== undefined ? { strategy: m.strategy } : {}),
  ...(m.mergeKey !== undefined ? { mergeKey: m.mergeKey } : {}),
  ...(m.retainKeys !== undefined ? { retainKeys: m.retainKeys } : {}),
});

describe('merge key table', () => {
  const rows: { name: string; given: { apiVersion: string; kind: string; path: string }; want: FieldPatchMeta }[] = [
    { name: 'Service spec.ports by port', given: { apiVersion: 'v1', kind: 'Service', path: 'spec.ports' }, want: { strategy: 'merge', mergeKey: 'port' } },
    { name: 'Service status.conditions by type', given: { apiVersion: 'v1', kind: 'Service', path: 'status.conditions' }, want: { strategy: 'merge', mergeKey: 'type' } },
    { name: 'Service externalIPs atomic', given: { apiVersion: 'v1', kind: 'Service', path: 'spec.externalIPs' }, want: {} },
    { name: 'Service clusterIPs atomic', given: { apiVersion: 'v1', kind: 'Service', path: 'spec.clusterIPs' }, want: {} },
    { name: 'Pod containers by name', given: { apiVersion: 'v1', kind: 'Pod', path: 'spec.containers' }, want: { strategy: 'merge', mergeKey: 'name' } },
    { name: 'Pod initContainers by name', given: { apiVersion: 'v1', kind: 'Pod', path: 'spec.initContainers' }, want: { strategy: 'merge', mergeKey: 'name' } },
    { name: 'Pod ephemeralContainers env by name', given: { apiVersion: 'v1', kind: 'Pod', path: 'spec.ephemeralContainers.env' }, want: { strategy: 'merge', mergeKey: 'name' } },
    { name: 'Pod volumes by name with retainKeys', given: { apiVersion: 'v1', kind: 'Pod', path: 'spec.volumes' }, want: { strategy: 'merge', mergeKey: 'name', retainKeys: true } },
    { name: 'Pod imagePullSecrets by name', given: { apiVersion: 'v1', kind: 'Pod', path: 'spec.imagePullSecrets' }, want: { strategy: 'merge', mergeKey: 'name' } },
    { name: 'Pod schedulingGates by name', given: { apiVersion: 'v1', kind: 'Pod', path: 'spec.schedulingGates' }, want: { strategy: 'merge', mergeKey: 'name' } },
    { name: 'Pod hostAliases by ip', given: { apiVersion: 'v1', kind: 'Pod', path: 'spec.hostAliases' }, want: { strategy: 'merge', mergeKey: 'ip' } },
    { name: 'Pod topologySpreadConstraints by topologyKey', given: { apiVersion: 'v1', kind: 'Pod', path: 'spec.topologySpreadConstraints' }, want: { strategy: 'merge', mergeKey: 'topologyKey' } },
    { name: 'Pod tolerations atomic', given: { apiVersion: 'v1', kind: 'Pod', path: 'spec.tolerations' }, want: {} },
    { name: 'Pod status podIPs by ip', given: { apiVersion: 'v1', kind: 'Pod', path: 'status.podIPs' }, want: { strategy: 'merge', mergeKey: 'ip' } },
    { name: 'Pod status hostIPs by ip', given: { apiVersion: 'v1', kind: 'Pod', path: 'status.hostIPs' }, want: { strategy: 'merge', mergeKey: 'ip' } },
    { name: 'Pod status conditions by type', given: { apiVersion: 'v1', kind: 'Pod', path: 'status.conditions' }, want: { strategy: 'merge', mergeKey: 'type' } },
    { name: 'Pod metadata.ownerReferences by uid', given: { apiVersion: 'v1', kind: 'Pod', path: 'metadata.ownerReferences' }, want: { strategy: 'merge', mergeKey: 'uid' } },
    { name: 'Pod metadata.finalizers primitive set', given: { apiVersion: 'v1', kind: 'Pod', path: 'metadata.finalizers' }, want: { strategy: 'merge' } },
    { name: 'Deployment container ports by containerPort', given: { apiVersion: 'apps/v1', kind: 'Deployment', path: 'spec.template.spec.containers.ports' }, want: { strategy: 'merge', mergeKey: 'containerPort' } },
    { name: 'Deployment container env by name', given: { apiVersion: 'apps/v1', kind: 'Deployment', path: 'spec.template.spec.containers.env' }, want: { strategy: 'merge', mergeKey: 'name' } },
    { name: 'Deployment container volumeMounts by mountPath', given: { apiVersion: 'apps/v1', kind: 'Deployment', path: 'spec.template.spec.containers.volumeMounts' }, want: { strategy: 'merge', mergeKey: 'mountPath' } },
    { name: 'Deployment container volumeDevices by devicePath', given: { apiVersion: 'apps/v1', kind: 'Deployment', path: 'spec.template.spec.containers.volumeDevices' }, want: { strategy: 'merge', mergeKey: 'devicePath' } },
    { name: 'Deployment container envFrom atomic', given: { apiVersion: 'apps/v1', kind: 'Deployment', path: 'spec.template.spec.containers.envFrom' }, want: {} },
    { name: 'Deployment strategy retainKeys', given: { apiVersion: 'apps/v1', kind: 'Deployment', path: 'spec.strategy' }, want: { retainKeys: true } },
    { name: 'Deployment template metadata finalizers', given: { apiVersion: 'apps/v1', kind: 'Deployment', path: 'spec.template.metadata.finalizers' }, want: { strategy: 'merge' } },
    { name: 'Deployment status conditions by type', given: { apiVersion: 'apps/v1', kind: 'Deployment', path: 'status.conditions' }, want: { strategy: 'merge', mergeKey: 'type' } },
    { name: 'StatefulSet updateStrategy has no tag', given: { apiVersion: 'apps/v1', kind: 'StatefulSet', path: 'spec.updateStrategy' }, want: {} },
    { name: 'StatefulSet template containers by name', given: { apiVersion: 'apps/v1', kind: 'StatefulSet', path: 'spec.template.spec.containers' }, want: { strategy: 'merge', mergeKey: 'name' } },
    { name: 'DaemonSet template volumes', given: { apiVersion: 'apps/v1', kind: 'DaemonSet', path: 'spec.template.spec.volumes' }, want: { strategy: 'merge', mergeKey: 'name', retainKeys: true } },
    { name: 'ReplicaSet template containers', given: { apiVersion: 'apps/v1', kind: 'ReplicaSet', path: 'spec.template.spec.containers' }, want: { strategy: 'merge', mergeKey: 'name' } },
    { name: 'Job template containers', given: { apiVersion: 'batch/v1', kind: 'Job', path: 'spec.template.spec.containers' }, want: { strategy: 'merge', mergeKey: 'name' } },
    { name: 'CronJob job template containers', given: { apiVersion: 'batch/v1', kind: 'CronJob', path: 'spec.jobTemplate.spec.template.spec.containers' }, want: { strategy: 'merge', mergeKey: 'name' } },
    { name: 'Node podCIDRs primitive set', given: { apiVersion: 'v1', kind: 'Node', path: 'spec.podCIDRs' }, want: { strategy: 'merge' } },
    { name: 'Node status addresses by type', given: { apiVersion: 'v1', kind: 'Node', path: 'status.addresses' }, want: { strategy: 'merge', mergeKey: 'type' } },
    { name: 'EndpointSlice endpoints atomic', given: { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', path: 'endpoints' }, want: {} },
    { name: 'Ingress rules atomic', given: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', path: 'spec.rules' }, want: {} },
    { name: 'PodDisruptionBudget selector replaced', given: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', path: 'spec.selector' }, want: { strategy: 'replace' } },
    { name: 'ServiceAccount secrets by name', given: { apiVersion: 'v1', kind: 'ServiceAccount', path: 'secrets' }, want: { strategy: 'merge', mergeKey: 'name' } },
    { name: 'unknown field defaults', given: { apiVersion: 'v1', kind: 'ConfigMap', path: 'data.whatever' }, want: {} },
  ];
  for (const { name, given, want } of rows) {
    it(name, () => assert.deepEqual(pick(metaAt(given.apiVersion, given.kind, given.path)), want));
  }
});

describe('schemaFor / supportsStrategicMergePatch', () => {
  const rows: { name: string; given: { apiVersion: string; kind: string }; want: boolean }[] = [
    { name: 'core Service', given: { apiVersion: 'v1', kind: 'Service' }, want: true },
    { name: 'core ConfigMap (no tags, still built in)', given: { apiVersion: 'v1', kind: 'ConfigMap' }, want: true },
    { name: 'apps Deployment', given: { apiVersion: 'apps/v1', kind: 'Deployment' }, want: true },
    { name: 'discovery EndpointSlice', given: { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' }, want: true },
    { name: 'autoscaling Scale', given: { apiVersion: 'autoscaling/v1', kind: 'Scale' }, want: true },
    { name: 'Gateway API (a CRD)', given: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway' }, want: false },
    { name: 'HTTPRoute (a CRD)', given: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute' }, want: false },
    { name: 'LB-IPAM pool (a CRD)', given: { apiVersion: 'cilium.io/v2alpha1', kind: 'CiliumLoadBalancerIPPool' }, want: false },
    { name: 'unknown core kind', given: { apiVersion: 'v1', kind: 'Widget' }, want: false },
    { name: 'kind in the wrong group', given: { apiVersion: 'apps/v1', kind: 'Service' }, want: false },
    { name: 'inherited property names are not kinds', given: { apiVersion: 'v1', kind: 'constructor' }, want: false },
  ];
  for (const { name, given, want } of rows) {
    it(name, () => {
      assert.equal(supportsStrategicMergePatch(given.apiVersion, given.kind), want);
      assert.equal(schemaFor(given.apiVersion, given.kind) !== undefined, want);
    });
  }
  it('groupOf', () => {
    assert.equal(groupOf('v1'), '');
    assert.equal(groupOf('apps/v1'), 'apps');
    assert.equal(groupOf('networking.k8s.io/v1'), 'networking.k8s.io');
  });
  it('PodSpec is shared by every pod template', () => {
    const podSpec = fieldSchema(schemaFor('v1', 'Pod') ?? assert.fail('no Pod'), 'spec');
    for (const [apiVersion, kind] of [['apps/v1', 'Deployment'], ['apps/v1', 'ReplicaSet'], ['apps/v1', 'StatefulSet'], ['apps/v1', 'DaemonSet'], ['batch/v1', 'Job'], ['v1', 'ReplicationController']] as const) {
      const s = schemaFor(apiVersion, kind) ?? assert.fail(kind);
      assert.equal(fieldSchema(fieldSchema(fieldSchema(s, 'spec'), 'template'), 'spec'), podSpec, kind);
    }
  });
});
