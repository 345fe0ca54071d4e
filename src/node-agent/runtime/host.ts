// The runtime without root: Pods are plain processes on the host. Each Pod has a loopback address
// (127.244.N.x, mirroring the node subnet) in POD_IP; containers share the host's filesystem, hostname
// and ports, so only software told to listen on POD_IP (the catalog's nginx and agnhost are) can run
// several replicas side by side. Volumes live under the Pod's directory and are not mounted.
import { existsSync, mkdirSync } from 'node:fs';
import { PidRegistry, spawnContainer, spawnExec } from './process.ts';
import type { ContainerProcess, ContainerSpec, ExecOptions, ExecProcess, Runtime, Sandbox, SandboxSpec } from './types.ts';

export class HostRuntime implements Runtime {
  readonly mode = 'host' as const;
  readonly gateway = '127.0.0.1';
  readonly limitations =
    'host network mode: Pods share the machine\'s network, filesystem and hostname; volumes and /etc/resolv.conf ' +
    'are not mounted into them (volumes are under the Pod directory), and ports below 1024 need root';
  private readonly pids: PidRegistry;

  constructor(stateDir: string) {
    this.pids = new PidRegistry(`${stateDir}/pids`);
  }

  async setupNode(): Promise<void> {
    this.pids.killLeftovers();
  }

  async teardownNode(): Promise<void> {
    this.pids.killLeftovers();
  }

  async createSandbox(spec: SandboxSpec, ip: string): Promise<Sandbox> {
    mkdirSync(spec.dir, { recursive: true });
    return { uid: spec.uid, ip, netns: '', hostVeth: '' };
  }

  async removeSandbox(_sb: Sandbox): Promise<void> {}

  async startContainer(_sb: Sandbox, spec: ContainerSpec): Promise<ContainerProcess> {
    const cwd = existsSync(spec.workingDir) ? spec.workingDir : spec.dir;
    mkdirSync(spec.dir, { recursive: true });
    return spawnContainer(spec.argv, spec.env, cwd, this.pids, spec.dir, { stdin: spec.stdin === true, tty: spec.tty === true });
  }

  exec(_sb: Sandbox, _target: ContainerProcess, opts: ExecOptions): ExecProcess {
    return spawnExec(opts.argv, opts.env, '/', opts.tty);
  }
}
