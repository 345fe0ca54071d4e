// One Pod's life on the node, as the kubelet's pod worker drives it: make the sandbox (network, files),
// set up volumes, run init containers in order, then the containers; restart them per restartPolicy
// with back-off; probe them; report status; and on deletion run preStop hooks, stop the containers
// (SIGTERM, grace period, SIGKILL), remove the sandbox and delete the Pod object. Syncs are serialized:
// anything that happens (a Pod update, an exit, a probe result, a timer) marks the worker dirty and the
// loop runs again.
import { mkdirSync, rmSync, writeFileSync, chmodSync, existsSync, cpSync, statSync, renameSync, readlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ConfigMap, Container, ContainerState, Pod, PodStatus, Secret, Service } from '../api/types.ts';
import type { Clock, Timer } from '../client/clock.ts';
import { resolveLaunch, normalizeImage, builtinHostDirs, resolveContainerPath, type CatalogContext, type Launch } from './catalog.ts';
import { containerEnv, EnvError, type EnvRefs } from './env.ts';
import { renderHosts, renderResolvConf, podHostname, type DnsSettings } from './files.ts';
import { renderNginxConf, renderNginxDefaultServer } from './nginx.ts';
import { volumeContent, tokenSources, VolumeError, safeRelative } from './volumes.ts';
import { computePodStatus, rfc3339, type ContainerView, type PodView } from './status.ts';
import { RestartBackoff, goDuration, type RestartBackoffOptions } from './backoff.ts';
import { LogWriter } from './logs.ts';
import { ProbeWorker, type ProbeKind } from './probes/worker.ts';
import { runProbe, type ExecRunner } from './probes/probe.ts';
import type { EventSink } from './events.ts';
import type { ContainerProcess, ExecOptions, ExecProcess, Mount, Runtime, Sandbox } from './runtime/types.ts';

/** The host's symlink at `p`, if it is one (the container root is an overlay of the host's). */
function hostReadlink(p: string): string | undefined {
  try {
    return readlinkSync(p);
  } catch {
    return undefined;
  }
}

export type LogFn = (level: 'debug' | 'info' | 'warn' | 'error', msg: string) => void;

/** What a worker needs from the agent. */
export interface WorkerContext {
  runtime: Runtime;
  nodeName: string;
  hostIP: string;
  dns: DnsSettings;
  catalog: CatalogContext;
  podsDir: string;
  events: EventSink;
  clock: Clock;
  backoff: RestartBackoffOptions;
  allocateIP(): string | undefined;
  releaseIP(ip: string): void;
  services(): Service[];
  configMap(ns: string, name: string): Promise<ConfigMap | undefined>;
  secret(ns: string, name: string): Promise<Secret | undefined>;
  /**
   * A TokenRequest for the Pod's ServiceAccount, bound to the Pod; undefined when the API server gives
   * none. Absent: projected serviceAccountToken sources are left out.
   */
  serviceAccountToken?(pod: Pod, audience: string, expirationSeconds: number): Promise<string | undefined>;
  /** Writes pods/status. */
  writeStatus(pod: Pod, status: PodStatus): Promise<void>;
  /** Deletes the Pod object for good (grace 0, uid precondition). */
  deletePod(pod: Pod): Promise<void>;
  nodeAllocatable: { cpu: number; memoryBytes: number };
  ipv6: boolean;
  log: LogFn;
  /** Called when the worker has removed everything and may be forgotten. */
  onDone(uid: string): void;
}

/** One container (or init container) of the Pod. */
export interface ContainerSlot {
  spec: Container;
  init: boolean;
  /** A restartable init container (native sidecar). */
  sidecar: boolean;
  view: ContainerView;
  proc: ContainerProcess | undefined;
  runId: string;
  env: Array<[string, string]>;
  log: LogWriter | undefined;
  /** Log files of runs, newest last. */
  logFiles: string[];
  backoff: RestartBackoff;
  /** When a waiting restart may happen (ms). */
  restartAt: number;
  probes: ProbeWorker[];
  /** Probe outcomes: ready (readiness), started (startup). */
  ready: boolean;
  started: boolean;
  /** Set while the agent itself stops the container (termination, liveness restart). */
  killing: 'terminate' | 'liveness' | 'startup' | undefined;
  /** Exits seen (runs finished). */
  runs: number;
  /** The container can never start (image not in the catalog): its waiting state. */
  blocked: { reason: string; message: string } | undefined;
}

function fieldPath(slot: ContainerSlot): string {
  return slot.init ? `spec.initContainers{${slot.spec.name}}` : `spec.containers{${slot.spec.name}}`;
}

function waiting(reason: string, message?: string): ContainerState {
  return { waiting: message === undefined ? { reason } : { reason, message } };
}

/** Kubernetes' minimum time between SIGTERM and SIGKILL when a grace period is shorter (pkg/kubelet: 2 s). */
const minimumGraceMs = 2000;

