// Server-side Table conversion (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`) with the
// columns and cell formats of kube-apiserver's printers (pkg/printers/internalversion/printers.go),
// CRD printer columns (apiextensions tableconvertor) and the default Name/Created At convertor.
// Like upstream's TableConvertor, every column is generated (Wide); kubectl hides priority > 0
// columns unless `-o wide`. Pure: `now` is passed in.
import { badRequest } from '../machinery/status.ts';
import { translateTimestampSince } from '../machinery/duration.ts';
import { formatLabels, formatLabelSelector, trySelectorFromLabelSelector, selectorToString } from '../machinery/labels.ts';
import { fieldDocs, type FieldDocKey } from './column-docs.ts';
import type { ResourceInfo, PrinterColumn } from './resources.ts';
import { evalSimpleJSONPath, cellForColumn } from './jsonpath.ts';
import type {
  KubeObject, ListMeta, Table, TableColumnDefinition, TableRow, TableRowCondition, PartialObjectMetadata,
  Pod, Service, Endpoints, EndpointSlice, Deployment, ReplicaSet, StatefulSet, Ingress, IngressClass, NetworkPolicy,
  Node, Event, Namespace, ConfigMap, Secret, ServiceAccount, Lease, Container, ContainerStatus, Condition,
} from './types.ts';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableOptions {
  /** What each row carries in `object`: nothing, a PartialObjectMetadata (default), or the object. */
  includeObject?: IncludeObject;
  /** Omit columnDefinitions (watch events after the first). */
  noHeaders?: boolean;
  apiVersion?: 'meta.k8s.io/v1' | 'meta.k8s.io/v1beta1';
  /** The list's metadata (resourceVersion, continue, remainingItemCount), or a single object's resourceVersion. */
  listMeta?: ListMeta;
}

/** Parses the `includeObject` query parameter; unknown values are a 400 as upstream words it. */
export function parseIncludeObject(v: string | null | undefined): IncludeObject {
  if (v === undefined || v === null || v === '' || v === 'Metadata') return 'Metadata';
  if (v === 'None' || v === 'Object') return v;
  throw badRequest(`unrecognized includeObject value: "${v}"`);
}

// ---- column definitions ----

function col(name: string, type: string, description: string, opts: { format?: string; priority?: number } = {}): TableColumnDefinition {
  return { name, type, format: opts.format ?? '', description, priority: opts.priority ?? 0 };
}

function doc(k: FieldDocKey): string {
  return fieldDocs[k];
}

const nameCol = col('Name', 'string', doc('ObjectMeta.name'), { format: 'name' });
const ageCol = col('Age', 'string', doc('ObjectMeta.creationTimestamp'));
const containersCol = col('Containers', 'string', 'Names of each container in the template.', { priority: 1 });
const imagesCol = col('Images', 'string', 'Images referenced by each container in the template.', { priority: 1 });

type Printer = (obj: KubeObject, now: Date) => { cells: unknown[]; conditions?: TableRowCondition[] };

interface PrinterDef {
  columns: TableColumnDefinition[];
  print: Printer;
}

const age = (o: KubeObject, now: Date): string => translateTimestampSince(o.metadata.creationTimestamp, now);
const name = (o: KubeObject): string => o.metadata.name ?? '';

function layoutContainerCells(containers: readonly Container[] | undefined): [string, string] {
  const cs = containers ?? [];
  return [cs.map((c) => c.name).join(','), cs.map((c) => c.image ?? '').join(',')];
}

// ---- pods ----

function isRestartableInitContainer(c: Container | undefined): boolean {
  return c?.restartPolicy === 'Always';
}

function hasCondition(conds: readonly Condition[] | undefined, type: string): boolean {
  return (conds ?? []).some((c) => c.type === type && c.status === 'True');
}

function tsMillis(ts: string | null | undefined): number {
  if (ts === undefined || ts === null || ts === '') return 0;
  const t = Date.parse(ts);
  return Number.isNaN(t) ? 0 : t;
}

