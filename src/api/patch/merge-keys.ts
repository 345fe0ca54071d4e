// Strategic merge patch metadata: which fields of which kinds merge how. This is the data the
// Go types in k8s.io/api v0.32 carry as `patchStrategy`/`patchMergeKey` struct tags; every
// tag of the kinds listed below is transcribed here. Anything not listed is handled the
// default way: objects (structs and maps) merge member by member, lists are replaced whole.
//
// Custom resources have no such metadata, and kube-apiserver refuses strategic merge patches
// for them (415); `schemaFor` returns undefined for every kind not compiled in below.

/** How one field of a struct is patched. */
export interface FieldPatchMeta {
  /**
   * `merge`: a list merged element by element (by `mergeKey` for lists of objects, as a set
   * for lists of scalars). `replace`: an object replaced whole instead of merged.
   * Absent: the default (objects merge, lists are replaced).
   */
  readonly strategy?: 'merge' | 'replace';
  /** For `merge` lists of objects: the member identifying an element. */
  readonly mergeKey?: string;
  /**
   * The field (a struct, or each element of a list) is a union whose unset members are
   * cleared by a `$retainKeys` directive. Clients emit that directive; the server honours
   * `$retainKeys` wherever it appears, so this is descriptive.
   */
  readonly retainKeys?: boolean;
  /** Schema of the field's value (structs) or of each element (lists). */
  readonly schema?: PatchSchema;
}

/** Patch metadata of one struct type. Fields not listed use the defaults. */
export interface PatchSchema {
  /** The Go type name, for messages. */
  readonly name: string;
  readonly fields: Readonly<Record<string, FieldPatchMeta>>;
}

const NO_META: FieldPatchMeta = {};

/** A struct (or a map) with no special fields. */
export const GENERIC_SCHEMA: PatchSchema = { name: 'Object', fields: {} };

/** Patch metadata of one field; the defaults for fields the schema does not know. */
export function fieldMeta(schema: PatchSchema, field: string): FieldPatchMeta {
  return Object.hasOwn(schema.fields, field) ? (schema.fields[field] ?? NO_META) : NO_META;
}

/** The schema of a field's value (or of its elements), GENERIC_SCHEMA when unknown. */
export function fieldSchema(schema: PatchSchema, field: string): PatchSchema {
  return fieldMeta(schema, field).schema ?? GENERIC_SCHEMA;
}

function struct(name: string, fields: Record<string, FieldPatchMeta>): PatchSchema {
  return { name, fields };
}
const mergeBy = (mergeKey: string, schema?: PatchSchema): FieldPatchMeta =>
  schema === undefined ? { strategy: 'merge', mergeKey } : { strategy: 'merge', mergeKey, schema };
const mergeRetainBy = (mergeKey: string): FieldPatchMeta => ({ strategy: 'merge', mergeKey, retainKeys: true });
const primitiveSet: FieldPatchMeta = { strategy: 'merge' };
const nested = (schema: PatchSchema): FieldPatchMeta => ({ schema });
const conditionsByType: FieldPatchMeta = mergeBy('type');

// ---- meta/v1 ----

export const OBJECT_META = struct('ObjectMeta', {
  ownerReferences: mergeBy('uid'),
  finalizers: primitiveSet,
});

const meta = nested(OBJECT_META);

/** A status whose only tagged field is `conditions` (merged by `type`). */
const statusWithConditions = (name: string): PatchSchema => struct(name, { conditions: conditionsByType });

// ---- core/v1 ----

/** Container, and EphemeralContainer (which inlines the same fields). */
export const CONTAINER = struct('Container', {
  ports: mergeBy('containerPort'),
  env: mergeBy('name'),
  volumeMounts: mergeBy('mountPath'),
  volumeDevices: mergeBy('devicePath'),
});

export const POD_SPEC = struct('PodSpec', {
  volumes: mergeRetainBy('name'),
  initContainers: mergeBy('name', CONTAINER),
  containers: mergeBy('name', CONTAINER),
  ephemeralContainers: mergeBy('name', CONTAINER),
  imagePullSecrets: mergeBy('name'),
  hostAliases: mergeBy('ip'),
  topologySpreadConstraints: mergeBy('topologyKey'),
  schedulingGates: mergeBy('name'),
  resourceClaims: mergeRetainBy('name'),
});

