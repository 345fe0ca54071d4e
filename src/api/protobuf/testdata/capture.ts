// Records the request bodies the real kubectl sends from its generator commands, for the golden
// tests of the protobuf decoder. Not run by the tests. Usage (from /work/main, Node 24 on PATH):
//
//   node src/api/protobuf/testdata/capture.ts \
//     [--kubectl=kubectl] [--json-kubectl=/usr/lib/google-cloud-sdk/bin/kubectl.1.31] [--out=DIR] [--only=a,b]
//
// It starts a plain-HTTP mock API server on 127.0.0.1 (random port) that reports v1.32 on
// /version (so the kubectl dispatcher runs 1.32.4) and serves legacy discovery for the resources
// the commands need, writes a kubeconfig pointing at it, and runs each command in COMMANDS with a
// fresh KUBECACHEDIR. Each body is saved as `<name>.pb` (protobuf) or `<name>.sent.json` (JSON).
// With --json-kubectl, the same command is run again with that binary (kubectl 1.31 sends JSON
// from the same generator code) and its body, minus JSON nulls, becomes the expected `<name>.json`.
// `manifest.json` records command, method, path, content type and User-Agent of every body.
// Commands marked `observe` only print what was sent (they are not protobuf, or not decoded).

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Command {
  name: string;
  args: string[];
  /** Only print what was sent (content type), save nothing: kinds the decoder does not cover. */
  observe?: true;
}

/** The commands captured; `name` becomes the file name. All run in namespace `default` unless `-n`. */
export const COMMANDS: readonly Command[] = [
  { name: 'namespace', args: ['create', 'namespace', 'test'] },
  { name: 'deployment', args: ['create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=3', '--port=80'] },
  { name: 'deployment-multi', args: ['create', 'deployment', 'multi', '-n', 'team', '--image=nginx', '--image=registry.example.com/tools/busybox:1.36'] },
  { name: 'deployment-command', args: ['create', 'deployment', 'cmd', '--image=busybox', '--', 'sleep', '3600'] },
  { name: 'service-clusterip', args: ['create', 'service', 'clusterip', 'web', '--tcp=80:8080'] },
  { name: 'service-clusterip-headless', args: ['create', 'service', 'clusterip', 'headless', '--clusterip=None'] },
  { name: 'service-nodeport', args: ['create', 'service', 'nodeport', 'np', '--tcp=80:80', '--node-port=30080'] },
  { name: 'service-loadbalancer', args: ['create', 'service', 'loadbalancer', 'lb', '--tcp=443:8443', '--tcp=80'] },
  { name: 'service-externalname', args: ['create', 'service', 'externalname', 'ext', '--external-name=example.com'] },
  { name: 'configmap', args: ['create', 'configmap', 'cm', '--from-literal=a=b', '--from-literal=c=d'] },
  { name: 'configmap-binary', args: ['create', 'configmap', 'bin', '--from-file=blob.bin=@BLOB@', '--from-literal=empty='] },
  { name: 'secret-generic', args: ['create', 'secret', 'generic', 's', '--from-literal=password=x'] },
  { name: 'secret-typed', args: ['create', 'secret', 'generic', 'typed', '--type=example.com/custom', '--from-literal=k=v', '--from-file=blob.bin=@BLOB@'] },
  { name: 'secret-docker-registry', args: ['create', 'secret', 'docker-registry', 'reg', '--docker-server=registry.example.com', '--docker-username=user', '--docker-password=pass', '--docker-email=user@example.com'] },
  { name: 'ingress', args: ['create', 'ingress', 'ing', '--rule=foo.com/bar*=svc:80'] },
  { name: 'ingress-full', args: ['create', 'ingress', 'ing2', '--class=default', '--rule=foo.com/=svc:http,tls=my-cert', '--rule=/path=other:8080', '--default-backend=defsvc:8080', '--annotation=a.example.com/b=c'] },
  { name: 'serviceaccount', args: ['create', 'serviceaccount', 'sa'] },
  { name: 'job', args: ['create', 'job', 'j', '--image=busybox', '--', 'echo', 'hi'] },
  { name: 'cronjob', args: ['create', 'cronjob', 'cj', '--image=busybox', '--schedule=*/1 * * * *', '--restart=OnFailure', '--', 'date'] },
  { name: 'autoscale', args: ['autoscale', 'deployment', 'web', '--min=2', '--max=5', '--cpu-percent=80'] },
  { name: 'pdb', args: ['create', 'poddisruptionbudget', 'pdb', '--selector=app=web', '--min-available=1'] },
  { name: 'priorityclass', args: ['create', 'priorityclass', 'high', '--value=1000'] },
  { name: 'quota', args: ['create', 'quota', 'q', '--hard=pods=10'] },
  { name: 'role', args: ['create', 'role', 'r', '--verb=get', '--resource=pods'] },
  { name: 'rolebinding', args: ['create', 'rolebinding', 'rb', '--role=r', '--user=u'] },
  { name: 'clusterrole', args: ['create', 'clusterrole', 'cr', '--verb=get', '--resource=pods'] },
  { name: 'clusterrolebinding', args: ['create', 'clusterrolebinding', 'crb', '--clusterrole=cr', '--user=u'] },
  { name: 'token', args: ['create', 'token', 'sa', '--duration=1h', '--audience=https://api.example.com'] },
  { name: 'run', args: ['run', 'pod1', '--image=nginx'], observe: true },
  { name: 'expose', args: ['expose', 'deployment', 'web', '--port=80'], observe: true },
  { name: 'scale', args: ['scale', 'deployment', 'web', '--replicas=2'], observe: true },
  { name: 'set-image', args: ['set', 'image', 'deployment/web', 'nginx=nginx:1.26'], observe: true },
  { name: 'label', args: ['label', 'deployment', 'web', 'a=b'], observe: true },
];

