// Starting container processes and exec'd commands: each container is a process group of its own (so
// a stop reaches its children), its pid and start time are recorded under the state directory (so a
// restarted agent can kill what a crashed one left), and a tty is a pseudo-terminal made by util-linux
// `script`, resized with `stty`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Socket } from 'node:net';
import { closeSync, constants as fsConstants, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand, shQuote } from './command.ts';
import type { ContainerProcess, ExecProcess, ExitInfo } from './types.ts';
import { constants } from 'node:os';

const signalNumbers = constants.signals as Readonly<Record<string, number>>;

/** The start time of a process (field 22 of /proc/PID/stat), or undefined when it is gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19];
  } catch {
    return undefined;
  }
}

/** Records and finds the process groups this agent started. */
export class PidRegistry {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  add(pid: number): void {
    const st = processStartTime(pid);
    if (st !== undefined) writeFileSync(join(this.dir, String(pid)), st);
  }

  remove(pid: number): void {
    rmSync(join(this.dir, String(pid)), { force: true });
  }

  /** SIGKILLs every recorded process group that is still the same process; returns how many. */
  killLeftovers(): number {
    let n = 0;
    let names: string[] = [];
    try {
      names = readdirSync(this.dir);
    } catch {
      return 0;
    }
    for (const name of names) {
      const pid = Number(name);
      let want = '';
      try {
        want = readFileSync(join(this.dir, name), 'utf8').trim();
      } catch { /* raced */ }
      if (Number.isInteger(pid) && pid > 1 && processStartTime(pid) === want) {
        try {
          process.kill(-pid, 'SIGKILL');
          n++;
        } catch {
          try { process.kill(pid, 'SIGKILL'); n++; } catch { /* gone */ }
        }
      }
      rmSync(join(this.dir, name), { force: true });
    }
    return n;
  }
}

/** Signals a process group, falling back to the process itself. Never throws. */
export function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    try { process.kill(pid, sig); } catch { /* gone */ }
  }
}

/**
 * A FIFO for a container's stdout or stderr. Node's own stdio pipes are socketpairs, and opening
 * /dev/stdout on a socket fails (ENXIO), which breaks nginx's `access_log /dev/stdout` and shell
 * `echo >/dev/stderr`; container runtimes hand out FIFOs, so do we. Returns the read side as a stream
 * and the write side's fd for the child (closed here once the child has it).
 */
function fifo(path: string): { reader: Socket; writeFd: number } {
  const readFd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  const writeFd = openSync(path, fsConstants.O_WRONLY);
  const reader = new Socket({ fd: readFd, readable: true, writable: false });
  return { reader, writeFd };
}

/**
 * Spawns a container's main process in a new session. `argv` is the full command (wrappers such as
 * nsenter included); stdout and stderr are FIFOs under `dir`; fd 3 carries start errors from the
 * setup script (`error: ...`). `exited` resolves once the process is gone and its output drained.
 */