export const POD_STATUS = struct('PodStatus', {
  conditions: conditionsByType,
  hostIPs: mergeBy('ip'),
  podIPs: mergeBy('ip'),
  resourceClaimStatuses: mergeRetainBy('name'),
  // containerStatuses and friends are atomic lists, so the merge keys inside ContainerStatus
  // (volumeMounts by mountPath, allocatedResourcesStatus by name) never come into play.
});

export const POD_TEMPLATE_SPEC = struct('PodTemplateSpec', { metadata: meta, spec: nested(POD_SPEC) });
const template = nested(POD_TEMPLATE_SPEC);

// ---- the kinds ----

function kind(name: string, fields: Record<string, FieldPatchMeta>): PatchSchema {
  return struct(name, { metadata: meta, ...fields });
}

const withTemplateSpec = (specName: string): FieldPatchMeta => nested(struct(specName, { template }));

const SCHEMAS: Readonly<Record<string, PatchSchema>> = {
  // core/v1
  'v1/Pod': kind('Pod', { spec: nested(POD_SPEC), status: nested(POD_STATUS) }),
  'v1/PodTemplate': kind('PodTemplate', { template }),
  'v1/ReplicationController': kind('ReplicationController', {
    spec: withTemplateSpec('ReplicationControllerSpec'),
    status: nested(statusWithConditions('ReplicationControllerStatus')),
  }),
  'v1/Service': kind('Service', {
    spec: nested(struct('ServiceSpec', { ports: mergeBy('port') })),
    status: nested(statusWithConditions('ServiceStatus')),
  }),
  'v1/Node': kind('Node', {
    spec: nested(struct('NodeSpec', { podCIDRs: primitiveSet })),
    status: nested(struct('NodeStatus', { conditions: conditionsByType, addresses: mergeBy('type') })),
  }),
  'v1/Namespace': kind('Namespace', { status: nested(statusWithConditions('NamespaceStatus')) }),
  'v1/ServiceAccount': kind('ServiceAccount', { secrets: mergeBy('name') }),
  'v1/PersistentVolumeClaim': kind('PersistentVolumeClaim', { status: nested(statusWithConditions('PersistentVolumeClaimStatus')) }),
  'v1/ComponentStatus': kind('ComponentStatus', { conditions: conditionsByType }),
  'v1/Endpoints': kind('Endpoints', {}),
  'v1/ConfigMap': kind('ConfigMap', {}),
  'v1/Secret': kind('Secret', {}),
  'v1/Event': kind('Event', {}),
  'v1/LimitRange': kind('LimitRange', {}),
  'v1/ResourceQuota': kind('ResourceQuota', {}),
  'v1/PersistentVolume': kind('PersistentVolume', {}),
  'v1/Binding': kind('Binding', {}),

  // apps/v1
  'apps/Deployment': kind('Deployment', {
    spec: nested(struct('DeploymentSpec', { template, strategy: { retainKeys: true } })),
    status: nested(statusWithConditions('DeploymentStatus')),
  }),
  'apps/ReplicaSet': kind('ReplicaSet', { spec: withTemplateSpec('ReplicaSetSpec'), status: nested(statusWithConditions('ReplicaSetStatus')) }),
  'apps/StatefulSet': kind('StatefulSet', { spec: withTemplateSpec('StatefulSetSpec'), status: nested(statusWithConditions('StatefulSetStatus')) }),
  'apps/DaemonSet': kind('DaemonSet', { spec: withTemplateSpec('DaemonSetSpec'), status: nested(statusWithConditions('DaemonSetStatus')) }),
  'apps/ControllerRevision': kind('ControllerRevision', {}),

  // batch/v1
  'batch/Job': kind('Job', { spec: withTemplateSpec('JobSpec'), status: nested(statusWithConditions('JobStatus')) }),
  'batch/CronJob': kind('CronJob', {
    spec: nested(struct('CronJobSpec', {
      jobTemplate: nested(struct('JobTemplateSpec', { metadata: meta, spec: withTemplateSpec('JobSpec') })),
    })),
  }),

  // autoscaling/v1 and v2 (only v2 has status.conditions; the extra entry is harmless for v1)
  'autoscaling/HorizontalPodAutoscaler': kind('HorizontalPodAutoscaler', { status: nested(statusWithConditions('HorizontalPodAutoscalerStatus')) }),
  'autoscaling/Scale': kind('Scale', {}),

  // policy/v1
  'policy/PodDisruptionBudget': kind('PodDisruptionBudget', {
    spec: nested(struct('PodDisruptionBudgetSpec', { selector: { strategy: 'replace' } })),
    status: nested(statusWithConditions('PodDisruptionBudgetStatus')),
  }),
  'policy/Eviction': kind('Eviction', {}),

  // networking.k8s.io/v1, discovery.k8s.io/v1, coordination.k8s.io/v1, events.k8s.io/v1:
  // no tagged fields (every list is atomic).
  'networking.k8s.io/Ingress': kind('Ingress', {}),
  'networking.k8s.io/IngressClass': kind('IngressClass', {}),
  'networking.k8s.io/NetworkPolicy': kind('NetworkPolicy', {}),
  'networking.k8s.io/IPAddress': kind('IPAddress', {}),
  'networking.k8s.io/ServiceCIDR': kind('ServiceCIDR', {}),
  'discovery.k8s.io/EndpointSlice': kind('EndpointSlice', {}),
  'coordination.k8s.io/Lease': kind('Lease', {}),
  'events.k8s.io/Event': kind('Event', {}),

  // rbac.authorization.k8s.io/v1
  'rbac.authorization.k8s.io/Role': kind('Role', {}),
  'rbac.authorization.k8s.io/ClusterRole': kind('ClusterRole', {}),
  'rbac.authorization.k8s.io/RoleBinding': kind('RoleBinding', {}),
  'rbac.authorization.k8s.io/ClusterRoleBinding': kind('ClusterRoleBinding', {}),

  // storage.k8s.io/v1
  'storage.k8s.io/StorageClass': kind('StorageClass', {}),
  'storage.k8s.io/CSIDriver': kind('CSIDriver', {}),
  'storage.k8s.io/CSINode': kind('CSINode', { spec: nested(struct('CSINodeSpec', { drivers: mergeBy('name') })) }),
  'storage.k8s.io/VolumeAttachment': kind('VolumeAttachment', {}),
  'storage.k8s.io/CSIStorageCapacity': kind('CSIStorageCapacity', {}),

  // scheduling, node, certificates, apiextensions, apiregistration
  'scheduling.k8s.io/PriorityClass': kind('PriorityClass', {}),
  'node.k8s.io/RuntimeClass': kind('RuntimeClass', {}),
  'certificates.k8s.io/CertificateSigningRequest': kind('CertificateSigningRequest', {}),
  'apiextensions.k8s.io/CustomResourceDefinition': kind('CustomResourceDefinition', {}),
  'apiregistration.k8s.io/APIService': kind('APIService', {}),

  // flowcontrol.apiserver.k8s.io/v1
  'flowcontrol.apiserver.k8s.io/FlowSchema': kind('FlowSchema', { status: nested(statusWithConditions('FlowSchemaStatus')) }),
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration': kind('PriorityLevelConfiguration', {
    status: nested(statusWithConditions('PriorityLevelConfigurationStatus')),
  }),

  // admissionregistration.k8s.io/v1
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': kind('ValidatingWebhookConfiguration', {
    webhooks: mergeBy('name', struct('ValidatingWebhook', { matchConditions: mergeBy('name') })),
  }),
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': kind('MutatingWebhookConfiguration', {
    webhooks: mergeBy('name', struct('MutatingWebhook', { matchConditions: mergeBy('name') })),
  }),
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy': kind('ValidatingAdmissionPolicy', {
    spec: nested(struct('ValidatingAdmissionPolicySpec', { matchConditions: mergeBy('name'), variables: mergeBy('name') })),
  }),
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding': kind('ValidatingAdmissionPolicyBinding', {}),
};

/** Splits `apps/v1` into its group (`apps`); the core group is `''` (written `v1`). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/**
 * The strategic merge patch schema of a built-in kind, or undefined for kinds Switchboard
 * does not compile in (custom resources such as Gateway API objects). The version is not
 * consulted: the tags are the same in every served version of these kinds.
 */
export function schemaFor(apiVersion: string, kind: string): PatchSchema | undefined {
  const group = groupOf(apiVersion);
  const key = `${group === '' ? 'v1' : group}/${kind}`;
  return Object.hasOwn(SCHEMAS, key) ? SCHEMAS[key] : undefined;
}

/** Whether `application/strategic-merge-patch+json` is accepted for this kind. */
export function supportsStrategicMergePatch(apiVersion: string, kind: string): boolean {
  return schemaFor(apiVersion, kind) !== undefined;
}