interface ApiResource { name: string; singularName: string; namespaced: boolean; kind: string; verbs: string[]; group?: string; version?: string }

const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
function res(name: string, kind: string, namespaced = true): ApiResource {
  return { name, singularName: kind.toLowerCase(), namespaced, kind, verbs: VERBS };
}
function scale(parent: string, group = 'autoscaling', version = 'v1'): ApiResource {
  return { name: `${parent}/scale`, singularName: '', namespaced: true, group, version, kind: 'Scale', verbs: ['get', 'patch', 'update'] };
}

const GROUPS: Record<string, ApiResource[]> = {
  'v1': [
    res('namespaces', 'Namespace', false), res('services', 'Service'), res('configmaps', 'ConfigMap'),
    res('secrets', 'Secret'), res('serviceaccounts', 'ServiceAccount'), res('pods', 'Pod'),
    res('endpoints', 'Endpoints'), res('resourcequotas', 'ResourceQuota'),
    { name: 'serviceaccounts/token', singularName: '', namespaced: true, group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] },
  ],
  'apps/v1': [res('deployments', 'Deployment'), scale('deployments'), res('replicasets', 'ReplicaSet'), scale('replicasets'), res('statefulsets', 'StatefulSet'), scale('statefulsets')],
  'networking.k8s.io/v1': [res('ingresses', 'Ingress'), res('ingressclasses', 'IngressClass', false), res('networkpolicies', 'NetworkPolicy')],
  'batch/v1': [res('jobs', 'Job'), res('cronjobs', 'CronJob')],
  'autoscaling/v1': [res('horizontalpodautoscalers', 'HorizontalPodAutoscaler')],
  'discovery.k8s.io/v1': [res('endpointslices', 'EndpointSlice')],
  'coordination.k8s.io/v1': [res('leases', 'Lease')],
  'policy/v1': [res('poddisruptionbudgets', 'PodDisruptionBudget')],
  'scheduling.k8s.io/v1': [res('priorityclasses', 'PriorityClass', false)],
  'rbac.authorization.k8s.io/v1': [res('roles', 'Role'), res('rolebindings', 'RoleBinding'), res('clusterroles', 'ClusterRole', false), res('clusterrolebindings', 'ClusterRoleBinding', false)],
};