export class PodWorker {
  pod: Pod;
  readonly uid: string;
  readonly dir: string;
  private readonly ctx: WorkerContext;
  sandbox: Sandbox | undefined;
  readonly slots: ContainerSlot[] = [];
  private volumesReady = false;
  private startTime: string | undefined;
  private dirty = false;
  private running: Promise<void> | undefined;
  private timer: Timer | undefined;
  private timerAt = 0;
  private lastStatus = '';
  /** The Pod object is gone from the API (deleted with grace 0 by someone else). */
  private vanished = false;
  private terminating: Promise<void> | undefined;
  private finished = false;
  /** Set by the agent's stop(): kill everything quickly, write nothing. */
  private shuttingDown = false;
  private sandboxFailures = 0;
  private setupError: string | undefined;
  private failed: { reason: string; message: string } | undefined;

  constructor(pod: Pod, ctx: WorkerContext) {
    this.pod = pod;
    this.ctx = ctx;
    this.uid = pod.metadata.uid ?? '';
    this.dir = join(ctx.podsDir, this.uid);
    const spec = pod.spec;
    for (const c of spec?.initContainers ?? []) this.slots.push(this.newSlot(c, true));
    for (const c of spec?.containers ?? []) this.slots.push(this.newSlot(c, false));
  }

  private newSlot(c: Container, init: boolean): ContainerSlot {
    return {
      spec: c,
      init,
      sidecar: init && c.restartPolicy === 'Always',
      view: {
        name: c.name, image: normalizeImage(c.image ?? ''), imageID: '', state: waiting('ContainerCreating'),
        restartCount: 0, ready: false, started: false,
      },
      proc: undefined,
      runId: '',
      env: [],
      log: undefined,
      logFiles: [],
      backoff: new RestartBackoff(this.ctx.backoff),
      restartAt: 0,
      probes: [],
      ready: false,
      started: false,
      killing: undefined,
      runs: 0,
      blocked: undefined,
    };
  }

  get name(): string {
    return `${this.pod.metadata.namespace ?? ''}/${this.pod.metadata.name ?? ''}`;
  }

  /** A newer version of the Pod object. */
  update(pod: Pod): void {
    this.pod = pod;
    this.kick();
  }

  /** The Pod object was removed from the API without the agent (force delete). */
  vanish(): void {
    this.vanished = true;
    this.kick();
  }

  /** Marks the worker dirty and makes sure the sync loop runs. */
  kick(): void {
    this.dirty = true;
    if (this.running !== undefined) return;
    this.running = this.loop().finally(() => { this.running = undefined; });
  }

