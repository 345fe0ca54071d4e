// The root runtime: each Pod gets a network namespace with a veth on the node bridge and an address
// of the node's subnet; each container runs in that namespace with its own mount, UTS and IPC
// namespaces and a copy-on-write view of the host's root (see plan.ts renderSetupScript). Everything
// carries this agent's instance id, and setupNode first removes whatever a crashed run left.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { shortHash } from '../ipam.ts';
import { mustRun, runCommand, CommandError } from './command.ts';
import {
  bridgeCommands, nftRuleset, nodeNet, podNetNames, podNetnsBatch, renderSetupScript, serviceRouteArgs, type NodeNet,
} from './plan.ts';
import { PidRegistry, signalGroup, spawnContainer, spawnExec } from './process.ts';
import type { ContainerProcess, ContainerSpec, ExecOptions, ExecProcess, Runtime, Sandbox, SandboxSpec } from './types.ts';

export type LogFn = (level: 'debug' | 'info' | 'warn' | 'error', msg: string) => void;

/** True when the kernel offers overlayfs (it may be a module that loads on first mount). */
function haveOverlay(): boolean {
  try {
    return readFileSync('/proc/filesystems', 'utf8').includes('overlay') || existsSync('/lib/modules');
  } catch {
    return false;
  }
}

async function ip(args: readonly string[], input?: string): Promise<string> {
  return mustRun(['ip', ...args], input === undefined ? {} : { input });
}

/** Lists network namespaces by name. */
async function listNetns(): Promise<string[]> {
  const r = await runCommand(['ip', 'netns', 'list']);
  return r.stdout.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter((s) => s !== '');
}

async function netnsPids(name: string): Promise<number[]> {
  const r = await runCommand(['ip', 'netns', 'pids', name]);
  return r.stdout.split(/\s+/).filter((s) => s !== '').map(Number).filter((n) => Number.isInteger(n) && n > 1);
}

/** Kills every process in a namespace (repeatedly: a dying shell may fork once more), then deletes it. */
async function deleteNetns(name: string): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const pids = await netnsPids(name);
    if (pids.length === 0) break;
    for (const p of pids) signalGroup(p, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 25));
  }
  await runCommand(['ip', 'netns', 'del', name]);
}

/** Device names (without the `@peer` suffix). */
async function listLinks(): Promise<string[]> {
  const links = await runCommand(['ip', '-o', 'link', 'show']);
  const out: string[] = [];
  for (const line of links.stdout.split('\n')) {
    const dev = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
    if (dev !== undefined) out.push(dev);
  }
  return out;
}

/** Deletes one instance's namespaces (and their processes), veths, bridge, service route and table. */
async function removeInstance(net: NodeNet): Promise<number> {
  let netns = 0;
  for (const name of await listNetns()) {
    if (!name.startsWith(net.netnsPrefix)) continue;
    await deleteNetns(name);
    netns++;
  }
  for (const dev of await listLinks()) {
    if (dev === net.bridge || dev.startsWith(net.vethPrefix)) await runCommand(['ip', 'link', 'del', dev]);
  }
  await runCommand(['ip', 'route', 'del', ...serviceRouteArgs(net)]);
  await runCommand(['nft', 'delete', 'table', 'inet', net.nftTable]);
  return netns;
}

/** Claim files: `<dir>/<instance id>` holds the pid of the agent process that owns the id. */
const claimsDir = '/run/switchboard/agents';

function claimInstance(id: string): void {
  mkdirSync(claimsDir, { recursive: true });
  writeFileSync(`${claimsDir}/${id}`, String(process.pid));
}

function releaseInstance(id: string): void {
  rmSync(`${claimsDir}/${id}`, { force: true });
}