function send(w: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  w.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  w.end(text);
}

function discovery(path: string): unknown {
  if (path === '/version') return { major: '1', minor: '32', gitVersion: 'v1.32.4', platform: 'linux/amd64' };
  if (path === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] };
  if (path === '/apis') {
    const groups = Object.keys(GROUPS).filter((gv) => gv.includes('/')).map((gv) => {
      const [group = '', version = ''] = gv.split('/');
      const v = { groupVersion: gv, version };
      return { name: group, versions: [v], preferredVersion: v };
    });
    return { kind: 'APIGroupList', apiVersion: 'v1', groups };
  }
  const gv = path === '/api/v1' ? 'v1' : path.startsWith('/apis/') ? path.slice('/apis/'.length) : '';
  const resources = GROUPS[gv];
  if (resources !== undefined) return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources };
  return undefined;
}

/** The object kubectl gets back: enough for it to print `<kind>/<name> created`. */
function echo(path: string, contentType: string, body: Buffer): unknown {
  const m = /^\/apis?\/(?:([^/]+)\/)?(v1)\/(?:namespaces\/([^/]+)\/)?([^/]+)/.exec(path);
  const gv = m?.[1] !== undefined && m[1] !== 'v1' ? `${m[1]}/v1` : 'v1';
  const resource = m?.[4] ?? '';
  const kind = GROUPS[gv]?.find((r) => r.name === resource)?.kind ?? 'Unknown';
  if (contentType.startsWith('application/json')) {
    try { return JSON.parse(body.toString('utf8')) as unknown; } catch { /* fall through */ }
  }
  return { apiVersion: gv, kind, metadata: { name: 'captured', namespace: m?.[3] ?? '', uid: '00000000-0000-0000-0000-000000000001', resourceVersion: '1' } };
}

/** GETs of named objects (autoscale reads the target first). */
function getObject(path: string): unknown {
  const m = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/?]+?)(\/scale)?$/.exec(path);
  if (m === null) return undefined;
  if (m[3] !== undefined) {
    return { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: m[2], namespace: m[1], resourceVersion: '1' }, spec: { replicas: 1 }, status: { replicas: 1, selector: `app=${m[2] ?? ''}` } };
  }
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: m[2], namespace: m[1], uid: '00000000-0000-0000-0000-000000000002', resourceVersion: '1' },
    spec: { replicas: 1, selector: { matchLabels: { app: m[2] } }, template: { metadata: { labels: { app: m[2] } }, spec: { containers: [{ name: 'nginx', image: 'nginx' }] } } },
  };
}

interface Captured { method: string; path: string; contentType: string; userAgent: string; body: Buffer }

function readBody(r: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    r.on('data', (c: Buffer) => chunks.push(c));
    r.on('end', () => resolve(Buffer.concat(chunks)));
    r.on('error', reject);
  });
}

function run(kubectl: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(kubectl, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    p.stderr.on('data', (c: Buffer) => { out += c.toString(); });
    p.on('close', (code) => resolve({ code, out }));
  });
}

/** Go's JSON writes `null` for nil pointers and zero times; the decoder leaves such fields out. */
function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, dropNulls(x)]));
  }
  return v;
}

interface ManifestEntry {
  name: string;
  command: string;
  method: string;
  path: string;
  contentType: string;
  userAgent: string;
  file: string;
  expected?: string;
}