  private async loop(): Promise<void> {
    while (this.dirty && !this.finished) {
      this.dirty = false;
      try {
        await this.syncOnce();
      } catch (err) {
        this.ctx.log('error', `pod ${this.name}: sync failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
        this.wakeIn(2000);
      }
    }
  }

  /** Runs the sync loop again after `ms` (the earliest request wins). */
  private wakeIn(ms: number): void {
    const at = this.ctx.clock.now() + ms;
    if (this.timer !== undefined && this.timerAt <= at) return;
    if (this.timer !== undefined) this.ctx.clock.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.ctx.clock.setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, ms);
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string, slot?: ContainerSlot): void {
    this.ctx.events.record(this.pod, type, reason, message, slot === undefined ? undefined : fieldPath(slot));
  }

  // ---- sync ----

  private async syncOnce(): Promise<void> {
    if (this.shuttingDown) return;
    if (this.vanished || this.pod.metadata.deletionTimestamp !== undefined) {
      await this.terminate(this.vanished ? 0 : undefined);
      return;
    }
    if (this.isTerminal()) {
      await this.pushStatus();
      return;
    }
    if (this.sandbox === undefined && !(await this.ensureSandbox())) {
      await this.pushStatus();
      return;
    }
    if (!this.volumesReady && !(await this.prepareVolumes())) {
      await this.pushStatus();
      return;
    }
    if (this.tokenRefreshAt !== undefined) {
      const due = this.tokenRefreshAt - this.ctx.clock.now();
      if (due <= 0) await this.refreshTokens();
      else this.wakeIn(due);
    }
    const initDone = await this.syncInit();
    if (initDone) {
      for (const slot of this.slots) if (!slot.init) await this.syncContainer(slot);
    }
    await this.pushStatus();
    if (this.isTerminal()) await this.releaseSandbox();
  }

  /** The Pod has finished for good (Succeeded or Failed): nothing restarts. */
  private isTerminal(): boolean {
    if (this.failed !== undefined) return true;
    const phase = computePodStatus(this.pod, this.view(), this.ctx.clock.now()).phase;
    return phase === 'Succeeded' || phase === 'Failed';
  }

  private async ensureSandbox(): Promise<boolean> {
    const ip = this.ctx.allocateIP();
    if (ip === undefined) {
      this.setupError = 'no free Pod IP on this node';
      this.event('Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: failed to allocate for range 0: no IP addresses available in range set`);
      this.wakeIn(5000);
      return false;
    }
    try {
      this.writePodFiles(ip);
      this.sandbox = await this.ctx.runtime.createSandbox({
        uid: this.uid, namespace: this.pod.metadata.namespace ?? 'default', name: this.pod.metadata.name ?? '',
        hostname: podHostname(this.pod), dir: this.dir,
      }, ip);
      this.startTime ??= rfc3339(this.ctx.clock.now());
      this.setupError = undefined;
      this.sandboxFailures = 0;
      return true;
    } catch (err) {
      this.ctx.releaseIP(ip);
      this.sandboxFailures++;
      const msg = err instanceof Error ? err.message : String(err);
      this.setupError = msg;
      this.event('Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${msg}`);
      this.wakeIn(Math.min(60_000, 1000 * 2 ** this.sandboxFailures));
      return false;
    }
  }

  private writePodFiles(ip: string): void {
    mkdirSync(join(this.dir, 'etc'), { recursive: true });
    writeFileSync(join(this.dir, 'etc', 'hosts'), renderHosts(this.pod, [ip], this.ctx.dns.clusterDomain));
    writeFileSync(join(this.dir, 'etc', 'resolv.conf'), renderResolvConf(this.pod, this.ctx.dns));
    writeFileSync(join(this.dir, 'etc', 'hostname'), `${podHostname(this.pod)}\n`);
  }

  private async refs(): Promise<EnvRefs> {
    // Fetch every ConfigMap and Secret the Pod names, then answer lookups synchronously.
    const ns = this.pod.metadata.namespace ?? 'default';
    const cms = new Map<string, ConfigMap | undefined>();
    const secrets = new Map<string, Secret | undefined>();
    const text = JSON.stringify(this.pod.spec ?? {});
    const names = (re: RegExp): string[] => [...text.matchAll(re)].map((m) => m[1] ?? '');
    const cmNames = new Set([
      ...names(/"configMapKeyRef":\{[^}]*?"name":"([^"]*)"/g), ...names(/"configMapRef":\{[^}]*?"name":"([^"]*)"/g),
      ...names(/"configMap":\{[^}]*?"name":"([^"]*)"/g),
    ]);
    const secretNames = new Set([
      ...names(/"secretKeyRef":\{[^}]*?"name":"([^"]*)"/g), ...names(/"secretRef":\{[^}]*?"name":"([^"]*)"/g),
      ...names(/"secretName":"([^"]*)"/g), ...names(/"secret":\{[^}]*?"name":"([^"]*)"/g),
    ]);
    await Promise.all([
      ...[...cmNames].map(async (n) => { cms.set(n, await this.ctx.configMap(ns, n)); }),
      ...[...secretNames].map(async (n) => { secrets.set(n, await this.ctx.secret(ns, n)); }),
    ]);
    return { configMap: (n) => cms.get(n), secret: (n) => secrets.get(n) };
  }

  /** `refs()` plus the ServiceAccount tokens of the Pod's projected volumes (only volumes need them). */
  private async volumeRefs(): Promise<EnvRefs> {
    const refs = await this.refs();
    const fetchToken = this.ctx.serviceAccountToken;
    const sources = tokenSources(this.pod);
    if (fetchToken !== undefined && sources.length > 0) {
      const tokens = new Map<string, string | undefined>();
      const wanted = new Map(sources.map((t) => [`${t.audience ?? ''}|${t.expirationSeconds ?? 3600}`, t]));
      await Promise.all([...wanted].map(async ([key, t]) => {
        try {
          tokens.set(key, await fetchToken(this.pod, t.audience ?? '', t.expirationSeconds ?? 3600));
        } catch (err) {
          this.ctx.log('warn', `pod ${this.name}: token request failed: ${err instanceof Error ? err.message : String(err)}`);
          tokens.set(key, undefined);
        }
      }));
      refs.token = (aud, exp) => tokens.get(`${aud}|${exp}`);
      // As the kubelet: a fresh token once 80 % of the shortest lifetime has passed.
      const shortest = Math.min(...sources.map((t) => t.expirationSeconds ?? 3600));
      this.tokenRefreshAt = this.ctx.clock.now() + shortest * 800;
    }
    return refs;
  }

  /** Rewrites the projected volumes that carry ServiceAccount tokens (each file replaced atomically). */
  private async refreshTokens(): Promise<void> {
    const refs = await this.volumeRefs();
    const ip = this.sandbox?.ip ?? '';
    for (const v of this.pod.spec?.volumes ?? []) {
      if (!(v.projected?.sources ?? []).some((s) => (s as { serviceAccountToken?: unknown }).serviceAccountToken !== undefined)) continue;
      try {
        const content = volumeContent(this.pod, v, refs, ip);
        if (content.kind !== 'files') continue;
        for (const f of content.files) {
          if (!safeRelative(f.path)) continue;
          const p = join(this.dir, 'volumes', v.name, f.path);
          writeFileSync(`${p}.tmp`, f.data, { mode: f.mode });
          renameSync(`${p}.tmp`, p);
        }
      } catch (err) {
        if (!(err instanceof VolumeError)) throw err;
        this.event('Warning', 'FailedMount', err.message);
        this.tokenRefreshAt = this.ctx.clock.now() + 10_000;
      }
    }
  }

  /** When the projected ServiceAccount tokens are due for renewal (ms, clock time). */
  private tokenRefreshAt: number | undefined;

  private async prepareVolumes(): Promise<boolean> {
    const refs = await this.volumeRefs();
    const ip = this.sandbox?.ip ?? '';
    try {
      for (const v of this.pod.spec?.volumes ?? []) {
        const content = volumeContent(this.pod, v, refs, ip);
        const dir = join(this.dir, 'volumes', v.name);
        if (content.kind === 'emptyDir') {
          mkdirSync(dir, { recursive: true });
          chmodSync(dir, 0o777);
        } else if (content.kind === 'files') {
          rmSync(dir, { recursive: true, force: true });
          mkdirSync(dir, { recursive: true });
          for (const f of content.files) {
            if (!safeRelative(f.path)) continue;
            const p = join(dir, f.path);
            mkdirSync(dirname(p), { recursive: true });
            writeFileSync(p, f.data, { mode: f.mode });
            chmodSync(p, f.mode);
          }
        }
      }
    } catch (err) {
      if (!(err instanceof VolumeError)) throw err;
      this.setupError = err.message;
      this.event('Warning', 'FailedMount', err.message);
      this.wakeIn(5000);
      return false;
    }
    this.setupError = undefined;
    this.volumesReady = true;
    return true;
  }

  /** Runs init containers in order; true once all have completed (sidecars: started). */
  private async syncInit(): Promise<boolean> {
    for (const slot of this.slots) {
      if (!slot.init) continue;
      if (slot.sidecar) {
        await this.syncContainer(slot);
        if (slot.proc === undefined || !slot.started) return false;
        continue;
      }
      const t = slot.view.state.terminated;
      if (t !== undefined && t.exitCode === 0) continue;
      if (slot.proc !== undefined) return false;
      // A failed init container with restartPolicy Never fails the Pod (podPhase sees it).
      if (t !== undefined && (this.pod.spec?.restartPolicy ?? 'Always') === 'Never') return false;
      await this.syncContainer(slot);
      return false;
    }
    return true;
  }

  private restartWanted(slot: ContainerSlot): boolean {
    if (slot.sidecar) return true;
    const t = slot.view.state.terminated ?? slot.view.lastState?.terminated;
    const policy = this.pod.spec?.restartPolicy ?? 'Always';
    if (slot.init) return policy !== 'Never' && (t?.exitCode ?? 1) !== 0;
    if (policy === 'Always') return true;
    if (policy === 'OnFailure') return (t?.exitCode ?? 0) !== 0;
    return false;
  }

  /** Starts a container that should run, honouring the restart back-off. */
  private async syncContainer(slot: ContainerSlot): Promise<void> {
    // Running, or an image the catalog cannot run (the spec cannot change, so neither can that).
    if (slot.proc !== undefined || slot.blocked !== undefined) return;
    if (slot.runs > 0 && !this.restartWanted(slot)) return;
    const now = this.ctx.clock.now();
    if (slot.runs > 0 && now < slot.restartAt) {
      slot.view.state = waiting('CrashLoopBackOff',
        `back-off ${goDuration(slot.backoff.current)} restarting failed container=${slot.spec.name} pod=${this.pod.metadata.name ?? ''}_${this.pod.metadata.namespace ?? ''}(${this.uid})`);
      this.wakeIn(slot.restartAt - now);
      return;
    }
    await this.startContainer(slot);
  }

  private mountsFor(slot: ContainerSlot, launch: Extract<Launch, { kind: 'run' }>): Mount[] {
    const mounts: Mount[] = [];
    const targets = new Set((slot.spec.volumeMounts ?? []).map((m) => m.mountPath));
    const etc = (name: string, target: string): void => {
      if (!targets.has(target)) mounts.push({ source: join(this.dir, 'etc', name), target, readOnly: false, file: true });
    };
    if (this.ctx.runtime.mode === 'netns') {
      for (const d of builtinHostDirs(launch.argv, this.ctx.catalog)) mounts.push({ source: d, target: d, readOnly: true, file: false });
    }
    etc('hosts', '/etc/hosts');
    etc('resolv.conf', '/etc/resolv.conf');
    etc('hostname', '/etc/hostname');
    if (launch.image === 'nginx' && this.ctx.runtime.mode === 'netns') {
      const nd = join(this.dir, 'nginx', slot.spec.name);
      mkdirSync(join(nd, 'conf.d'), { recursive: true });
      writeFileSync(join(nd, 'nginx.conf'), renderNginxConf({ mode: 'pod' }));
      writeFileSync(join(nd, 'conf.d', 'default.conf'), renderNginxDefaultServer({ mode: 'pod', ipv6: this.ctx.ipv6 }));
      mounts.push({ source: join(nd, 'nginx.conf'), target: '/etc/nginx/nginx.conf', readOnly: false, file: true });
      mounts.push({ source: join(nd, 'conf.d'), target: '/etc/nginx/conf.d', readOnly: false, file: false });
    }
    for (const vm of slot.spec.volumeMounts ?? []) {
      const vol = this.pod.spec?.volumes?.find((v) => v.name === vm.name);
      if (vol === undefined) continue;
      let source = vol.hostPath !== undefined ? vol.hostPath.path : join(this.dir, 'volumes', vm.name);
      if (vm.subPath !== undefined && vm.subPath !== '' && safeRelative(vm.subPath)) {
        source = join(source, vm.subPath);
        if (!existsSync(source)) mkdirSync(source, { recursive: true });
      }
      let file = false;
      try {
        file = existsSync(source) && !statIsDir(source);
      } catch { /* treat as dir */ }
      if (vol.hostPath !== undefined && !existsSync(source)) {
        const type = vol.hostPath.type ?? '';
        if (type === 'DirectoryOrCreate' || type === '') mkdirSync(source, { recursive: true });
        else if (type === 'FileOrCreate') { mkdirSync(dirname(source), { recursive: true }); writeFileSync(source, ''); file = true; }
      }
      mounts.push({ source, target: vm.mountPath, readOnly: vm.readOnly === true, file });
    }
    if (this.ctx.runtime.mode !== 'netns') return mounts;
    return mounts.map((m) => ({ ...m, target: resolveContainerPath(m.target, hostReadlink) }));
  }

  /** Host mode: nginx gets its own config, docroot and listen address under the Pod directory. */
  private hostNginxArgv(slot: ContainerSlot, argv: string[]): string[] {
    const nd = join(this.dir, 'nginx', slot.spec.name);
    const docroot = join(nd, 'html');
    mkdirSync(join(nd, 'conf.d'), { recursive: true });
    if (!existsSync(docroot)) {
      mkdirSync(docroot, { recursive: true });
      try {
        cpSync('/usr/share/nginx/html', docroot, { recursive: true });
      } catch {
        writeFileSync(join(docroot, 'index.html'), '<!DOCTYPE html>\n<html><head><title>Welcome to nginx!</title></head><body><h1>Welcome to nginx!</h1></body></html>\n');
      }
    }
    writeFileSync(join(nd, 'nginx.conf'), renderNginxConf({ mode: 'host', dir: nd }));
    writeFileSync(join(nd, 'conf.d', 'default.conf'), renderNginxDefaultServer({ mode: 'host', dir: nd, docroot, listen: this.sandbox?.ip ?? '127.0.0.1' }));
    if (argv[0] === 'nginx' || argv[0] === 'nginx-debug' || argv[0]?.endsWith('/nginx') === true) {
      return [argv[0] ?? 'nginx', '-p', `${nd}/`, '-c', join(nd, 'nginx.conf'), '-e', 'stderr', ...argv.slice(1)];
    }
    return argv;
  }

  private async startContainer(slot: ContainerSlot): Promise<void> {
    const sb = this.sandbox;
    if (sb === undefined) return;
    const c = slot.spec;
    const launch = resolveLaunch(c, this.ctx.catalog);
    if (launch.kind === 'unavailable') {
      if (slot.blocked === undefined) this.event('Warning', 'Failed', `Error: ${launch.reason}: ${launch.message}`, slot);
      slot.blocked = { reason: launch.reason, message: launch.message };
      slot.view.state = waiting(launch.reason, launch.message);
      return;
    }
    slot.blocked = undefined;
    let env: Array<[string, string]>;
    let argv: string[];
    try {
      const refs = await this.refs();
      const base: Array<[string, string]> = [...launch.env, ['HOSTNAME', podHostname(this.pod)], ['HOME', '/root']];
      if (this.ctx.runtime.mode === 'host') base.push(['POD_IP', sb.ip]);
      const ce = containerEnv(this.pod, c, this.ctx.services(), refs, {
        podIP: sb.ip, podIPs: [sb.ip], hostIP: this.ctx.hostIP, nodeName: this.ctx.nodeName, nodeAllocatable: this.ctx.nodeAllocatable,
      }, base);
      env = [...ce.env.entries()];
      argv = launch.argv.map((a) => ce.expand(a));
    } catch (err) {
      if (!(err instanceof EnvError)) throw err;
      slot.view.state = waiting('CreateContainerConfigError', err.message);
      this.event('Warning', 'Failed', `Error: ${err.message}`, slot);
      this.wakeIn(10_000);
      return;
    }
    if (this.ctx.runtime.mode === 'host' && launch.image === 'nginx') argv = this.hostNginxArgv(slot, argv);
    const first = slot.runs === 0;
    if (!first) slot.view.restartCount++;
    slot.runId = randomBytes(16).toString('hex');
    const logDir = join(this.dir, 'logs', c.name);
    mkdirSync(logDir, { recursive: true });
    const logPath = join(logDir, `${slot.view.restartCount}.log`);
    const log = new LogWriter(logPath);
    slot.logFiles.push(logPath);
    while (slot.logFiles.length > 2) {
      const old = slot.logFiles.shift();
      if (old !== undefined) rmSync(old, { force: true });
    }
    slot.log = log;
    slot.env = env;
    slot.ready = false;
    slot.started = false;
    if (first) this.event('Normal', 'Pulled', `Container image "${c.image ?? ''}" already present on machine`, slot);
    let proc: ContainerProcess;
    try {
      proc = await this.ctx.runtime.startContainer(sb, {
        id: slot.runId, name: c.name, argv, env, stdin: c.stdin === true, tty: c.tty === true,
        workingDir: c.workingDir !== undefined && c.workingDir !== '' ? c.workingDir : launch.workingDir,
        hostname: podHostname(this.pod),
        mounts: this.mountsFor(slot, launch),
        dir: join(this.dir, 'containers', `${c.name}-${slot.runId.slice(0, 8)}`),
      });
    } catch (err) {
      log.close();
      slot.log = undefined;
      const msg = err instanceof Error ? err.message : String(err);
      this.onExit(slot, { exitCode: 128, startError: msg, finishedAt: this.ctx.clock.now() }, this.ctx.clock.now());
      return;
    }
    slot.proc = proc;
    slot.view.imageID = `switchboard://catalog/${launch.repo}`;
    slot.view.containerID = `switchboard://${slot.runId}`;
    const startedAt = proc.startedAt;
    slot.view.state = { running: { startedAt: rfc3339(startedAt) } };
    this.event('Normal', 'Created', `Created container ${c.name}`, slot);
    this.event('Normal', 'Started', `Started container ${c.name}`, slot);
    proc.stdout.on('data', (d: Buffer) => log.write('stdout', d));
    proc.stderr.on('data', (d: Buffer) => log.write('stderr', d));
    void proc.exited.then((info) => {
      if (slot.proc === proc) this.onExit(slot, info, startedAt);
    });
    this.startProbes(slot, startedAt);
  }

  private onExit(slot: ContainerSlot, info: { exitCode: number; signal?: number; startError?: string; finishedAt: number }, startedAt: number): void {
    for (const p of slot.probes) p.stop();
    slot.probes = [];
    slot.log?.close();
    slot.log = undefined;
    slot.proc = undefined;
    slot.ready = false;
    slot.started = false;
    slot.runs++;
    const reason = info.startError !== undefined ? 'StartError' : info.exitCode === 0 ? 'Completed' : 'Error';
    const terminated: NonNullable<ContainerState['terminated']> = {
      exitCode: info.startError !== undefined ? 128 : info.exitCode,
      reason,
      startedAt: rfc3339(info.startError !== undefined ? 0 : startedAt),
      finishedAt: rfc3339(info.finishedAt),
    };
    if (info.signal !== undefined) terminated.signal = info.signal;
    if (info.startError !== undefined) {
      terminated.message = `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ${info.startError}: unknown`;
      this.event('Warning', 'Failed', `Error: ${terminated.message}`, slot);
    }
    if (slot.view.containerID !== undefined) terminated.containerID = slot.view.containerID;
    slot.view.state = { terminated };
    slot.view.lastState = { terminated };
    const killing = slot.killing;
    if (killing === undefined || killing !== 'terminate') {
      slot.killing = undefined;
      if (this.restartWanted(slot)) {
        const ranMs = info.finishedAt - startedAt;
        const wait = slot.backoff.next(ranMs);
        slot.restartAt = info.finishedAt + wait;
        if (wait > 0) {
          this.event('Warning', 'BackOff', `Back-off restarting failed container ${slot.spec.name} in pod ${this.pod.metadata.name ?? ''}_${this.pod.metadata.namespace ?? ''}(${this.uid})`, slot);
        }
      }
    }
    this.kick();
  }

  // ---- probes ----

  private execRunner(slot: ContainerSlot): ExecRunner {
    return async (argv, timeoutMs) => {
      const p = this.exec(slot, { argv, env: slot.env, tty: false, stdin: false });
      if (p === undefined) return { exitCode: 1, output: 'container is not running', timedOut: false };
      let output = '';
      p.stdout?.setEncoding('utf8').on('data', (d: string) => { output += d; });
      p.stderr?.setEncoding('utf8').on('data', (d: string) => { output += d; });
      p.stdin?.end();
      let timedOut = false;
      const timer = setTimeout(() => { timedOut = true; p.kill('SIGKILL'); }, timeoutMs);
      const r = await p.exited;
      clearTimeout(timer);
      return { exitCode: r.exitCode, output, timedOut };
    };
  }

  private startProbes(slot: ContainerSlot, startedAt: number): void {
    const c = slot.spec;
    const host = this.sandbox?.ip ?? '127.0.0.1';
    const kinds: Array<[ProbeKind, NonNullable<Container['livenessProbe']> | undefined]> = [
      ['startup', c.startupProbe], ['liveness', c.livenessProbe], ['readiness', c.readinessProbe],
    ];
    if (c.startupProbe === undefined) slot.started = true;
    if (c.readinessProbe === undefined) slot.ready = true;
    const label: Record<ProbeKind, string> = { startup: 'Startup', liveness: 'Liveness', readiness: 'Readiness' };
    for (const [kind, probe] of kinds) {
      if (probe === undefined) continue;
      const run = () => runProbe(probe, c, host, this.execRunner(slot));
      const w = new ProbeWorker(kind, probe, this.ctx.clock, {
        run,
        started: () => slot.started,
        onFailure: (k, output) => this.event('Warning', 'Unhealthy', `${label[k]} probe failed: ${output}`, slot),
        onResult: (k, result) => {
          if (slot.probes.indexOf(w) < 0) return;
          if (k === 'readiness') slot.ready = result === 'success';
          else if (k === 'startup' && result === 'success') slot.started = true;
          else if (result === 'failure') void this.restartForProbe(slot, k);
          this.kick();
        },
      });
      slot.probes.push(w);
      w.start(startedAt);
    }
  }

  /** Liveness or startup failed: stop the container so the restart policy brings it back. */
  private async restartForProbe(slot: ContainerSlot, kind: ProbeKind): Promise<void> {
    const proc = slot.proc;
    if (proc === undefined) return;
    slot.killing = kind === 'startup' ? 'startup' : 'liveness';
    this.event('Normal', 'Killing', `Container ${slot.spec.name} failed ${kind} probe, will be restarted`, slot);
    const grace = (slot.spec.livenessProbe?.terminationGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
    await this.stopProcess(slot, proc, grace);
  }

  // ---- status ----

  view(): PodView {
    const sb = this.sandbox;
    const init = this.slots.filter((s) => s.init);
    const initialized = init.every((s) => s.sidecar ? s.proc !== undefined && s.started : s.view.state.terminated?.exitCode === 0);
    const views = (list: ContainerSlot[]): ContainerView[] => list.map((s) => ({
      ...s.view,
      ready: s.proc !== undefined && s.ready && s.started && this.pod.metadata.deletionTimestamp === undefined,
      started: s.proc !== undefined && s.started,
    }));
    const containers = views(this.slots.filter((s) => !s.init));
    if (this.setupError !== undefined) {
      for (const c of containers) if (c.state.waiting?.reason === 'ContainerCreating') c.state = waiting('ContainerCreating');
    }
    const v: PodView = {
      hostIP: this.ctx.hostIP,
      sandboxReady: sb !== undefined,
      initialized,
      init: views(init),
      containers,
    };
    if (sb !== undefined) v.podIP = sb.ip;
    else if (this.lastIP !== undefined) v.podIP = this.lastIP;
    if (this.startTime !== undefined) v.startTime = this.startTime;
    if (this.failed !== undefined) v.failed = this.failed;
    return v;
  }

  private lastIP: string | undefined;

  status(): PodStatus {
    return computePodStatus(this.pod, this.view(), this.ctx.clock.now());
  }

  private async pushStatus(): Promise<void> {
    if (this.shuttingDown || this.vanished) return;
    const status = this.status();
    const text = JSON.stringify(status);
    if (text === this.lastStatus) return;
    try {
      await this.ctx.writeStatus(this.pod, status);
      this.lastStatus = text;
    } catch (err) {
      this.ctx.log('warn', `pod ${this.name}: status update failed: ${err instanceof Error ? err.message : String(err)}`);
      this.wakeIn(1000);
    }
  }

  private async releaseSandbox(): Promise<void> {
    const sb = this.sandbox;
    if (sb === undefined) return;
    for (const s of this.slots) if (s.proc !== undefined) return;
    this.sandbox = undefined;
    this.lastIP = sb.ip;
    await this.ctx.runtime.removeSandbox(sb);
    this.ctx.releaseIP(sb.ip);
  }

  // ---- termination ----

  private async stopProcess(slot: ContainerSlot, proc: ContainerProcess, graceMs: number): Promise<void> {
    proc.signal('SIGTERM');
    const killAfter = Math.max(graceMs, minimumGraceMs);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      proc.exited,
      new Promise<void>((r) => { timer = setTimeout(() => { proc.signal('SIGKILL'); r(); }, killAfter); }),
    ]);
    if (timer !== undefined) clearTimeout(timer);
    await proc.exited;
    void slot;
  }