function instanceAlive(id: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(`${claimsDir}/${id}`, 'utf8').trim());
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 1) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class NetnsRuntime implements Runtime {
  readonly mode = 'netns' as const;
  readonly limitations = '';
  readonly net: NodeNet;
  private readonly pids: PidRegistry;
  private readonly overlay = haveOverlay();
  private readonly log: LogFn;

  constructor(net: NodeNet, stateDir: string, log: LogFn = () => {}) {
    this.net = net;
    this.pids = new PidRegistry(`${stateDir}/pids`);
    this.log = log;
  }

  get gateway(): string {
    return this.net.gateway;
  }

  /** Removes everything of this instance id: leftover processes, namespaces, veths, bridge, route, table. */
  async cleanup(): Promise<{ netns: number; processes: number }> {
    const processes = this.pids.killLeftovers();
    const netns = await removeInstance(this.net);
    if (netns > 0 || processes > 0) this.log('info', `removed ${netns} network namespaces and ${processes} processes left by an earlier run`);
    return { netns, processes };
  }

  async setupNode(): Promise<void> {
    // Claim the id before creating anything, so a concurrent agent's sweep never takes our objects.
    claimInstance(this.net.id);
    await this.sweepOrphans();
    await this.cleanup();
    for (const c of bridgeCommands(this.net)) await ip(c);
    writeFileSync(`/proc/sys/net/ipv4/conf/${this.net.bridge}/forwarding`, '1');
    const route = await runCommand(['ip', 'route', 'add', ...serviceRouteArgs(this.net)]);
    if (route.code !== 0 && !route.stderr.includes('File exists')) throw new CommandError(['ip', 'route', 'add', ...serviceRouteArgs(this.net)], route.code, route.stderr);
    const nft = await runCommand(['nft', '-f', '-'], { input: nftRuleset(this.net) });
    if (nft.code !== 0) this.log('warn', `nftables table ${this.net.nftTable} not installed (Pods could reach beyond the node): ${nft.stderr.trim()}`);
  }

  async teardownNode(): Promise<void> {
    await this.cleanup();
    releaseInstance(this.net.id);
  }

  /**
   * Removes what other agent instances left when their process died without cleaning up (a crash
   * with a data dir that is never used again, e.g. a test's temp dir). An instance is alive while
   * the process recorded in its claim file runs.
   */
  private async sweepOrphans(): Promise<void> {
    const ids = new Set<string>();
    for (const name of await listNetns()) {
      const m = /^sb-([0-9a-f]{4})-/.exec(name);
      if (m?.[1] !== undefined) ids.add(m[1]);
    }
    for (const dev of await listLinks()) {
      const m = /^sb([0-9a-f]{4})-br$/.exec(dev);
      if (m?.[1] !== undefined) ids.add(m[1]);
    }
    const tables = await runCommand(['nft', 'list', 'tables']);
    for (const m of tables.stdout.matchAll(/table inet switchboard_agent_([0-9a-f]{4})\b/g)) if (m[1] !== undefined) ids.add(m[1]);
    for (const id of ids) {
      if (id === this.net.id || instanceAlive(id)) continue;
      const n = await removeInstance(nodeNet(id, this.net.podCIDR, this.net.gateway, this.net.serviceCIDR));
      releaseInstance(id);
      this.log('info', `removed the leftovers of dead agent instance ${id} (${n} network namespaces)`);
    }
  }

  async createSandbox(spec: SandboxSpec, podIP: string): Promise<Sandbox> {
    const { netns, veth } = podNetNames(this.net, spec.uid, shortHash(spec.uid, 8));
    // A half-made sandbox of an earlier attempt goes first. Looked up in the file system: every
    // command costs a fork of this (large) process, and Pods start in bursts.
    if (existsSync(`/run/netns/${netns}`)) await deleteNetns(netns);
    if (existsSync(`/sys/class/net/${veth}`)) await runCommand(['ip', 'link', 'del', veth]);
    try {
      // Two commands per sandbox: the host side in one batch, the Pod side in another.
      await ip(['-batch', '-'], [
        `netns add ${netns}`,
        `link add ${veth} type veth peer name eth0 netns ${netns}`,
        `link set ${veth} master ${this.net.bridge}`,
        `link set ${veth} type bridge_slave hairpin on`,
        `link set ${veth} up`,
        '',
      ].join('\n'));
      await ip(['-n', netns, '-batch', '-'], podNetnsBatch(this.net, podIP));
    } catch (err) {
      if (existsSync(`/run/netns/${netns}`)) await deleteNetns(netns);
      await runCommand(['ip', 'link', 'del', veth]);
      throw err;
    }
    mkdirSync(spec.dir, { recursive: true });
    return { uid: spec.uid, ip: podIP, netns, hostVeth: veth };
  }

  async removeSandbox(sb: Sandbox): Promise<void> {
    await deleteNetns(sb.netns);
    await runCommand(['ip', 'link', 'del', sb.hostVeth]);
  }

  async startContainer(sb: Sandbox, spec: ContainerSpec): Promise<ContainerProcess> {
    mkdirSync(spec.dir, { recursive: true });
    const script = renderSetupScript({ dir: spec.dir, mounts: spec.mounts, hostname: spec.hostname, workingDir: spec.workingDir, overlay: this.overlay });
    const argv = [
      'nsenter', `--net=/run/netns/${sb.netns}`, '--',
      'unshare', '--mount', '--uts', '--ipc', '--propagation', 'private', '--',
      '/bin/sh', '-c', script, 'sb-setup', ...spec.argv,
    ];
    return spawnContainer(argv, spec.env, '/', this.pids, spec.dir, { stdin: spec.stdin === true, tty: spec.tty === true });
  }

  exec(_sb: Sandbox, target: ContainerProcess, opts: ExecOptions): ExecProcess {
    const argv = ['nsenter', '-t', String(target.pid), '-m', '-u', '-i', '-n', '-r', '-w', '--', ...opts.argv];
    return spawnExec(argv, opts.env, '/', opts.tty);
  }
}
