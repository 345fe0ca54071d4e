// Client configuration: kubeconfig files (clientcmd's loading rules: an explicit path, else the
// KUBECONFIG list merged first-wins, else ~/.kube/config) and the in-cluster configuration
// (KUBERNETES_SERVICE_HOST/PORT and the service account directory) as the fallback.
import { readFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve, delimiter } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ClientError } from './errors.ts';

/** Everything needed to reach and authenticate to an API server. */
export interface ClientConfig {
  /** `https://host:port` (a path prefix is kept). */
  server: string;
  /** PEM of the CA(s) to trust; absent = the system roots. */
  caData?: string;
  /** PEM client certificate and key (mutual TLS). */
  certData?: string;
  keyData?: string;
  /** Bearer token. */
  token?: string;
  /** File holding the bearer token, re-read about once a minute (rotated service account tokens). */
  tokenFile?: string;
  username?: string;
  password?: string;
  insecureSkipTlsVerify?: boolean;
  /** SNI / certificate name to expect instead of the server's host. */
  tlsServerName?: string;
  /** Default namespace (context namespace, the service account's, or 'default'). */
  namespace: string;
  /** Where this came from, for messages: `<path> context <name>` or `in-cluster`. */
  source: string;
}

function configError(msg: string, cause?: unknown): ClientError {
  return new ClientError('ERR_CLIENT_CONFIG', msg, cause === undefined ? {} : { cause });
}

// ---- the kubeconfig document ----

interface NamedEntry<T> {
  value: T;
  /** Directory relative file paths resolve against (the file that defined the entry). */
  dir: string;
  file: string;
}

interface RawCluster {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
  'proxy-url'?: string;
}

interface RawUser {
  token?: string;
  tokenFile?: string;
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
  username?: string;
  password?: string;
  exec?: unknown;
  'auth-provider'?: unknown;
}

interface RawContext {
  cluster?: string;
  user?: string;
  namespace?: string;
}

/** One or more kubeconfig files merged as clientcmd merges them: the first definition of a name wins. */
export interface Kubeconfig {
  clusters: Map<string, NamedEntry<RawCluster>>;
  users: Map<string, NamedEntry<RawUser>>;
  contexts: Map<string, NamedEntry<RawContext>>;
  currentContext: string;
  files: string[];
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function addNamed<T>(into: Map<string, NamedEntry<T>>, list: unknown, field: string, file: string): void {
  if (list === undefined || list === null) return;
  if (!Array.isArray(list)) throw configError(`${file}: ${field}s must be a list`);
  for (const item of list) {
    const rec = asRecord(item);
    const name = rec?.['name'];
    if (rec === undefined || typeof name !== 'string') throw configError(`${file}: every entry of ${field}s needs a name`);
    if (into.has(name)) continue;
    into.set(name, { value: (asRecord(rec[field]) ?? {}) as T, dir: dirname(file), file });
  }
}

/** Parses kubeconfig YAML text into `into` (first definitions win). `file` names it in errors and anchors relative paths. */
export function parseKubeconfigInto(into: Kubeconfig, text: string, file: string): void {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw configError(`${file}: not valid YAML: ${err instanceof Error ? err.message : String(err)}`, err);
  }
  if (doc === null || doc === undefined) doc = {};
  const rec = asRecord(doc);
  if (rec === undefined) throw configError(`${file}: a kubeconfig must be a mapping`);
  addNamed(into.clusters, rec['clusters'], 'cluster', file);
  addNamed(into.users, rec['users'], 'user', file);
  addNamed(into.contexts, rec['contexts'], 'context', file);
  const cc = rec['current-context'];
  if (into.currentContext === '' && typeof cc === 'string') into.currentContext = cc;
  into.files.push(file);
}

function emptyKubeconfig(): Kubeconfig {
  return { clusters: new Map(), users: new Map(), contexts: new Map(), currentContext: '', files: [] };
}

