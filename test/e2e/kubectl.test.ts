// End to end: the real kubectl against a real `switchboard up`, as a new user would drive it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync, existsSync, readFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Switchboard, kubectlMissing, eventually } from '../helpers/switchboard.ts';

const seeds = join(import.meta.dirname, 'testdata', 'seeds');
const skip = kubectlMissing();
if (skip !== false) console.log(`# skipping kubectl end-to-end tests: ${skip}`);

let sb: Switchboard;
let work: string;

before(async () => {
  if (skip !== false) return;
  sb = await Switchboard.start();
  work = mkdtempSync(join(tmpdir(), 'sb-e2e-'));
});

after(async () => {
  if (skip !== false) return;
  await sb?.stop();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

async function ok(args: string[], input?: string): Promise<string> {
  const r = await sb.kubectl(args, input === undefined ? {} : { input });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

async function fails(args: string[], input?: string): Promise<string> {
  const r = await sb.kubectl(args, input === undefined ? {} : { input });
  assert.notEqual(r.code, 0, `kubectl ${args.join(' ')} should fail; stdout:\n${r.stdout}`);
  return r.stderr;
}

test('up writes kubeconfig and state.json and says ready', { skip }, () => {
  assert.match(sb.readyLine, /^ready/);
  assert.ok(existsSync(sb.kubeconfig));
  const state = sb.state;
  assert.match(state.api, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(state.kubeconfig, sb.kubeconfig);
  assert.equal(typeof state.pid, 'number');
});

test('apply the seed manifests, and again: unchanged', { skip }, async () => {
  const first = await ok(['apply', '-f', join(seeds, '001-webapp.yaml')]);
  assert.equal(first, 'deployment.apps/webapp created\nservice/web-service created\n');
  const second = await ok(['apply', '-f', join(seeds, '001-webapp.yaml')]);
  assert.equal(second, 'deployment.apps/webapp unchanged\nservice/web-service unchanged\n');
  for (const f of ['000-nginx-svc.yaml', '000-ingress.yaml', '000-configmap.yaml', '004-canary-ingress.yaml']) {
    assert.match(await ok(['apply', '-f', join(seeds, f)]), / created\n$/);
    assert.match(await ok(['apply', '-f', join(seeds, f)]), / unchanged\n$/);
  }
});

test('get prints server-side tables', { skip }, async () => {
  const svc = await ok(['get', 'svc', 'web-service', 'nginx-svc']);
  const lines = svc.trimEnd().split('\n');
  assert.match(lines[0] ?? '', /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$/);
  assert.match(lines[1] ?? '', /^web-service\s+ClusterIP\s+\S+\s+<none>\s+80\/TCP\s+\d+s$/);
  assert.match(lines[2] ?? '', /^nginx-svc\s+NodePort\s+/);
  const wide = await ok(['get', 'svc', 'web-service', '-o', 'wide']);
  assert.match(wide, /SELECTOR/);
  assert.match(wide, /app=web/);
  const deploy = await ok(['get', 'deploy']);
  assert.match(deploy, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\n/);
  assert.match(deploy, /webapp\s+\d\/3/);
  const ing = await ok(['get', 'ingress', 'my-ingress']);
  assert.match(ing, /^NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE\n/);
  // ADDRESS is the ingress controller's (127.0.0.1) once it has written the status.
  assert.match(ing, /my-ingress\s+nginx\s+8080\.abc\.com,8888\.abc\.com\s+(127\.0\.0\.1\s+)?80\s+/);
  const labels = await ok(['get', 'svc', 'web-service', '--show-labels']);
  assert.match(labels, /LABELS/);
  const all = await ok(['get', 'svc', '-A']);
  assert.match(all, /^NAMESPACE\s+NAME/);
  assert.match(all, /kube-system\s+kube-dns\s+ClusterIP\s+10\.96\.0\.10\s+<none>\s+53\/UDP,53\/TCP,9153\/TCP/);
  assert.match(all, /default\s+kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+/);
  const none = await sb.kubectl(['get', 'pods', '-n', 'kube-public']);
  assert.equal(none.code, 0);
  assert.match(none.stderr, /No resources found in kube-public namespace\./);
});

test('errors are worded as kube-apiserver words them', { skip }, async () => {
  assert.match(await fails(['get', 'svc', 'nope']), /Error from server \(NotFound\): services "nope" not found/);
  assert.match(await fails(['get', 'deploy', 'nope']), /Error from server \(NotFound\): deployments\.apps "nope" not found/);
  assert.match(await fails(['create', '-f', join(seeds, '001-webapp.yaml')]), /Error from server \(AlreadyExists\): error when creating ".*001-webapp\.yaml": deployments\.apps "webapp" already exists/);
  const typo = join(work, 'typo.yaml');
  writeFileSync(typo, 'apiVersion: v1\nkind: Service\nmetadata:\n  name: typo\nspec:\n  prots:\n  - port: 80\n');
  assert.match(await fails(['apply', '-f', typo]), /strict decoding error: unknown field "spec\.prots"/);
  const badName = join(work, 'bad.yaml');
  writeFileSync(badName, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n');
  assert.match(await fails(['apply', '-f', badName]), /The ConfigMap "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
  assert.match(await fails(['get', 'pods', '-n', 'no-such-ns', 'x']), /NotFound/);
});

test('describe, label, annotate, scale, edit, patch', { skip }, async () => {
  const d = await ok(['describe', 'svc', 'web-service']);
  assert.match(d, /^Name:\s+web-service$/m);
  assert.match(d, /^Type:\s+ClusterIP$/m);
  assert.match(d, /^Selector:\s+app=web$/m);
  assert.match(d, /^TargetPort:\s+80\/TCP$/m);
  assert.match(await ok(['label', 'svc', 'web-service', 'tier=fe']), /service\/web-service labeled/);
  assert.match(await ok(['get', 'svc', '-l', 'tier=fe', '-o', 'name']), /^service\/web-service\n$/);
  assert.match(await ok(['label', 'svc', 'web-service', 'tier-']), /service\/web-service unlabeled/);
  assert.equal((await sb.kubectl(['get', 'svc', '-l', 'tier=fe', '-o', 'name'])).stdout, '');
  assert.match(await ok(['annotate', 'deploy', 'webapp', 'team=net']), /deployment\.apps\/webapp annotated/);
  assert.match(await ok(['scale', 'deploy', 'webapp', '--replicas=5']), /deployment\.apps\/webapp scaled/);
  assert.equal(await ok(['get', 'deploy', 'webapp', '-o', 'jsonpath={.spec.replicas}']), '5');
  // kubectl edit through an "editor" that rewrites the replica count.
  const editor = join(work, 'editor.sh');
  writeFileSync(editor, '#!/bin/sh\nsed -i "s/replicas: 5/replicas: 2/" "$1"\n');
  chmodSync(editor, 0o755);
  const edited = await sb.kubectl(['edit', 'deploy', 'webapp'], { env: { KUBE_EDITOR: editor, EDITOR: editor } });
  assert.equal(edited.code, 0, edited.stderr);
  assert.match(edited.stdout, /deployment\.apps\/webapp edited/);
  assert.equal(await ok(['get', 'deploy', 'webapp', '-o', 'jsonpath={.spec.replicas}']), '2');
  assert.match(await ok(['patch', 'svc', 'web-service', '-p', '{"spec":{"sessionAffinity":"ClientIP"}}']), /patched/);
  assert.match(await ok(['patch', 'svc', 'web-service', '--type=json', '-p', '[{"op":"replace","path":"/spec/sessionAffinity","value":"None"}]']), /patched/);
  assert.match(await ok(['rollout', 'restart', 'deploy', 'webapp']), /restarted/);
  assert.match(await ok(['get', 'deploy', 'webapp', '-o', 'yaml']), /kubectl\.kubernetes\.io\/restartedAt/);
});

test('get -w streams changes', { skip }, async () => {
  const w = sb.kubectlSpawn(['get', 'configmaps', '-w']);
  let out = '';
  w.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  try {
    await eventually(async () => out.includes('app-config'));
    await ok(['create', 'configmap', 'watched', '--from-literal=a=b']);
    await eventually(async () => /watched\s+1\s+/.test(out));
    await ok(['delete', 'configmap', 'watched']);
    await eventually(async () => out.split('\n').filter((l) => l.startsWith('watched')).length >= 2);
  } finally {
    w.kill('SIGKILL');
  }
});

test('generator commands send protobuf and work', { skip }, async () => {
  assert.match(await ok(['create', 'namespace', 'proto']), /namespace\/proto created/);
  assert.match(await ok(['create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=3', '--port=80', '-n', 'proto']), /deployment\.apps\/web created/);
  assert.match(await ok(['create', 'service', 'clusterip', 'web', '--tcp=80:8080', '-n', 'proto']), /service\/web created/);
  assert.match(await ok(['create', 'configmap', 'cm', '--from-literal=a=b', '-n', 'proto']), /configmap\/cm created/);
  assert.match(await ok(['create', 'secret', 'generic', 's', '--from-literal=password=x', '-n', 'proto']), /secret\/s created/);
  assert.equal(await ok(['get', 'secret', 's', '-n', 'proto', '-o', 'jsonpath={.data.password}']), Buffer.from('x').toString('base64'));
  assert.equal(await ok(['get', 'deploy', 'web', '-n', 'proto', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']), 'nginx:1.25');
  assert.equal(await ok(['get', 'svc', 'web', '-n', 'proto', '-o', 'jsonpath={.spec.ports[0].targetPort}']), '8080');
});

test('delete, and namespace deletion removes its content', { skip }, async () => {
  assert.match(await ok(['delete', 'svc', 'nginx-svc']), /service "nginx-svc" deleted/);
  assert.match(await fails(['get', 'svc', 'nginx-svc']), /NotFound/);
  assert.match(await ok(['delete', 'namespace', 'proto'], undefined), /namespace "proto" deleted/);
  assert.match(await fails(['get', 'namespace', 'proto']), /NotFound/);
  assert.match(await fails(['delete', 'namespace', 'default']), /Forbidden.*this namespace may not be deleted/);
});

test('requests without the token get 401', { skip }, async () => {
  const r = await sb.kubectl(['get', 'pods', '--token', 'wrong']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /You must be logged in to the server|Unauthorized/);
  void readFileSync;
});

test('new namespaces get the default ServiceAccount and kube-root-ca.crt; kubectl create token issues tokens the API accepts', { skip }, async () => {
  await ok(['create', 'namespace', 'sa-test']);
  assert.match(await ok(['get', 'serviceaccount', '-n', 'sa-test']), /^default\s+0\s+\d+s$/m);
  const ca = await ok(['get', 'configmap', 'kube-root-ca.crt', '-n', 'sa-test', '-o', 'jsonpath={.data.ca\\.crt}']);
  assert.equal(ca.trim(), sb.caCert.trim());
  const token = (await ok(['create', 'token', 'default', '-n', 'sa-test'])).trim();
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { sub: string; aud: string[]; exp: number; iat: number };
  assert.equal(claims.sub, 'system:serviceaccount:sa-test:default');
  assert.deepEqual(claims.aud, ['https://kubernetes.default.svc.cluster.local']);
  assert.equal(claims.exp - claims.iat, 3600);
  // The token works in place of the admin token…
  assert.match(await ok(['get', 'serviceaccounts', '-n', 'sa-test', '--token', token]), /^default\s/m);
  // …a tampered one does not…
  const bad = await sb.kubectl(['get', 'pods', '-n', 'sa-test', '--token', `${token.slice(0, -4)}AAAA`]);
  assert.match(bad.stderr, /You must be logged in to the server|Unauthorized/);
  // …durations below 10 minutes are refused as upstream words it…
  assert.match(await fails(['create', 'token', 'default', '-n', 'sa-test', '--duration=5m']), /spec\.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes/);
  assert.match(await fails(['create', 'token', 'nobody', '-n', 'sa-test']), /serviceaccounts "nobody" not found/);
  // …and deleting the ServiceAccount revokes it.
  await ok(['delete', 'serviceaccount', 'default', '-n', 'sa-test']);
  const revoked = await sb.kubectl(['get', 'pods', '-n', 'sa-test', '--token', token]);
  assert.match(revoked.stderr, /You must be logged in to the server|Unauthorized/);
});
