// The runtime interface the Pod workers program against: a sandbox per Pod (its network and files)
// and container processes inside it. Implementations: `netns.ts` (root: network, mount and UTS
// namespaces), `host.ts` (plain processes with loopback addresses) and `fake.ts` (in memory, for tests).
import type { Readable, Writable } from 'node:stream';

/** A bind mount into a container: a host path at a path inside the container. */
export interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
  /** True when `source` is a file (the target is created as an empty file first). */
  file: boolean;
}

/** What a sandbox needs. */
export interface SandboxSpec {
  uid: string;
  namespace: string;
  name: string;
  hostname: string;
  /** The Pod's directory on the host (files, volumes, logs). */
  dir: string;
}

/** A Pod's sandbox once made. */
export interface Sandbox {
  uid: string;
  /** The Pod's IP. */
  ip: string;
  /** netns mode: the network namespace name; host mode: ''. */
  netns: string;
  /** Host-side veth (netns mode). */
  hostVeth: string;
}

/** One start of a container. */
export interface ContainerSpec {
  /** A unique id for this run (goes into containerID). */
  id: string;
  /** Keep a stdin pipe open (the container's `stdin: true`, for kubectl attach). */
  stdin?: boolean;
  /** Run on a pseudo-terminal (`tty: true`): stdout and stderr are then one stream. */
  tty?: boolean;
  name: string;
  argv: string[];
  env: Array<[string, string]>;
  workingDir: string;
  hostname: string;
  mounts: Mount[];
  /** A directory for the container's private root (netns mode). */
  dir: string;
}

/** How a container ended. */
export interface ExitInfo {
  exitCode: number;
  signal?: number;
  /** Set when the process never ran the command (not found, setup failed): the kubelet's StartError. */
  startError?: string;
  finishedAt: number;
}

/** A running container process. */
export interface ContainerProcess {
  pid: number;
  startedAt: number;
  stdout: Readable;
  stderr: Readable;
  /** The container's stdin, when its spec asks for one. */
  stdin: Writable | null;
  /** Sets the terminal size (tty containers only). */
  resize(cols: number, rows: number): void;
  /** Resolves once, when the process has exited. */
  exited: Promise<ExitInfo>;
  /** Signals the container's process group. */
  signal(sig: NodeJS.Signals): void;
}

/** An exec'd process (kubectl exec, exec probes). */
export interface ExecProcess {
  stdin: Writable | null;
  stdout: Readable | null;
  stderr: Readable | null;
  exited: Promise<{ exitCode: number; signal?: number }>;
  kill(sig: NodeJS.Signals): void;
  /** Sets the terminal size (tty only). */
  resize(cols: number, rows: number): void;
}

export interface ExecOptions {
  argv: string[];
  env: Array<[string, string]>;
  tty: boolean;
  stdin: boolean;
}

/** The runtime a node agent drives. Every method may be called again after a failure (idempotent). */
export interface Runtime {
  readonly mode: 'netns' | 'host' | 'fake';
  /** The address Pods reach the node at (the bridge gateway in netns mode). */
  readonly gateway: string;
  /** Prepares the node (bridge, routes, rules) after removing what a crashed run left. */
  setupNode(): Promise<void>;
  /** Removes everything the node setup made. */
  teardownNode(): Promise<void>;
  createSandbox(spec: SandboxSpec, ip: string): Promise<Sandbox>;
  /** Kills whatever is left in the sandbox and removes it. */
  removeSandbox(sb: Sandbox): Promise<void>;
  startContainer(sb: Sandbox, spec: ContainerSpec): Promise<ContainerProcess>;
  /** Runs a command in a running container (its namespaces, root, working directory). */
  exec(sb: Sandbox, target: ContainerProcess, opts: ExecOptions): ExecProcess;
  /** What cannot work in this mode, for messages ('' when everything does). */
  readonly limitations: string;
}
