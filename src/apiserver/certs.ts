// Credentials for the API server: a cluster CA, a serving certificate signed by it, and a bearer
// token, generated into the data dir on first start and reused afterwards. Certificates are made by
// the openssl command (Debian's `openssl` package): Node can make keys but not X.509 certificates,
// and one short-lived process on first start beats a crypto dependency.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

export interface Credentials {
  caCert: string;
  cert: string;
  key: string;
  token: string;
  dir: string;
}

/** The file names inside `<dataDir>/pki`. */
export const pkiFiles = {
  caCert: 'ca.crt',
  caKey: 'ca.key',
  cert: 'apiserver.crt',
  key: 'apiserver.key',
  token: 'token',
} as const;

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const e = err as { code?: string; stderr?: Buffer };
    if (e.code === 'ENOENT') throw new Error('openssl not found: install it (apt-get install openssl) so the API server can make its certificates');
    throw new Error(`openssl ${args[0] ?? ''} failed: ${e.stderr?.toString().trim() ?? String(err)}`);
  }
}

/**
 * Loads the CA, serving certificate and token from `<dataDir>/pki`, creating any that are missing.
 * `hosts` are the IPs and DNS names the serving certificate must be valid for.
 */
export function ensureCredentials(dataDir: string, hosts: { ips: string[]; dns: string[] }): Credentials {
  const dir = join(dataDir, 'pki');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const p = (f: string) => join(dir, f);
  if (!existsSync(p(pkiFiles.caCert)) || !existsSync(p(pkiFiles.caKey))) {
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', pkiFiles.caKey, '-out', pkiFiles.caCert, '-days', '3650', '-subj', '/CN=switchboard-ca',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature'], dir);
  }
  if (!existsSync(p(pkiFiles.cert)) || !existsSync(p(pkiFiles.key))) {
    const san = [...hosts.ips.map((ip) => `IP:${ip}`), ...hosts.dns.map((d) => `DNS:${d}`)].join(',');
    writeFileSync(p('apiserver.ext'), `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`);
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', pkiFiles.key,
      '-out', 'apiserver.csr', '-subj', '/CN=kube-apiserver'], dir);
    openssl(['x509', '-req', '-in', 'apiserver.csr', '-CA', pkiFiles.caCert, '-CAkey', pkiFiles.caKey, '-CAcreateserial',
      '-out', pkiFiles.cert, '-days', '3650', '-extfile', 'apiserver.ext'], dir);
  }
  if (!existsSync(p(pkiFiles.token))) {
    writeFileSync(p(pkiFiles.token), randomBytes(24).toString('hex') + '\n', { mode: 0o600 });
  }
  for (const f of [pkiFiles.caKey, pkiFiles.key, pkiFiles.token]) chmodSync(p(f), 0o600);
  return {
    caCert: readFileSync(p(pkiFiles.caCert), 'utf8'),
    cert: readFileSync(p(pkiFiles.cert), 'utf8'),
    key: readFileSync(p(pkiFiles.key), 'utf8'),
    token: readFileSync(p(pkiFiles.token), 'utf8').trim(),
    dir,
  };
}

/** A kubeconfig for `kubectl --kubeconfig` with the CA inline and the bearer token. */
export function renderKubeconfig(server: string, creds: Pick<Credentials, 'caCert' | 'token'>, name = 'switchboard'): string {
  const ca = Buffer.from(creds.caCert).toString('base64');
  return `apiVersion: v1
kind: Config
clusters:
- name: ${name}
  cluster:
    server: ${server}
    certificate-authority-data: ${ca}
users:
- name: ${name}-admin
  user:
    token: ${creds.token}
contexts:
- name: ${name}
  context:
    cluster: ${name}
    user: ${name}-admin
    namespace: default
current-context: ${name}
preferences: {}
`;
}