/** Reads and merges kubeconfig files in order (missing files are skipped unless `mustExist`). */
export function readKubeconfigFiles(paths: readonly string[], mustExist = false): Kubeconfig {
  const kc = emptyKubeconfig();
  for (const p of paths) {
    const abs = resolve(p);
    let text: string;
    try {
      text = readFileSync(abs, 'utf8');
    } catch (err) {
      if (!mustExist && (err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw configError(`cannot read kubeconfig ${abs}: ${(err as Error).message}`, err);
    }
    parseKubeconfigInto(kc, text, abs);
  }
  return kc;
}

function readRelative(dir: string, path: string, what: string): string {
  const abs = isAbsolute(path) ? path : join(dir, path);
  try {
    return readFileSync(abs, 'utf8');
  } catch (err) {
    throw configError(`cannot read ${what} ${abs}: ${(err as Error).message}`, err);
  }
}

function decodeData(b64: string, what: string): string {
  const s = b64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw configError(`${what} is not valid base64`);
  return Buffer.from(s, 'base64').toString('utf8');
}

/** The ClientConfig of one context (default: the current context) of a parsed kubeconfig. */
export function configFromKubeconfig(kc: Kubeconfig, contextName?: string): ClientConfig {
  const name = contextName ?? kc.currentContext;
  const where = kc.files.join(delimiter) || '<kubeconfig>';
  if (name === '') throw configError(`${where}: no context given and current-context is not set`);
  const ctx = kc.contexts.get(name);
  if (ctx === undefined) throw configError(`${where}: context "${name}" does not exist`);
  const clusterName = ctx.value.cluster ?? '';
  const cluster = kc.clusters.get(clusterName);
  if (cluster === undefined) throw configError(`${where}: context "${name}": cluster "${clusterName}" not found`);
  const c = cluster.value;
  const server = typeof c.server === 'string' ? c.server.trim() : '';
  if (server === '') throw configError(`${cluster.file}: cluster "${clusterName}" has no server`);
  const out: ClientConfig = { server: server.replace(/\/+$/, ''), namespace: '', source: `${where} context ${name}` };
  if (typeof c['certificate-authority-data'] === 'string' && c['certificate-authority-data'] !== '') {
    out.caData = decodeData(c['certificate-authority-data'], `cluster "${clusterName}" certificate-authority-data`);
  } else if (typeof c['certificate-authority'] === 'string' && c['certificate-authority'] !== '') {
    out.caData = readRelative(cluster.dir, c['certificate-authority'], 'certificate-authority');
  }
  if (c['insecure-skip-tls-verify'] === true) out.insecureSkipTlsVerify = true;
  if (typeof c['tls-server-name'] === 'string' && c['tls-server-name'] !== '') out.tlsServerName = c['tls-server-name'];

  const userName = ctx.value.user ?? '';
  if (userName !== '') {
    const user = kc.users.get(userName);
    if (user === undefined) throw configError(`${where}: context "${name}": user "${userName}" not found`);
    const u = user.value;
    if (u.exec !== undefined && u.exec !== null) throw configError(`${user.file}: user "${userName}" uses an exec credential plugin, which this client does not run; use a token or client certificate`);
    if (u['auth-provider'] !== undefined && u['auth-provider'] !== null) throw configError(`${user.file}: user "${userName}" uses an auth-provider, which this client does not support`);
    if (typeof u.token === 'string' && u.token !== '') out.token = u.token;
    else if (typeof u.tokenFile === 'string' && u.tokenFile !== '') out.tokenFile = isAbsolute(u.tokenFile) ? u.tokenFile : join(user.dir, u.tokenFile);
    if (typeof u['client-certificate-data'] === 'string' && u['client-certificate-data'] !== '') out.certData = decodeData(u['client-certificate-data'], `user "${userName}" client-certificate-data`);
    else if (typeof u['client-certificate'] === 'string' && u['client-certificate'] !== '') out.certData = readRelative(user.dir, u['client-certificate'], 'client-certificate');
    if (typeof u['client-key-data'] === 'string' && u['client-key-data'] !== '') out.keyData = decodeData(u['client-key-data'], `user "${userName}" client-key-data`);
    else if (typeof u['client-key'] === 'string' && u['client-key'] !== '') out.keyData = readRelative(user.dir, u['client-key'], 'client-key');
    if ((out.certData === undefined) !== (out.keyData === undefined)) throw configError(`${user.file}: user "${userName}" has a client certificate without a key or a key without a certificate`);
    if (typeof u.username === 'string' && u.username !== '') out.username = u.username;
    if (typeof u.password === 'string' && u.password !== '') out.password = u.password;
  }
  out.namespace = typeof ctx.value.namespace === 'string' && ctx.value.namespace !== '' ? ctx.value.namespace : 'default';
  return out;
}

/** Loads one kubeconfig file (current context unless `context` names one). */
export function loadKubeconfig(path: string, opts: { context?: string } = {}): ClientConfig {
  return configFromKubeconfig(readKubeconfigFiles([path], true), opts.context);
}

// ---- in-cluster ----

/** Where a pod finds its service account credentials. */
export const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface InClusterOptions {
  env?: Readonly<Record<string, string | undefined>>;
  /** The service account directory (default `serviceAccountDir`; tests point it elsewhere). */
  dir?: string;
}

/**
 * The in-cluster configuration (rest.InClusterConfig): `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`,
 * the service account token file, CA and namespace. Undefined when not running in a pod.
 */
export function inClusterConfig(opts: InClusterOptions = {}): ClientConfig | undefined {
  const env = opts.env ?? process.env;
  const host = env['KUBERNETES_SERVICE_HOST'] ?? '';
  const port = env['KUBERNETES_SERVICE_PORT'] ?? '';
  if (host === '' || port === '') return undefined;
  const dir = opts.dir ?? serviceAccountDir;
  const tokenFile = join(dir, 'token');
  if (!existsSync(tokenFile)) throw configError(`in-cluster: KUBERNETES_SERVICE_HOST is set but ${tokenFile} does not exist`);
  const out: ClientConfig = {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    tokenFile,
    namespace: 'default',
    source: 'in-cluster',
  };
  const ca = join(dir, 'ca.crt');
  if (existsSync(ca)) out.caData = readFileSync(ca, 'utf8');
  const nsFile = join(dir, 'namespace');
  if (existsSync(nsFile)) {
    const ns = readFileSync(nsFile, 'utf8').trim();
    if (ns !== '') out.namespace = ns;
  }
  return out;
}

// ---- loading rules ----

export interface LoadOptions {
  /** An explicit kubeconfig path (`--kubeconfig`): used alone, and must exist. */
  kubeconfig?: string;
  /** A context other than the current one. */
  context?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** Home directory for `~/.kube/config` (default os.homedir()). */
  home?: string;
  /** Service account directory for the in-cluster fallback. */
  serviceAccountDir?: string;
}

/**
 * The configuration as kubectl and client-go find it: `kubeconfig` if given; else the files of
 * `$KUBECONFIG` merged; else `~/.kube/config`; else in-cluster. Throws ClientError ERR_CLIENT_CONFIG
 * when none applies.
 */
export function loadClientConfig(opts: LoadOptions = {}): ClientConfig {
  const env = opts.env ?? process.env;
  if (opts.kubeconfig !== undefined && opts.kubeconfig !== '') return loadKubeconfig(opts.kubeconfig, opts.context === undefined ? {} : { context: opts.context });
  const list = (env['KUBECONFIG'] ?? '').split(delimiter).filter((p) => p !== '');
  if (list.length > 0) {
    const kc = readKubeconfigFiles(list);
    if (kc.files.length > 0) return configFromKubeconfig(kc, opts.context);
  }
  const home = join(opts.home ?? homedir(), '.kube', 'config');
  if (existsSync(home)) return loadKubeconfig(home, opts.context === undefined ? {} : { context: opts.context });
  const inCluster = inClusterConfig({ env, ...(opts.serviceAccountDir !== undefined ? { dir: opts.serviceAccountDir } : {}) });
  if (inCluster !== undefined) return inCluster;
  throw configError('no configuration: pass --kubeconfig, set KUBECONFIG, create ~/.kube/config, or run in a pod');
}
