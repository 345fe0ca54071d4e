// Running the machine's tools (ip, nft, nsenter, stty): one helper that collects output and turns a
// non-zero exit into an error with a stable code and the tool's own message.
import { spawn } from 'node:child_process';

/** A tool that failed; `stderr` holds its message. */
export class CommandError extends Error {
  readonly code = 'ERR_COMMAND';
  readonly exitCode: number;
  readonly stderr: string;
  constructor(argv: readonly string[], exitCode: number, stderr: string) {
    super(`${argv.join(' ')}: exit ${exitCode}: ${stderr.trim()}`);
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command; resolves with its output whatever the exit code. */
export function runCommand(argv: readonly string[], opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = argv;
    if (cmd === undefined) {
      reject(new Error('empty command'));
      return;
    }
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(opts.env !== undefined ? { env: opts.env } : {}) });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    p.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs);
    p.on('error', (err) => {
      if (timer !== undefined) clearTimeout(timer);
      reject(err);
    });
    p.on('close', (code, signal) => {
      if (timer !== undefined) clearTimeout(timer);
      resolve({ code: code ?? (signal !== null ? 128 : -1), stdout, stderr });
    });
    p.stdin.on('error', () => {});
    p.stdin.end(opts.input ?? '');
  });
}

/** Runs a command and throws CommandError when it fails. */
export async function mustRun(argv: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await runCommand(argv, opts);
  if (r.code !== 0) throw new CommandError(argv, r.code, r.stderr);
  return r.stdout;
}

/** Quotes a word for /bin/sh. */
export function shQuote(s: string): string {
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** True when `name` is found on the PATH. */
export async function haveTool(name: string): Promise<boolean> {
  try {
    const r = await runCommand(['sh', '-c', `command -v ${shQuote(name)}`]);
    return r.code === 0;
  } catch {
    return false;
  }
}