export async function spawnContainer(argv: readonly string[], env: ReadonlyArray<[string, string]>, cwd: string, pids: PidRegistry, dir: string, io: { stdin?: boolean; tty?: boolean } = {}): Promise<ContainerProcess> {
  // A tty container runs under `script`, which gives it a pseudo-terminal (as the container runtime's
  // console) and copies the terminal's output to our stdout FIFO; fd 3 passes through to the setup.
  const full = io.tty === true ? ['script', '-qfec', argv.map(shQuote).join(' '), '/dev/null'] : [...argv];
  const [cmd, ...args] = full;
  if (cmd === undefined) throw new Error('empty argv');
  mkdirSync(dir, { recursive: true });
  const outPath = join(dir, 'stdout.fifo');
  const errPath = join(dir, 'stderr.fifo');
  rmSync(outPath, { force: true });
  rmSync(errPath, { force: true });
  // Not spawnSync: waiting for a child blocks every other Pod's work on this thread.
  const mk = await runCommand(['mkfifo', '-m', '0600', outPath, errPath]);
  if (mk.code !== 0) throw new Error(`mkfifo: ${mk.stderr || 'failed'}`);
  const out = fifo(outPath);
  const err = fifo(errPath);
  let child: ChildProcess;
  try {
    const envObj: NodeJS.ProcessEnv = Object.fromEntries(env);
    if (io.tty === true) envObj['TERM'] ??= 'xterm';
    child = spawn(cmd, args, { cwd, env: envObj, detached: true, stdio: [io.stdin === true || io.tty === true ? 'pipe' : 'ignore', out.writeFd, err.writeFd, 'pipe'] });
  } finally {
    closeSync(out.writeFd);
    closeSync(err.writeFd);
  }
  const startedAt = Date.now();
  const pid = child.pid ?? -1;
  if (pid > 0) pids.add(pid);
  let startError = '';
  const fd3 = child.stdio[3] as NodeJS.ReadableStream | null | undefined;
  fd3?.setEncoding('utf8');
  fd3?.on('data', (d: string) => { startError += d; });
  fd3?.on('error', () => {});
  const ended = (s: Socket) => new Promise<void>((r) => {
    s.once('end', r);
    s.once('close', r);
    s.once('error', () => r());
  });
  const drained = Promise.all([ended(out.reader), ended(err.reader)]);
  const exited = new Promise<ExitInfo>((resolve) => {
    let spawnErr: Error | undefined;
    child.on('error', (e) => { spawnErr = e; });
    child.on('close', (code, signal) => {
      if (pid > 0) {
        // The main process is gone: whatever it left in its group goes too (a PID namespace would do this).
        signalGroup(pid, 'SIGKILL');
        pids.remove(pid);
      }
      const info: ExitInfo = { exitCode: code ?? 0, finishedAt: Date.now() };
      if (signal !== null) {
        info.signal = signalNumbers[signal] ?? 9;
        info.exitCode = 128 + info.signal;
      }
      const m = /^error: (.*)$/m.exec(startError);
      if (spawnErr !== undefined) info.startError = spawnErr.message;
      else if (m !== null) info.startError = m[1] ?? 'start failed';
      // Output still in the FIFOs is read before the exit is reported (at most a second).
      const t = setTimeout(() => { out.reader.destroy(); err.reader.destroy(); }, 1000);
      void drained.then(() => {
        clearTimeout(t);
        rmSync(outPath, { force: true });
        rmSync(errPath, { force: true });
        resolve(info);
      });
    });
  });
  child.stdin?.on('error', () => {});
  let pty: string | undefined;
  return {
    pid,
    startedAt,
    stdout: out.reader,
    stderr: err.reader,
    stdin: io.stdin === true || io.tty === true ? child.stdin : null,
    exited,
    signal(sig) {
      if (pid <= 0 || child.exitCode !== null || child.signalCode !== null) return;
      // Under `script` the container is in a session of its own: signal it as well.
      if (io.tty === true) for (const k of childrenOf(pid)) signalGroup(k, sig);
      signalGroup(pid, sig);
    },
    resize(cols, rows) {
      if (io.tty !== true || pid <= 0) return;
      pty ??= ptyOf(pid);
      if (pty !== undefined) void runCommand(['stty', '-F', pty, 'cols', String(cols), 'rows', String(rows)]).catch(() => {});
    },
  };
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter((x) => x !== '').map(Number);
  } catch {
    return [];
  }
}

/** The pseudo-terminal of a `script` process's child, once it exists. */
function ptyOf(scriptPid: number): string | undefined {
  try {
    const kids = readFileSync(`/proc/${scriptPid}/task/${scriptPid}/children`, 'utf8').trim().split(/\s+/).filter((x) => x !== '');
    for (const k of kids) {
      const link = readlinkSync(`/proc/${k}/fd/0`);
      if (link.startsWith('/dev/pts/')) return link;
    }
  } catch { /* not yet */ }
  return undefined;
}

/**
 * Spawns an exec'd command; with `tty`, under `script` so it gets a pseudo-terminal (stdout and
 * stderr are then one stream, as with a real tty).
 */
export function spawnExec(argv: readonly string[], env: ReadonlyArray<[string, string]>, cwd: string, tty: boolean): ExecProcess {
  let child: ChildProcess;
  const envObj: NodeJS.ProcessEnv = Object.fromEntries(env);
  if (tty) {
    envObj['TERM'] ??= 'xterm';
    child = spawn('script', ['-qfec', argv.map(shQuote).join(' '), '/dev/null'], { cwd, env: envObj, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  } else {
    const [cmd, ...args] = argv;
    child = spawn(cmd ?? 'false', args, { cwd, env: envObj, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  }
  const pid = child.pid ?? -1;
  let pending: { cols: number; rows: number } | undefined;
  let pty: string | undefined;
  let tries = 0;
  const applyResize = (): void => {
    if (pending === undefined || pid <= 0) return;
    pty ??= ptyOf(pid);
    if (pty === undefined) {
      if (tries++ < 50) setTimeout(applyResize, 20).unref();
      return;
    }
    const { cols, rows } = pending;
    pending = undefined;
    void runCommand(['stty', '-F', pty, 'cols', String(cols), 'rows', String(rows)]).catch(() => {});
  };
  child.stdin?.on('error', () => {});
  const exited = new Promise<{ exitCode: number; signal?: number }>((resolve) => {
    child.on('error', () => resolve({ exitCode: 126 }));
    child.on('close', (code, signal) => {
      if (signal !== null) {
        const n = signalNumbers[signal] ?? 9;
        resolve({ exitCode: 128 + n, signal: n });
      } else resolve({ exitCode: code ?? 0 });
    });
  });
  return {
    stdin: child.stdin,
    stdout: child.stdout,
    stderr: child.stderr,
    exited,
    kill(sig) {
      if (pid > 0) signalGroup(pid, sig);
    },
    resize(cols, rows) {
      if (!tty) return;
      pending = { cols, rows };
      tries = 0;
      applyResize();
    },
  };
}