  private async runPreStop(slot: ContainerSlot, deadline: number): Promise<void> {
    const hook = (slot.spec.lifecycle?.['preStop'] ?? undefined) as
      { exec?: { command?: string[] }; httpGet?: NonNullable<Container['livenessProbe']>['httpGet']; sleep?: { seconds?: number } } | undefined;
    if (hook === undefined || slot.proc === undefined) return;
    const left = Math.max(0, deadline - Date.now());
    try {
      if (hook.sleep !== undefined) {
        await new Promise((r) => setTimeout(r, Math.min(left, (hook.sleep?.seconds ?? 0) * 1000)));
        return;
      }
      const probeLike = { ...(hook.exec !== undefined ? { exec: hook.exec } : {}), ...(hook.httpGet !== undefined ? { httpGet: hook.httpGet } : {}), timeoutSeconds: Math.max(1, Math.ceil(left / 1000)) };
      const r = await runProbe(probeLike, slot.spec, this.sandbox?.ip ?? '127.0.0.1', this.execRunner(slot));
      if (r.result === 'failure') {
        const what = hook.exec !== undefined ? `Exec lifecycle hook (${JSON.stringify(hook.exec.command ?? [])}) for Container "${slot.spec.name}" in Pod "${this.pod.metadata.name ?? ''}_${this.pod.metadata.namespace ?? ''}(${this.uid})" failed - error: command '${(hook.exec.command ?? []).join(' ')}' exited with non-zero code, message: ${r.output}` : `HTTP lifecycle hook (${hook.httpGet?.path ?? '/'}) for Container "${slot.spec.name}" in Pod "${this.pod.metadata.name ?? ''}_${this.pod.metadata.namespace ?? ''}(${this.uid})" failed - error: ${r.output}`;
        this.event('Warning', 'FailedPreStopHook', what, slot);
      }
    } catch (err) {
      this.event('Warning', 'FailedPreStopHook', err instanceof Error ? err.message : String(err), slot);
    }
  }

