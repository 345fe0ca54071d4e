// `kubectl exec` over the Kubernetes channel protocol on WebSocket (client-go tools/remotecommand
// websocket.go; KEP-4006): binary messages whose first byte is the stream — 0 stdin, 1 stdout,
// 2 stderr, 3 error (a metav1.Status with the exit code), 4 resize ({"Width","Height"}) — and, in
// v5.channel.k8s.io, 255 to close a stream (the client's stdin EOF).
import type { ExecProcess } from './runtime/types.ts';
import type { WebSocketConn } from './websocket.ts';

/** Subprotocols served, most preferred first. */
export const execProtocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

export const Channel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

/** The options of `GET pods/exec` (core/v1 PodExecOptions). */
export interface ExecQuery {
  command: string[];
  container: string;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export function parseExecQuery(q: URLSearchParams): ExecQuery {
  const bool = (k: string) => q.get(k) === 'true' || q.get(k) === '1';
  return {
    command: q.getAll('command'),
    container: q.get('container') ?? '',
    stdin: bool('stdin'),
    stdout: bool('stdout'),
    stderr: bool('stderr'),
    tty: bool('tty'),
  };
}

/** The metav1.Status sent on the error channel when the command has ended. Pure. */
export function exitStatus(command: readonly string[], exitCode: number): Record<string, unknown> {
  if (exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

/** A Status for an exec that could not run at all. */
export function errorStatus(message: string): Record<string, unknown> {
  return { metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 };
}

function frame(channel: number, data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([Buffer.from([channel]), body]);
}

/**
 * Connects a WebSocket to an exec'd process until it ends, then sends its exit status and closes.
 * Resolves with the exit code.
 */
export async function serveExec(ws: WebSocketConn, proc: ExecProcess, q: ExecQuery): Promise<number> {
  const v5 = ws.protocol === 'v5.channel.k8s.io';
  ws.on('message', (data: Buffer) => {
    if (data.length === 0) return;
    const ch = data[0];
    const body = data.subarray(1);
    if (ch === Channel.stdin) {
      if (proc.stdin !== null && !proc.stdin.destroyed && body.length > 0) proc.stdin.write(body);
    } else if (ch === Channel.resize) {
      try {
        const size = JSON.parse(body.toString()) as { Width?: number; Height?: number };
        if ((size.Width ?? 0) > 0 && (size.Height ?? 0) > 0) proc.resize(size.Width ?? 80, size.Height ?? 24);
      } catch { /* ignore a bad resize */ }
    } else if (ch === Channel.close && v5 && body[0] === Channel.stdin) {
      proc.stdin?.end();
    }
  });
  ws.on('close', () => {
    // The client went away: the command goes too, as with the kubelet.
    proc.stdin?.end();
    proc.kill('SIGHUP');
    setTimeout(() => proc.kill('SIGKILL'), 2000).unref();
  });
  if (!q.stdin) proc.stdin?.end();
  const pump = (stream: NodeJS.ReadableStream | null, ch: number, wanted: boolean) => new Promise<void>((resolve) => {
    if (stream === null) return resolve();
    stream.on('data', (d: Buffer) => { if (wanted) ws.sendBinary(frame(ch, d)); });
    stream.on('end', () => resolve());
    stream.on('close', () => resolve());
    stream.on('error', () => resolve());
  });
  const outputs = Promise.all([
    pump(proc.stdout, Channel.stdout, q.stdout || q.tty),
    pump(proc.stderr, q.tty ? Channel.stdout : Channel.stderr, q.stderr || q.tty),
  ]);
  const { exitCode } = await proc.exited;
  await Promise.race([outputs, new Promise((r) => setTimeout(r, 1000))]);
  if (!ws.isClosed) {
    ws.sendBinary(frame(Channel.error, JSON.stringify(exitStatus(q.command, exitCode))));
    ws.close(1000);
  }
  return exitCode;
}
