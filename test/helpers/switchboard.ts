// Test harness: starts the real `switchboard up` in a temp data dir and runs the real kubectl
// against it. Every process and directory it makes is removed by stop(), also after failures.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const switchboardBin = join(repoRoot, 'bin', 'switchboard.js');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** True when kubectl can be run; tests that need it skip with this reason otherwise. */
export function kubectlMissing(): string | false {
  const r = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  return r.error !== undefined ? 'kubectl is not on the PATH' : false;
}

export interface StartOptions {
  dataDir?: string;
  args?: string[];
  /** `up` (everything, the default) or `server` (API server and controllers only). */
  command?: 'up' | 'server';
  /**
   * Run up's service proxy in this mode. Default `none`: test files run side by side, and two
   * proxies on the host would rewrite each other's iptables chains; only tests of the host data
   * plane ask for one.
   */
  proxyMode?: 'iptables' | 'nftables' | 'userspace' | 'none';
}

/**
 * Tests must not send DNS off the machine: the cluster DNS forwards to this resolv.conf (a loopback
 * server nobody runs, so outside names fail at once) instead of the host's.
 */
function loopbackResolvConf(dir: string): string {
  const p = join(dir, 'resolv.conf.test');
  writeFileSync(p, 'nameserver 127.0.0.1\n');
  return p;
}

/** A running Switchboard with helpers around it. */
export class Switchboard {
  readonly dataDir: string;
  readonly kubeconfig: string;
  readonly cacheDir: string;
  readonly readyMs: number;
  readonly readyLine: string;
  private proc: ChildProcess;
  private readonly ownsDataDir: boolean;
  stderr = '';

  private constructor(proc: ChildProcess, dataDir: string, ownsDataDir: boolean, readyMs: number, readyLine: string) {
    this.proc = proc;
    this.dataDir = dataDir;
    this.ownsDataDir = ownsDataDir;
    this.kubeconfig = join(dataDir, 'kubeconfig');
    this.cacheDir = mkdtempSync(join(tmpdir(), 'sb-kubecache-'));
    this.readyMs = readyMs;
    this.readyLine = readyLine;
  }

  /** Starts `switchboard up` on a free API port and waits for its `ready` line. */
  static async start(opts: StartOptions = {}): Promise<Switchboard> {
    const owns = opts.dataDir === undefined;
    const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'sb-data-'));
    const args = [switchboardBin, opts.command ?? 'up', '--data-dir', dataDir, '--api-port', '0', '--resolv-conf', loopbackResolvConf(dataDir), ...((opts.command ?? 'up') === 'up' ? ['--proxy-mode', opts.proxyMode ?? 'none'] : []), ...(opts.args ?? [])];
    const t0 = performance.now();
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: repoRoot });
    let out = '';
    let err = '';
    proc.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
    const line = await new Promise<string>((resolveLine, reject) => {
      const timer = setTimeout(() => reject(new Error(`switchboard did not print ready within 20s; stderr:\n${err}`)), 20_000);
      proc.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const l = out.split('\n').find((x) => x.startsWith('ready'));
        if (l !== undefined) {
          clearTimeout(timer);
          resolveLine(l);
        }
      });
      proc.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`switchboard exited with ${String(code)} before ready; stderr:\n${err}`));
      });
    });
    const sb = new Switchboard(proc, dataDir, owns, performance.now() - t0, line);
    proc.stderr?.on('data', (d: Buffer) => { sb.stderr += d.toString(); });
    return sb;
  }

  get state(): { api: string; kubeconfig: string; pid: number; [k: string]: unknown } {
    return JSON.parse(readFileSync(join(this.dataDir, 'state.json'), 'utf8')) as { api: string; kubeconfig: string; pid: number };
  }

  get token(): string {
    return readFileSync(join(this.dataDir, 'pki', 'token'), 'utf8').trim();
  }

  get caCert(): string {
    return readFileSync(join(this.dataDir, 'pki', 'ca.crt'), 'utf8');
  }

  private kubectlEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { ...process.env, KUBECONFIG: this.kubeconfig, KUBECACHEDIR: this.cacheDir, ...extra };
  }

  /** Runs kubectl with this cluster's kubeconfig; never throws on a non-zero exit. */
  kubectl(args: string[], opts: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<RunResult> {
    return new Promise((resolveRun, reject) => {
      const p = spawn('kubectl', args, { env: this.kubectlEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
      p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
      p.on('error', reject);
      p.on('close', (code) => {
        clearTimeout(timer);
        resolveRun({ code: code ?? -1, stdout, stderr });
      });
      p.stdin.end(opts.input ?? '');
    });
  }

  /** Starts a long-running kubectl (e.g. `get -w`) and returns the process. */
  kubectlSpawn(args: string[]): ChildProcess {
    return spawn('kubectl', args, { env: this.kubectlEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** SIGKILLs the server (a crash); the data dir stays. */
  async kill9(): Promise<void> {
    await this.signal('SIGKILL');
  }

  private async signal(sig: NodeJS.Signals): Promise<number | null> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return this.proc.exitCode;
    const exited = new Promise<number | null>((r) => this.proc.once('exit', (code) => r(code)));
    this.proc.kill(sig);
    return exited;
  }

  /** Stops the server with SIGTERM (SIGKILL after 10 s) and removes what the harness made. */
  async stop(opts: { keepDataDir?: boolean } = {}): Promise<number | null> {
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    const code = await this.signal('SIGTERM');
    clearTimeout(timer);
    rmSync(this.cacheDir, { recursive: true, force: true });
    if (this.ownsDataDir && opts.keepDataDir !== true && existsSync(this.dataDir)) rmSync(this.dataDir, { recursive: true, force: true });
    return code;
  }
}

/** Polls `fn` until it returns a truthy value or the time runs out. */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 10_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs}ms${last !== undefined ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * A time bound an issue states (e.g. "within periodSeconds × failureThreshold + 1 s"): the figure is
 * printed, and checked against the bound times SB_TIMING_SLACK (default 3), because CI machines are
 * shared VMs whose CPU can be taken away for seconds; bench/ is where speed is measured.
 */
export function assertWithin(ms: number, boundMs: number, what: string): void {
  const slack = Number(process.env['SB_TIMING_SLACK'] ?? '3');
  console.log(`# ${what}: ${ms.toFixed(0)} ms (bound ${boundMs} ms)`);
  if (ms > boundMs * slack) throw new Error(`${what} took ${ms.toFixed(0)} ms, more than ${slack}× its bound of ${boundMs} ms`);
}