const podSucceeded: TableRowCondition[] = [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
const podFailed: TableRowCondition[] = [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];

/** The STATUS, READY and RESTARTS cells of a pod, as printPod computes them. */
export function podStatusSummary(pod: Pod, now: Date): { ready: string; status: string; restarts: string } {
  const spec = pod.spec;
  const status = pod.status ?? {};
  let restarts = 0;
  let restartableInitRestarts = 0;
  let totalContainers = spec?.containers?.length ?? 0;
  let readyContainers = 0;
  let lastRestart = 0;
  let lastRestartableInitRestart = 0;

  let reason: string = status.phase ?? '';
  if (status.reason !== undefined && status.reason !== '') reason = status.reason;
  for (const c of status.conditions ?? []) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  const initContainers = new Map<string, Container>();
  for (const c of spec?.initContainers ?? []) {
    initContainers.set(c.name, c);
    if (isRestartableInitContainer(c)) totalContainers++;
  }

  const initStatuses: ContainerStatus[] = status.initContainerStatuses ?? [];
  let initializing = false;
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    if (cs === undefined) continue;
    restarts += cs.restartCount ?? 0;
    const lastTerm = cs.lastState?.terminated;
    if (lastTerm !== undefined) lastRestart = Math.max(lastRestart, tsMillis(lastTerm.finishedAt));
    const restartable = isRestartableInitContainer(initContainers.get(cs.name));
    if (restartable) {
      restartableInitRestarts += cs.restartCount ?? 0;
      if (lastTerm !== undefined) lastRestartableInitRestart = Math.max(lastRestartableInitRestart, tsMillis(lastTerm.finishedAt));
    }
    const term = cs.state?.terminated;
    const waiting = cs.state?.waiting;
    if (term !== undefined && term.exitCode === 0) continue;
    if (restartable && cs.started === true) {
      if (cs.ready) readyContainers++;
      continue;
    }
    if (term !== undefined) {
      if (term.reason === undefined || term.reason === '') {
        reason = term.signal !== undefined && term.signal !== 0 ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode ?? 0}`;
      } else {
        reason = `Init:${term.reason}`;
      }
    } else if (waiting !== undefined && waiting.reason !== undefined && waiting.reason !== '' && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${spec?.initContainers?.length ?? 0}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || hasCondition(status.conditions, 'Initialized')) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      if (cs === undefined) continue;
      restarts += cs.restartCount ?? 0;
      const lastTerm = cs.lastState?.terminated;
      if (lastTerm !== undefined) lastRestart = Math.max(lastRestart, tsMillis(lastTerm.finishedAt));
      const waiting = cs.state?.waiting;
      const term = cs.state?.terminated;
      if (waiting !== undefined && waiting.reason !== undefined && waiting.reason !== '') {
        reason = waiting.reason;
      } else if (term !== undefined && term.reason !== undefined && term.reason !== '') {
        reason = term.reason;
      } else if (term !== undefined) {
        reason = term.signal !== undefined && term.signal !== 0 ? `Signal:${term.signal}` : `ExitCode:${term.exitCode ?? 0}`;
      } else if (cs.ready && cs.state?.running !== undefined) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // A pod whose containers still run reads Running (or NotReady), not Completed.
    if (reason === 'Completed' && hasRunning) reason = hasCondition(status.conditions, 'Ready') ? 'Running' : 'NotReady';
  }

  const deleting = pod.metadata.deletionTimestamp !== undefined;
  if (deleting && status.reason === 'NodeLost') reason = 'Unknown';
  else if (deleting) reason = 'Terminating';

  let restartsStr = String(restarts);
  if (restarts !== 0 && lastRestart !== 0) restartsStr = `${restarts} (${translateTimestampSince(new Date(lastRestart).toISOString(), now)} ago)`;
  return { ready: `${readyContainers}/${totalContainers}`, status: reason, restarts: restartsStr };
}

const podPrinter: PrinterDef = {
  columns: [
    nameCol,
    col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'string', 'The aggregate status of the containers in this pod.'),
    col('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    ageCol,
    col('IP', 'string', doc('PodStatus.podIP'), { priority: 1 }),
    col('Node', 'string', doc('PodSpec.nodeName'), { priority: 1 }),
    col('Nominated Node', 'string', doc('PodStatus.nominatedNodeName'), { priority: 1 }),
    col('Readiness Gates', 'string', doc('PodSpec.readinessGates'), { priority: 1 }),
  ],
  print: (o, now) => {
    const pod = o as Pod;
    const s = podStatusSummary(pod, now);
    const podIP = pod.status?.podIPs?.[0]?.ip ?? pod.status?.podIP ?? '';
    const nodeName = pod.spec?.nodeName ?? '';
    const nominated = pod.status?.nominatedNodeName ?? '';
    let gates = '<none>';
    const rg = pod.spec?.readinessGates ?? [];
    if (rg.length > 0) {
      let trueConditions = 0;
      for (const g of rg) {
        const c = (pod.status?.conditions ?? []).find((x) => x.type === g.conditionType);
        if (c?.status === 'True') trueConditions++;
      }
      gates = `${trueConditions}/${rg.length}`;
    }
    const phase = pod.status?.phase;
    const out: { cells: unknown[]; conditions?: TableRowCondition[] } = {
      cells: [name(o), s.ready, s.status, s.restarts, age(o, now), podIP || '<none>', nodeName || '<none>', nominated || '<none>', gates],
    };
    if (phase === 'Succeeded') out.conditions = podSucceeded;
    else if (phase === 'Failed') out.conditions = podFailed;
    return out;
  },
};

// ---- services, endpoints, endpointslices ----

/** Unique sorted IPs/hostnames of load-balancer ingress points (never clipped: tables are wide). */
function loadBalancerStatus(ingress: readonly { ip?: string; hostname?: string }[] | undefined): string {
  const set = new Set<string>();
  for (const i of ingress ?? []) {
    if (i.ip !== undefined && i.ip !== '') set.add(i.ip);
    else if (i.hostname !== undefined && i.hostname !== '') set.add(i.hostname);
  }
  return [...set].sort().join(',');
}

/** The EXTERNAL-IP cell of a Service. */
export function serviceExternalIP(svc: Service): string {
  const spec = svc.spec ?? {};
  const externalIPs = spec.externalIPs ?? [];
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerStatus(svc.status?.loadBalancer?.ingress);
      if (externalIPs.length > 0) return [...(lb === '' ? [] : lb.split(',')), ...externalIPs].join(',');
      return lb !== '' ? lb : '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '';
    default:
      return '<unknown>';
  }
}

/** The PORT(S) cell: `80/TCP`, `80:30080/TCP`, comma-joined, `<none>` when empty. */
export function servicePorts(svc: Service): string {
  const s = (svc.spec?.ports ?? []).map((p) => {
    const proto = p.protocol ?? '';
    return p.nodePort !== undefined && p.nodePort > 0 ? `${p.port}:${p.nodePort}/${proto}` : `${p.port}/${proto}`;
  }).join(',');
  return s === '' ? '<none>' : s;
}

const servicePrinter: PrinterDef = {
  columns: [
    nameCol,
    col('Type', 'string', doc('ServiceSpec.type')),
    col('Cluster-IP', 'string', doc('ServiceSpec.clusterIP')),
    col('External-IP', 'string', doc('ServiceSpec.externalIPs')),
    col('Port(s)', 'string', doc('ServiceSpec.ports')),
    ageCol,
    col('Selector', 'string', doc('ServiceSpec.selector'), { priority: 1 }),
  ],
  print: (o, now) => {
    const svc = o as Service;
    const spec = svc.spec ?? {};
    const clusterIP = spec.clusterIPs?.[0] ?? (spec.clusterIP !== undefined && spec.clusterIP !== '' ? spec.clusterIP : '<none>');
    return { cells: [name(o), spec.type ?? '', clusterIP, serviceExternalIP(svc), servicePorts(svc), age(o, now), formatLabels(spec.selector)] };
  },
};

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The ENDPOINTS cell of an Endpoints object: first 3 `ip:port`, then `+ N more...`; `<none>` when empty. */
export function formatEndpoints(ep: Endpoints): string {
  const subsets = ep.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addrs = ss.addresses ?? [];
    const ports = ss.ports ?? [];
    if (ports.length === 0) {
      count += addrs.length;
      for (const a of addrs) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(a.ip);
      }
      continue;
    }
    for (const port of ports) {
      count += addrs.length;
      for (const a of addrs) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(joinHostPort(a.ip, port.port));
      }
    }
  }
  const ret = list.join(',');
  return more ? `${ret} + ${count - max} more...` : ret;
}

function listWithMore(list: string[], more: boolean, count: number, max: number): string {
  const ret = list.join(',');
  if (more) return `${ret} + ${count - max} more...`;
  return ret === '' ? '<unset>' : ret;
}

const endpointsPrinter: PrinterDef = {
  columns: [nameCol, col('Endpoints', 'string', doc('Endpoints.subsets')), ageCol],
  print: (o, now) => ({ cells: [name(o), formatEndpoints(o as Endpoints), age(o, now)] }),
};

/** The PORTS cell of an EndpointSlice. */
export function formatSlicePorts(slice: EndpointSlice): string {
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const p of slice.ports ?? []) {
    if (list.length < max) {
      let s = '*';
      if (p.port !== undefined && p.port !== null) s = String(p.port);
      else if (p.name !== undefined && p.name !== null) s = p.name;
      list.push(s);
    } else if (list.length === max) {
      more = true;
    }
    count++;
  }
  return listWithMore(list, more, count, max);
}

/** The ENDPOINTS cell of an EndpointSlice. */
export function formatSliceEndpoints(slice: EndpointSlice): string {
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const e of slice.endpoints ?? []) {
    for (const a of e.addresses ?? []) {
      if (list.length < max) list.push(a);
      else if (list.length === max) more = true;
      count++;
    }
  }
  return listWithMore(list, more, count, max);
}

const endpointSlicePrinter: PrinterDef = {
  columns: [
    nameCol,
    col('AddressType', 'string', doc('EndpointSlice.addressType')),
    col('Ports', 'string', doc('EndpointSlice.ports')),
    col('Endpoints', 'string', doc('EndpointSlice.endpoints')),
    ageCol,
  ],
  print: (o, now) => {
    const s = o as EndpointSlice;
    return { cells: [name(o), s.addressType ?? '', formatSlicePorts(s), formatSliceEndpoints(s), age(o, now)] };
  },
};

// ---- apps ----

const deploymentPrinter: PrinterDef = {
  columns: [
    nameCol,
    col('Ready', 'string', 'Number of the pod with ready state'),
    col('Up-to-date', 'string', doc('DeploymentStatus.updatedReplicas')),
    col('Available', 'string', doc('DeploymentStatus.availableReplicas')),
    ageCol,
    containersCol,
    imagesCol,
    col('Selector', 'string', doc('DeploymentSpec.selector'), { priority: 1 }),
  ],
  print: (o, now) => {
    const d = o as Deployment;
    const st = d.status ?? {};
    const [names, images] = layoutContainerCells(d.spec?.template?.spec?.containers);
    const sel = trySelectorFromLabelSelector(d.spec?.selector);
    const selector = sel === undefined ? '<invalid>' : selectorToString(sel);
    return {
      cells: [name(o), `${st.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`, st.updatedReplicas ?? 0, st.availableReplicas ?? 0, age(o, now), names, images, selector],
    };
  },
};

const replicaSetPrinter: PrinterDef = {
  columns: [
    nameCol,
    col('Desired', 'integer', doc('ReplicaSetSpec.replicas')),
    col('Current', 'integer', doc('ReplicaSetStatus.replicas')),
    col('Ready', 'integer', doc('ReplicaSetStatus.readyReplicas')),
    ageCol,
    containersCol,
    imagesCol,
    col('Selector', 'string', doc('ReplicaSetSpec.selector'), { priority: 1 }),
  ],
  print: (o, now) => {
    const rs = o as ReplicaSet;
    const [names, images] = layoutContainerCells(rs.spec?.template?.spec?.containers);
    return {
      cells: [name(o), rs.spec?.replicas ?? 0, rs.status?.replicas ?? 0, rs.status?.readyReplicas ?? 0, age(o, now), names, images, formatLabelSelector(rs.spec?.selector)],
    };
  },
};

const statefulSetPrinter: PrinterDef = {
  columns: [nameCol, col('Ready', 'string', 'Number of the pod with ready state'), ageCol, containersCol, imagesCol],
  print: (o, now) => {
    const s = o as StatefulSet;
    const [names, images] = layoutContainerCells(s.spec?.template?.spec?.containers);
    return { cells: [name(o), `${s.status?.readyReplicas ?? 0}/${s.spec?.replicas ?? 0}`, age(o, now), names, images] };
  },
};

// ---- networking ----

/** The HOSTS cell of an Ingress: first 3 hosts, `+ N more...`, `*` when none. */
export function formatIngressHosts(ing: Ingress): string {
  const rules = ing.spec?.rules ?? [];
  const list: string[] = [];
  const max = 3;
  let more = false;
  for (const r of rules) {
    if (list.length === max) more = true;
    if (!more && r.host !== undefined && r.host !== '') list.push(r.host);
  }
  if (list.length === 0) return '*';
  const ret = list.join(',');
  return more ? `${ret} + ${rules.length - max} more...` : ret;
}

const ingressPrinter: PrinterDef = {
  columns: [
    nameCol,
    col('Class', 'string', 'The name of the IngressClass resource that should be used for additional configuration'),
    col('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
    col('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    col('Ports', 'string', 'Ports of TLS configurations that open'),
    ageCol,
  ],
  print: (o, now) => {
    const ing = o as Ingress;
    const cls = ing.spec?.ingressClassName;
    const ports = (ing.spec?.tls ?? []).length > 0 ? '80, 443' : '80';
    return {
      cells: [name(o), cls === undefined || cls === null ? '<none>' : cls, formatIngressHosts(ing), loadBalancerStatus(ing.status?.loadBalancer?.ingress), ports, age(o, now)],
    };
  },
};

const ingressClassPrinter: PrinterDef = {
  columns: [
    nameCol,
    col('Controller', 'string', 'Controller that is responsible for handling this class'),
    col('Parameters', 'string', 'A reference to a resource with additional parameters'),
    ageCol,
  ],
  print: (o, now) => {
    const ic = o as IngressClass;
    const p = ic.spec?.parameters;
    let params = '<none>';
    if (p !== undefined && p !== null) {
      params = p.kind;
      if (p.apiGroup !== undefined && p.apiGroup !== null) params += `.${p.apiGroup}`;
      params += `/${p.name}`;
    }
    return { cells: [name(o), ic.spec?.controller ?? '', params, age(o, now)] };
  },
};

const networkPolicyPrinter: PrinterDef = {
  columns: [nameCol, col('Pod-Selector', 'string', doc('NetworkPolicySpec.podSelector')), ageCol],
  print: (o, now) => ({ cells: [name(o), formatLabelSelector((o as NetworkPolicy).spec?.podSelector ?? {}), age(o, now)] }),
};

// ---- core others ----

function nodeRoles(node: Node): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role !== '') roles.add(role);
    } else if (k === 'kubernetes.io/role' && v !== '') {
      roles.add(v);
    }
  }
  const s = [...roles].sort().join(',');
  return s === '' ? '<none>' : s;
}

function nodeAddress(node: Node, type: string): string {
  return node.status?.addresses?.find((a) => a.type === type)?.address ?? '<none>';
}

/** The STATUS cell of a Node: `Ready`, `NotReady`, `Unknown`, plus `,SchedulingDisabled`. */
export function nodeStatus(node: Node): string {
  const status: string[] = [];
  const ready = (node.status?.conditions ?? []).filter((c) => c.type === 'Ready').at(-1);
  if (ready !== undefined) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  if (status.length === 0) status.push('Unknown');
  if (node.spec?.unschedulable === true) status.push('SchedulingDisabled');
  return status.join(',');
}

const nodePrinter: PrinterDef = {
  columns: [
    nameCol,
    col('Status', 'string', 'The status of the node'),
    col('Roles', 'string', 'The roles of the node'),
    ageCol,
    col('Version', 'string', doc('NodeSystemInfo.kubeletVersion')),
    col('Internal-IP', 'string', doc('NodeStatus.addresses'), { priority: 1 }),
    col('External-IP', 'string', doc('NodeStatus.addresses'), { priority: 1 }),
    col('OS-Image', 'string', doc('NodeSystemInfo.osImage'), { priority: 1 }),
    col('Kernel-Version', 'string', doc('NodeSystemInfo.kernelVersion'), { priority: 1 }),
    col('Container-Runtime', 'string', doc('NodeSystemInfo.containerRuntimeVersion'), { priority: 1 }),
  ],
  print: (o, now) => {
    const n = o as Node;
    const info = n.status?.nodeInfo ?? {};
    const orUnknown = (s: string | undefined) => (s === undefined || s === '' ? '<unknown>' : s);
    return {
      cells: [
        name(o), nodeStatus(n), nodeRoles(n), age(o, now), info.kubeletVersion ?? '',
        nodeAddress(n, 'InternalIP'), nodeAddress(n, 'ExternalIP'),
        orUnknown(info.osImage), orUnknown(info.kernelVersion), orUnknown(info.containerRuntimeVersion),
      ],
    };
  },
};

function firstNonEmpty(...ss: (string | undefined)[]): string {
  return ss.find((s) => s !== undefined && s !== '') ?? '';
}

const eventPrinter: PrinterDef = {
  columns: [
    col('Last Seen', 'string', doc('Event.lastTimestamp')),
    col('Type', 'string', doc('Event.type')),
    col('Reason', 'string', doc('Event.reason')),
    col('Object', 'string', doc('Event.involvedObject')),
    col('Subobject', 'string', doc('ObjectReference.fieldPath'), { priority: 1 }),
    col('Source', 'string', doc('Event.source'), { priority: 1 }),
    col('Message', 'string', doc('Event.message')),
    col('First Seen', 'string', doc('Event.firstTimestamp'), { priority: 1 }),
    col('Count', 'string', doc('Event.count'), { priority: 1 }),
    col('Name', 'string', doc('ObjectMeta.name'), { format: 'name', priority: 1 }),
  ],
  print: (o, now) => {
    const e = o as Event;
    let first = translateTimestampSince(e.firstTimestamp, now);
    if (tsMillis(e.firstTimestamp) === 0) first = translateTimestampSince(e.eventTime, now);
    let last = translateTimestampSince(e.lastTimestamp, now);
    if (tsMillis(e.lastTimestamp) === 0) last = first;
    let count = e.count ?? 0;
    if (e.series !== undefined && e.series !== null) {
      last = translateTimestampSince(e.series.lastObservedTime, now);
      count = e.series.count ?? 0;
    } else if (count === 0) {
      count = 1;
    }
    const io = e.involvedObject ?? {};
    const kind = (io.kind ?? '').toLowerCase();
    const target = io.name !== undefined && io.name !== '' ? `${kind}/${io.name}` : kind;
    const component = firstNonEmpty(e.source?.component, e.reportingComponent);
    const instance = firstNonEmpty(e.source?.host, e.reportingInstance);
    const source = instance === '' ? component : `${component}, ${instance}`;
    return { cells: [last, e.type ?? '', e.reason ?? '', target, io.fieldPath ?? '', source, (e.message ?? '').trim(), first, count, name(o)] };
  },
};

const namespacePrinter: PrinterDef = {
  columns: [nameCol, col('Status', 'string', 'The status of the namespace'), ageCol],
  print: (o, now) => ({ cells: [name(o), (o as Namespace).status?.phase ?? '', age(o, now)] }),
};

const configMapPrinter: PrinterDef = {
  columns: [nameCol, col('Data', 'string', doc('ConfigMap.data')), ageCol],
  print: (o, now) => {
    const cm = o as ConfigMap;
    return { cells: [name(o), Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length, age(o, now)] };
  },
};

const secretPrinter: PrinterDef = {
  columns: [nameCol, col('Type', 'string', doc('Secret.type')), col('Data', 'string', doc('Secret.data')), ageCol],
  print: (o, now) => {
    const s = o as Secret;
    // stringData is merged into data on write upstream; count the union in case it was not.
    const keys = new Set([...Object.keys(s.data ?? {}), ...Object.keys(s.stringData ?? {})]);
    return { cells: [name(o), s.type ?? '', keys.size, age(o, now)] };
  },
};

const serviceAccountPrinter: PrinterDef = {
  columns: [nameCol, col('Secrets', 'string', doc('ServiceAccount.secrets')), ageCol],
  print: (o, now) => ({ cells: [name(o), ((o as ServiceAccount).secrets ?? []).length, age(o, now)] }),
};

const leasePrinter: PrinterDef = {
  columns: [nameCol, col('Holder', 'string', doc('LeaseSpec.holderIdentity')), ageCol],
  print: (o, now) => ({ cells: [name(o), (o as Lease).spec?.holderIdentity ?? '', age(o, now)] }),
};

/** rest.NewDefaultTableConvertor: Name and Created At (RFC 3339), as CRDs themselves print. */
const defaultPrinter: PrinterDef = {
  columns: [nameCol, col('Created At', 'date', doc('ObjectMeta.creationTimestamp'))],
  print: (o) => {
    const ts = o.metadata.creationTimestamp;
    const t = tsMillis(ts);
    // Go formats the zero time as 0001-01-01T00:00:00Z.
    return { cells: [name(o), t === 0 ? '0001-01-01T00:00:00Z' : new Date(t).toISOString().replace(/\.\d+Z$/, 'Z')] };
  },
};

const builtinPrinters: Readonly<Record<string, PrinterDef>> = {
  '/pods': podPrinter,
  '/services': servicePrinter,
  '/endpoints': endpointsPrinter,
  '/nodes': nodePrinter,
  '/events': eventPrinter,
  '/namespaces': namespacePrinter,
  '/configmaps': configMapPrinter,
  '/secrets': secretPrinter,
  '/serviceaccounts': serviceAccountPrinter,
  'apps/deployments': deploymentPrinter,
  'apps/replicasets': replicaSetPrinter,
  'apps/statefulsets': statefulSetPrinter,
  'discovery.k8s.io/endpointslices': endpointSlicePrinter,
  'networking.k8s.io/ingresses': ingressPrinter,
  'networking.k8s.io/ingressclasses': ingressClassPrinter,
  'networking.k8s.io/networkpolicies': networkPolicyPrinter,
  'coordination.k8s.io/leases': leasePrinter,
};

function crPrinter(columns: readonly PrinterColumn[]): PrinterDef {
  return {
    columns: [nameCol, ...columns.map((c) => col(c.name, c.type, c.description, { format: c.format, priority: c.priority }))],
    print: (o, now) => ({
      cells: [name(o), ...columns.map((c) => cellForColumn(c.type, evalSimpleJSONPath(o, c.jsonPath), (ts) => translateTimestampSince(ts, now)))],
    }),
  };
}

function printerFor(info: ResourceInfo): PrinterDef {
  if (info.printerColumns !== undefined) return crPrinter(info.printerColumns);
  return builtinPrinters[`${info.group}/${info.plural}`] ?? defaultPrinter;
}

/** The column definitions a resource's tables carry. */
export function columnsFor(info: ResourceInfo): TableColumnDefinition[] {
  return printerFor(info).columns.map((c) => ({ ...c }));
}

function rowObject(obj: KubeObject, include: IncludeObject, apiVersion: PartialObjectMetadata['apiVersion']): unknown {
  if (include === 'Object') return obj;
  if (include === 'None') return undefined;
  const partial: PartialObjectMetadata = { apiVersion, kind: 'PartialObjectMetadata', metadata: obj.metadata };
  return partial;
}

/**
 * A meta.k8s.io/v1 Table of these objects (one row each, in order), as kube-apiserver answers a
 * get or list asked for `as=Table`.
 */
export function tableFor(info: ResourceInfo, objects: readonly KubeObject[], now: Date, opts: TableOptions = {}): Table {
  const printer = printerFor(info);
  const apiVersion = opts.apiVersion ?? 'meta.k8s.io/v1';
  const include = opts.includeObject ?? 'Metadata';
  const rows: TableRow[] = objects.map((obj) => {
    const { cells, conditions } = printer.print(obj, now);
    const row: TableRow = { cells };
    if (conditions !== undefined) row.conditions = conditions;
    const object = rowObject(obj, include, apiVersion);
    if (object !== undefined) row.object = object;
    return row;
  });
  const metadata: ListMeta = {};
  if (opts.listMeta?.resourceVersion !== undefined) metadata.resourceVersion = opts.listMeta.resourceVersion;
  if (opts.listMeta?.continue !== undefined && opts.listMeta.continue !== '') metadata.continue = opts.listMeta.continue;
  if (opts.listMeta?.remainingItemCount !== undefined) metadata.remainingItemCount = opts.listMeta.remainingItemCount;
  const table: Table = { kind: 'Table', apiVersion, metadata, rows };
  if (opts.noHeaders !== true) table.columnDefinitions = columnsFor(info);
  return table;
}

/**
 * The Table a watch event carries for one object: column definitions only on the first event
 * of the stream (upstream sets NoHeaders afterwards), resourceVersion of the object.
 */
export function tableForWatchEvent(info: ResourceInfo, obj: KubeObject, now: Date, opts: Omit<TableOptions, 'noHeaders' | 'listMeta'> & { first: boolean }): Table {
  const { first, ...rest } = opts;
  const listMeta: ListMeta = obj.metadata.resourceVersion !== undefined ? { resourceVersion: obj.metadata.resourceVersion } : {};
  return tableFor(info, [obj], now, { ...rest, noHeaders: !first, listMeta });
}
