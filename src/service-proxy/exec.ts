// Running the kernel tools (iptables-restore, nft, conntrack, ip): the one place the proxy spawns
// processes. An Executor can be pinned to a network namespace (`ip netns exec NAME ...`), which is
// how the kernel tests program a namespace they made instead of the host.
import { spawn } from 'node:child_process';

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command with optional stdin and returns its exit code and output (never throws on exit codes). */
export interface Executor {
  run(cmd: string, args: readonly string[], stdin?: string): Promise<ExecResult>;
}

/** A failed kernel-tool call, with a stable code. */
export class ExecError extends Error {
  readonly code = 'ERR_PROXY_EXEC';
  readonly result: ExecResult;
  constructor(what: string, result: ExecResult) {
    super(`${what} failed (exit ${result.code}): ${result.stderr.trim().split('\n').slice(0, 5).join(' | ')}`);
    this.name = 'ExecError';
    this.result = result;
  }
}

/** Runs commands on this machine, or inside network namespace `netns` when given. */
export function hostExecutor(netns?: string): Executor {
  return {
    run(cmd, args, stdin) {
      const [file, argv] = netns === undefined ? [cmd, [...args]] : ['ip', ['netns', 'exec', netns, cmd, ...args]];
      return new Promise((resolve) => {
        const child = spawn(file, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on('data', (d: Buffer) => out.push(d));
        child.stderr.on('data', (d: Buffer) => err.push(d));
        child.on('error', (e) => resolve({ code: 127, stdout: '', stderr: e.message }));
        child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
        child.stdin.on('error', () => undefined);
        child.stdin.end(stdin ?? '');
      });
    },
  };
}

/** Runs and throws ExecError on a non-zero exit. */
export async function mustRun(ex: Executor, cmd: string, args: readonly string[], stdin?: string): Promise<string> {
  const r = await ex.run(cmd, args, stdin);
  if (r.code !== 0) throw new ExecError(`${cmd} ${args.slice(0, 4).join(' ')}`, r);
  return r.stdout;
}

/** True when `cmd` can be run (exit code other than 127). */
export async function haveTool(ex: Executor, cmd: string, args: readonly string[] = ['--version']): Promise<boolean> {
  const r = await ex.run(cmd, args);
  return r.code !== 127;
}
