// The whole path on one `switchboard up`, as seed 002 walks it: a Deployment's Pods behind a
// ClusterIP Service, reached by curl from the host through the proxy, and by name from inside a Pod
// through the cluster DNS; the `kubernetes` Service reaches the API server; a readiness probe that fails takes its Pod out of the EndpointSlice and
// the ClusterIP; SIGTERM then leaves no namespace, interface or table of ours behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Switchboard, kubectlMissing, eventually, assertWithin } from '../helpers/switchboard.ts';
import { apiCall } from '../helpers/api.ts';

function missing(): string | false {
  if (process.getuid?.() !== 0) return 'needs root (Pods in network namespaces, kernel data plane)';
  for (const tool of ['ip', 'nft', 'iptables', 'nginx', 'curl']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  return kubectlMissing();
}
const skip = missing();
if (skip !== false) console.log(`# skipping full-stack e2e: ${skip}`);

let sb: Switchboard;
before(async () => { if (skip === false) sb = await Switchboard.start({ proxyMode: 'iptables' }); });
after(async () => { if (skip === false && sb !== undefined) await sb.stop(); });

async function ok(args: string[]): Promise<string> {
  const r = await sb.kubectl(args);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}:\n${r.stderr}`);
  return r.stdout;
}

function ids(): string[] {
  const ns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  return ns.split('\n').map((l) => /^sb-([0-9a-f]{4})-/.exec(l)?.[1]).filter((x): x is string => x !== undefined);
}

test('seed 002 on the full stack: ClusterIP from the host, names from a Pod, clean stop', { skip, timeout: 120_000 }, async () => {
  await ok(['create', 'namespace', 'test']);
  await ok(['create', 'deployment', 'nginx', '--image=nginx', '--replicas=3', '-n', 'test']);
  await ok(['expose', 'deployment', 'nginx', '--name=svc-nginx', '--type=ClusterIP', '--port=80', '--target-port=80', '-n', 'test']);
  await eventually(async () => (await ok(['get', 'endpoints', 'svc-nginx', '-n', 'test', '-o', 'jsonpath={.subsets[0].addresses[*].ip}'])).split(' ').filter((x) => x !== '').length === 3, 30_000, 200);
  const pods = (await ok(['get', 'pods', '-n', 'test', '-o', 'name'])).trim().split('\n');
  for (const p of pods) await ok(['exec', '-n', 'test', p, '--', 'sh', '-c', 'hostname -i > /usr/share/nginx/html/index.html']);
  const podIPs = new Set((await ok(['get', 'pods', '-n', 'test', '-o', 'jsonpath={.items[*].status.podIP}'])).split(' '));
  const cip = await ok(['get', 'svc', 'svc-nginx', '-n', 'test', '-o', 'jsonpath={.spec.clusterIP}']);
  // The Endpoints can be written a moment before the proxy's next sync programs the new Service.
  await eventually(async () => spawnSync('curl', ['-s', '-m', '3', `http://${cip}/`]).status === 0, 10_000, 100);
  const answers = new Set<string>();
  for (let i = 0; i < 30; i++) {
    const r = spawnSync('curl', ['-s', '-m', '3', `http://${cip}/`], { encoding: 'utf8' });
    assert.equal(r.status, 0, `curl ${cip}: ${r.stderr}`);
    answers.add(r.stdout.trim());
  }
  assert.deepEqual([...answers].sort(), [...podIPs].sort(), 'every Pod answers through the ClusterIP');
  const pod = pods[0] ?? '';
  for (const name of ['svc-nginx', 'svc-nginx.test', 'svc-nginx.test.svc.cluster.local']) {
    const out = await ok(['exec', '-n', 'test', pod, '--', 'getent', 'hosts', name]);
    assert.match(out, new RegExp(`^${cip.replaceAll('.', '\\.')}\\s+svc-nginx\\.test\\.svc\\.cluster\\.local`), `getent hosts ${name}`);
  }

  // externalTrafficPolicy: Local gets a health check node port; this node answers it with its local endpoints.
  await ok(['expose', 'deployment', 'nginx', '--name=svc-lb', '--type=LoadBalancer', '--port=80', '-n', 'test']);
  await ok(['patch', 'svc', 'svc-lb', '-n', 'test', '-p', '{"spec":{"externalTrafficPolicy":"Local"}}']);
  const hcPort = Number(await ok(['get', 'svc', 'svc-lb', '-n', 'test', '-o', 'jsonpath={.spec.healthCheckNodePort}']));
  assert.ok(hcPort >= 30000 && hcPort <= 32767, `healthCheckNodePort ${hcPort}`);
  const hc = await eventually(async () => {
    const r = spawnSync('curl', ['-s', '-m', '3', '-w', '\n%{http_code}', `http://127.0.0.1:${hcPort}/`], { encoding: 'utf8' });
    return r.stdout.endsWith('\n200') ? r.stdout : undefined;
  }, 10_000, 200);
  assert.deepEqual(JSON.parse(hc.split('\n')[0] ?? ''), { service: { namespace: 'test', name: 'svc-lb' }, localEndpoints: 3, serviceProxyHealthy: true });

  // The `kubernetes` Service leads to the API server, from a Pod and from the host.
  const apiEp = await ok(['get', 'endpoints', 'kubernetes', '-o', 'jsonpath={.subsets[0].addresses[0].ip}:{.subsets[0].ports[0].port}']);
  assert.match(apiEp, /^10\.244\.\d+\.1:\d+$/);
  assert.equal(await ok(['get', 'endpointslice', 'kubernetes', '-o', 'jsonpath={.endpoints[0].addresses[0]}:{.ports[0].port}']), apiEp);
  const fromPod = await ok(['exec', '-n', 'test', pod, '--', 'sh', '-c', 'curl -sk --max-time 5 https://kubernetes.default.svc/version; echo; echo $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT']);
  assert.match(fromPod, /"gitVersion": ?"v1\.32\.\d+[^"]*"[\s\S]*\n10\.96\.0\.1:443\n$/);
  const fromHost = spawnSync('curl', ['-sk', '--max-time', '5', 'https://10.96.0.1/version'], { encoding: 'utf8' });
  assert.match(fromHost.stdout, /"gitVersion"/);
  // In-cluster credentials, as client libraries read them: the Pod's token, CA and namespace.
  const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
  const inCluster = await ok(['exec', '-n', 'test', pod, '--', 'sh', '-c',
    `cat ${sa}/namespace; echo; curl -s --max-time 5 --cacert ${sa}/ca.crt -H "Authorization: Bearer $(cat ${sa}/token)" https://kubernetes.default.svc/api/v1/namespaces/test/pods`]);
  assert.match(inCluster, /^test\n/);
  assert.match(inCluster, /"kind": ?"PodList"/);

  // A readiness probe gates traffic: the Pod joins the EndpointSlice when the probe passes, leaves it
  // within periodSeconds × failureThreshold + 1 s of failing, and the ClusterIP then refuses.
  const applied = await sb.kubectl(['apply', '-f', '-'], { input: `apiVersion: v1
kind: Pod
metadata: {name: gated, namespace: test, labels: {app: gated}}
spec:
  containers:
  - name: web
    image: nginx
    readinessProbe:
      exec: {command: [cat, /usr/share/nginx/html/ready]}
      periodSeconds: 1
      failureThreshold: 2
` });
  assert.equal(applied.code, 0, applied.stderr);
  await ok(['expose', 'pod', 'gated', '--name=svc-gated', '--port=80', '-n', 'test']);
  const sliceReady = async (): Promise<string> => ok(['get', 'endpointslices', '-n', 'test', '-l', 'kubernetes.io/service-name=svc-gated', '-o', 'jsonpath={.items[*].endpoints[*].conditions.ready}']);
  await eventually(async () => (await sliceReady()) === 'false', 30_000, 200);
  await eventually(async () => (await sb.kubectl(['exec', '-n', 'test', 'gated', '--', 'touch', '/usr/share/nginx/html/ready'])).code === 0, 10_000, 300);
  await eventually(async () => (await sliceReady()) === 'true', 10_000, 100);
  const gip = await ok(['get', 'svc', 'svc-gated', '-n', 'test', '-o', 'jsonpath={.spec.clusterIP}']);
  await eventually(async () => spawnSync('curl', ['-s', '-m', '3', `http://${gip}/ready`]).status === 0, 5000, 100);
  // Timed from the file's removal (the exec's end) to the slice, polled over the API itself: kubectl
  // start-up would be most of the figure.
  const target = { api: sb.state.api, token: sb.token, ca: sb.caCert };
  const apiSliceReady = async (): Promise<boolean | undefined> => {
    const r = await apiCall(target, 'GET', '/apis/discovery.k8s.io/v1/namespaces/test/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dsvc-gated');
    return r.json<{ items: Array<{ endpoints?: Array<{ conditions?: { ready?: boolean } }> }> }>().items[0]?.endpoints?.[0]?.conditions?.ready;
  };
  await ok(['exec', '-n', 'test', 'gated', '--', 'rm', '/usr/share/nginx/html/ready']);
  const t0 = performance.now();
  await eventually(async () => (await apiSliceReady()) === false, 15_000, 20);
  assertWithin(performance.now() - t0, 1000 * 2 + 1000, 'readiness failure → EndpointSlice ready=false (period × failureThreshold + 1 s)');
  await eventually(async () => spawnSync('curl', ['-s', '-m', '3', `http://${gip}/`]).status === 7, 5000, 100);

  const mine = new Set(ids());
  assert.ok(mine.size > 0);
  const code = await sb.stop({ keepDataDir: false });
  assert.equal(code, 0);
  const left = ids().filter((id) => mine.has(id));
  assert.deepEqual(left, [], 'no Pod namespace left after SIGTERM');
  const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout;
  for (const id of mine) assert.ok(!links.includes(`sb${id}-br`), `bridge sb${id}-br removed`);
  const tables = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' }).stdout;
  for (const id of mine) assert.ok(!tables.includes(`switchboard_agent_${id}`), 'agent table removed');
  // This is the only test that runs a proxy on the host (the others use --proxy-mode none).
  const ipt = spawnSync('iptables-save', [], { encoding: 'utf8' }).stdout;
  assert.ok(!ipt.includes('KUBE-SERVICES'), 'no kube-proxy iptables chains left');
});