async function main(): Promise<void> {
  const opts = new Map(process.argv.slice(2).map((a) => { const i = a.indexOf('='); return [a.slice(2, i), a.slice(i + 1)] as const; }));
  const kubectl = opts.get('kubectl') ?? 'kubectl';
  const jsonKubectl = opts.get('json-kubectl');
  const out = opts.get('out') ?? dirname(fileURLToPath(import.meta.url));
  const only = opts.get('only')?.split(',');
  mkdirSync(out, { recursive: true });

  let captured: Captured[] = [];
  const server = createServer((r, w) => {
    void (async () => {
      const body = await readBody(r);
      const url = new URL(r.url ?? '/', 'http://x');
      const contentType = r.headers['content-type'] ?? '';
      if (r.method === 'POST' || r.method === 'PUT' || r.method === 'PATCH') {
        captured.push({ method: r.method, path: r.url ?? '', contentType, userAgent: r.headers['user-agent'] ?? '', body });
        if (r.method === 'POST') send(w, 201, echo(url.pathname, contentType, body));
        else send(w, 200, getObject(url.pathname) ?? echo(url.pathname, contentType, body));
        return;
      }
      const d = discovery(url.pathname) ?? getObject(url.pathname);
      if (r.method === 'GET' && d !== undefined) { send(w, 200, d); return; }
      send(w, 404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', details: {}, code: 404 });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const tmp = mkdtempSync(join(tmpdir(), 'capture-'));
  const kubeconfig = join(tmp, 'kubeconfig');
  writeFileSync(kubeconfig, `apiVersion: v1
kind: Config
clusters:
- name: mock
  cluster:
    server: http://127.0.0.1:${port}
contexts:
- name: mock
  context:
    cluster: mock
    namespace: default
current-context: mock
`);
  // A small file with bytes that are not valid UTF-8, so kubectl puts it in binaryData.
  const blob = join(tmp, 'blob.bin');
  writeFileSync(blob, Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x01, 0x02, 0x03]));

  const runOne = async (bin: string, c: Command): Promise<Captured[]> => {
    const env = { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: mkdtempSync(join(tmp, 'cache-')), HOME: tmp };
    captured = [];
    const result = await run(bin, c.args.map((a) => a.replace('@BLOB@', blob)), env);
    process.stdout.write(`${c.name} [${bin}]: exit ${String(result.code)} ${result.out.trim()}\n`);
    return captured;
  };

  const manifest: ManifestEntry[] = [];
  for (const c of COMMANDS) {
    if (only !== undefined && !only.includes(c.name)) continue;
    const caps = await runOne(kubectl, c);
    const jsonCaps = jsonKubectl !== undefined && c.observe !== true ? await runOne(jsonKubectl, c) : [];
    caps.forEach((cap, i) => {
      process.stdout.write(`  ${cap.method} ${cap.path} ${cap.contentType} (${cap.userAgent})\n`);
      if (c.observe === true) return;
      const n = caps.length > 1 ? `${c.name}-${i + 1}` : c.name;
      const file = cap.contentType.includes('protobuf') ? `${n}.pb` : `${n}.sent.json`;
      writeFileSync(join(out, file), cap.body);
      const entry: ManifestEntry = {
        name: n, command: ['kubectl', ...c.args.map((a) => a.replace('@BLOB@', 'blob.bin'))].join(' '),
        method: cap.method, path: cap.path, contentType: cap.contentType, userAgent: cap.userAgent, file,
      };
      const ref = jsonCaps[i];
      if (ref !== undefined && ref.contentType.startsWith('application/json')) {
        entry.expected = `${n}.json`;
        const obj = dropNulls(JSON.parse(ref.body.toString('utf8')) as unknown);
        writeFileSync(join(out, entry.expected), JSON.stringify(obj, null, 2) + '\n');
        process.stdout.write(`  expected from ${ref.userAgent} -> ${entry.expected}\n`);
      }
      manifest.push(entry);
    });
  }
  // With --only, keep the other entries of an existing manifest.
  const manifestPath = join(out, 'manifest.json');
  let merged = manifest;
  if (only !== undefined && existsSync(manifestPath)) {
    const old = JSON.parse(readFileSync(manifestPath, 'utf8')) as ManifestEntry[];
    const order = COMMANDS.map((c) => c.name);
    const base = (n: string): string => n.replace(/-\d+$/, '');
    merged = [...old.filter((e) => !only.includes(base(e.name))), ...manifest]
      .sort((a, b) => order.indexOf(base(a.name)) - order.indexOf(base(b.name)));
  }
  writeFileSync(manifestPath, JSON.stringify(merged, null, 2) + '\n');
  server.close();
  rmSync(tmp, { recursive: true, force: true });
}

await main();