  /** Stops every container (preStop, SIGTERM, grace, SIGKILL) and removes the sandbox. */
  private async killAll(graceMs: number, withHooks: boolean): Promise<void> {
    const deadline = Date.now() + graceMs;
    await Promise.all(this.slots.map(async (slot) => {
      const proc = slot.proc;
      if (proc === undefined) return;
      slot.killing = 'terminate';
      for (const p of slot.probes) p.stop();
      if (withHooks) {
        this.event('Normal', 'Killing', `Stopping container ${slot.spec.name}`, slot);
        await this.runPreStop(slot, deadline);
      }
      await this.stopProcess(slot, proc, Math.max(0, deadline - Date.now()));
    }));
    const sb = this.sandbox;
    if (sb !== undefined) {
      this.sandbox = undefined;
      this.lastIP = sb.ip;
      try {
        await this.ctx.runtime.removeSandbox(sb);
      } catch (err) {
        this.ctx.log('warn', `pod ${this.name}: removing the sandbox: ${err instanceof Error ? err.message : String(err)}`);
      }
      this.ctx.releaseIP(sb.ip);
    }
  }

  private terminate(forcedGrace?: number): Promise<void> {
    this.terminating ??= (async () => {
      const spec = this.pod.spec;
      const grace = forcedGrace ?? this.pod.metadata.deletionGracePeriodSeconds ?? spec?.terminationGracePeriodSeconds ?? 30;
      await this.killAll(grace * 1000, !this.vanished);
      if (!this.vanished && !this.shuttingDown) {
        await this.pushStatus();
        try {
          await this.ctx.deletePod(this.pod);
        } catch (err) {
          this.ctx.log('warn', `pod ${this.name}: final delete failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      this.finish();
    })();
    return this.terminating;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer !== undefined) this.ctx.clock.clearTimeout(this.timer);
    rmSync(this.dir, { recursive: true, force: true });
    this.ctx.onDone(this.uid);
  }

  /** Agent shutdown: kill everything fast and write nothing to the API. */
  async shutdown(graceMs: number): Promise<void> {
    this.shuttingDown = true;
    if (this.timer !== undefined) this.ctx.clock.clearTimeout(this.timer);
    await this.killAll(graceMs, false);
    this.finish();
  }

  // ---- exec and logs ----

  /** The slot of a container by name (regular, init or sidecar). */
  slot(name: string): ContainerSlot | undefined {
    return this.slots.find((s) => s.spec.name === name);
  }

  /** Runs a command in a running container; undefined when it is not running. */
  exec(slot: ContainerSlot, opts: ExecOptions): ExecProcess | undefined {
    const sb = this.sandbox;
    const proc = slot.proc;
    if (sb === undefined || proc === undefined) return undefined;
    return this.ctx.runtime.exec(sb, proc, { ...opts, env: opts.env.length > 0 ? opts.env : slot.env });
  }
}

function statIsDir(p: string): boolean {
  return statSync(p).isDirectory();
}
