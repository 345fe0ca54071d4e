import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isClientError } from './errors.ts';
import { configFromKubeconfig, inClusterConfig, loadClientConfig, loadKubeconfig, readKubeconfigFiles, type ClientConfig } from './kubeconfig.ts';

const dir = mkdtempSync(join(tmpdir(), 'sb-kubeconfig-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const b64 = (s: string): string => Buffer.from(s).toString('base64');
let seq = 0;
function file(text: string, name = `config-${++seq}`): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const full = `
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority-data: ${b64('CA-PEM')}
- name: prod-cluster
  cluster:
    server: https://prod.example.com
    certificate-authority: certs/ca.crt
    tls-server-name: kubernetes
- name: lab
  cluster:
    server: https://lab:6443
    insecure-skip-tls-verify: true
users:
- name: dev-user
  user:
    token: dev-token
- name: prod-user
  user:
    client-certificate: certs/client.crt
    client-key: certs/client.key
- name: data-user
  user:
    client-certificate-data: ${b64('CERT-PEM')}
    client-key-data: ${b64('KEY-PEM')}
- name: file-user
  user:
    tokenFile: certs/token
- name: basic-user
  user:
    username: admin
    password: secret
- name: exec-user
  user:
    exec:
      command: aws
contexts:
- name: dev
  context: { cluster: dev-cluster, user: dev-user, namespace: team-a }
- name: prod
  context: { cluster: prod-cluster, user: prod-user }
- name: data
  context: { cluster: lab, user: data-user }
- name: file
  context: { cluster: lab, user: file-user }
- name: basic
  context: { cluster: lab, user: basic-user }
- name: exec
  context: { cluster: lab, user: exec-user }
- name: no-cluster
  context: { cluster: missing, user: dev-user }
- name: no-user
  context: { cluster: lab, user: missing }
`;

describe('kubeconfig', () => {
  mkdirSync(join(dir, 'certs'), { recursive: true });
  writeFileSync(join(dir, 'certs', 'ca.crt'), 'PROD-CA');
  writeFileSync(join(dir, 'certs', 'client.crt'), 'PROD-CERT');
  writeFileSync(join(dir, 'certs', 'client.key'), 'PROD-KEY');
  writeFileSync(join(dir, 'certs', 'token'), 'file-token\n');
  const path = file(full, 'full');

  const rows: Array<{ name: string; context?: string; want: Omit<ClientConfig, 'source'> }> = [
    { name: 'current context: inline CA, token, namespace, trailing slash trimmed', want: { server: 'https://10.0.0.1:6443', caData: 'CA-PEM', token: 'dev-token', namespace: 'team-a' } },
    { name: 'files relative to the kubeconfig, tls-server-name', context: 'prod', want: { server: 'https://prod.example.com', caData: 'PROD-CA', tlsServerName: 'kubernetes', certData: 'PROD-CERT', keyData: 'PROD-KEY', namespace: 'default' } },
    { name: 'inline client certificate, insecure', context: 'data', want: { server: 'https://lab:6443', insecureSkipTlsVerify: true, certData: 'CERT-PEM', keyData: 'KEY-PEM', namespace: 'default' } },
    { name: 'token file (absolute path)', context: 'file', want: { server: 'https://lab:6443', insecureSkipTlsVerify: true, tokenFile: join(dir, 'certs', 'token'), namespace: 'default' } },
    { name: 'basic auth', context: 'basic', want: { server: 'https://lab:6443', insecureSkipTlsVerify: true, username: 'admin', password: 'secret', namespace: 'default' } },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const { source, ...got } = loadKubeconfig(path, row.context === undefined ? {} : { context: row.context });
      assert.deepEqual(got, row.want);
      assert.match(source, /context/);
    });
  }

  const errors: Array<{ name: string; text?: string; context?: string; want: RegExp }> = [
    { name: 'unknown context', context: 'nope', want: /context "nope" does not exist/ },
    { name: 'missing cluster', context: 'no-cluster', want: /cluster "missing" not found/ },
    { name: 'missing user', context: 'no-user', want: /user "missing" not found/ },
    { name: 'exec plugins', context: 'exec', want: /exec credential plugin/ },
    { name: 'no current context', text: 'clusters: []\n', want: /current-context is not set/ },
    { name: 'not YAML', text: 'a: [\n', want: /not valid YAML/ },
    { name: 'bad base64', text: `current-context: c\nclusters: [{name: x, cluster: {server: "https://x", certificate-authority-data: "!!!"}}]\ncontexts: [{name: c, context: {cluster: x}}]\n`, want: /not valid base64/ },
    { name: 'certificate without key', text: `current-context: c\nclusters: [{name: x, cluster: {server: "https://x"}}]\nusers: [{name: u, user: {client-certificate-data: ${b64('C')}}}]\ncontexts: [{name: c, context: {cluster: x, user: u}}]\n`, want: /without a key/ },
  ];
  for (const row of errors) {
    test(`error: ${row.name}`, () => {
      const p = row.text === undefined ? path : file(row.text);
      assert.throws(() => loadKubeconfig(p, row.context === undefined ? {} : { context: row.context }), (err: unknown) => {
        assert.ok(isClientError(err, 'ERR_CLIENT_CONFIG'), String(err));
        assert.match(err.message, row.want);
        return true;
      });
    });
  }

  test('a missing explicit file is an error', () => {
    assert.throws(() => loadKubeconfig(join(dir, 'does-not-exist')), /cannot read kubeconfig/);
  });

  test('KUBECONFIG files merge: first definition and first current-context win; missing files are skipped', () => {
    const a = file(`clusters: [{name: c, cluster: {server: "https://first"}}]\ncontexts: [{name: x, context: {cluster: c}}]\n`);
    const b = file(`current-context: x\nclusters: [{name: c, cluster: {server: "https://second"}}, {name: d, cluster: {server: "https://d"}}]\ncontexts: [{name: x, context: {cluster: d}}, {name: y, context: {cluster: d, namespace: ns-y}}]\n`);
    const kc = readKubeconfigFiles([a, join(dir, 'missing'), b]);
    assert.equal(configFromKubeconfig(kc).server, 'https://first');
    assert.equal(configFromKubeconfig(kc, 'y').namespace, 'ns-y');
    const viaEnv = loadClientConfig({ env: { KUBECONFIG: [a, b].join(':') }, home: join(dir, 'nohome') });
    assert.equal(viaEnv.server, 'https://first');
  });

  test('loading order: explicit path, KUBECONFIG, ~/.kube/config, in-cluster', () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, '.kube'), { recursive: true });
    writeFileSync(join(home, '.kube', 'config'), `current-context: h\nclusters: [{name: h, cluster: {server: "https://home"}}]\ncontexts: [{name: h, context: {cluster: h}}]\n`);
    const env = { KUBECONFIG: path };
    assert.equal(loadClientConfig({ kubeconfig: path, context: 'prod', env, home }).server, 'https://prod.example.com');
    assert.equal(loadClientConfig({ env, home }).server, 'https://10.0.0.1:6443');
    assert.equal(loadClientConfig({ env: {}, home }).server, 'https://home');
    const sa = join(dir, 'sa');
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, 'token'), 'sa-token');
    const inCluster = loadClientConfig({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, home: join(dir, 'nohome'), serviceAccountDir: sa });
    assert.equal(inCluster.server, 'https://10.96.0.1:443');
    assert.throws(() => loadClientConfig({ env: {}, home: join(dir, 'nohome') }), (err: unknown) => isClientError(err, 'ERR_CLIENT_CONFIG'));
  });

  test('in-cluster: token file, CA, namespace; IPv6 hosts in brackets; absent outside a pod', () => {
    const sa = join(dir, 'sa2');
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, 'token'), 'tok');
    writeFileSync(join(sa, 'ca.crt'), 'CLUSTER-CA');
    writeFileSync(join(sa, 'namespace'), 'kube-system\n');
    const { source, ...got } = inClusterConfig({ env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' }, dir: sa }) ?? assert.fail('no config');
    assert.deepEqual(got, { server: 'https://[fd00::1]:6443', tokenFile: join(sa, 'token'), caData: 'CLUSTER-CA', namespace: 'kube-system' });
    assert.equal(source, 'in-cluster');
    assert.equal(inClusterConfig({ env: {}, dir: sa }), undefined);
    assert.throws(() => inClusterConfig({ env: { KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '1' }, dir: join(dir, 'none') }), /does not exist/);
  });
});
