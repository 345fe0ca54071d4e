// `kubectl logs` and `kubectl exec` for the Pods of this node, in the shape of the API server's PodIO
// hook (src/apiserver/server.ts): the API server looks the Pod up and hands over the request. Errors
// before any byte is written are StatusErrors worded as the kubelet words them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { KubeObject, Pod } from '../api/types.ts';
import { StatusError, badRequest, notFound } from '../machinery/status.ts';
import { formatLine, formatLines, parseLogQuery, readLogFile, type LogLine, type LogOptions, type LogWriter } from './logs.ts';
import { execProtocols, parseExecQuery, serveExec } from './exec.ts';
import { acceptWebSocket, isWebSocketRequest, offeredProtocols, takeOverSocket } from './websocket.ts';
import type { ContainerSlot, PodWorker } from './pod-worker.ts';
import { servePortForward } from './portforward.ts';
import { PassThrough, Writable } from 'node:stream';
import type { ContainerProcess, ExecProcess } from './runtime/types.ts';

/** The Pod worker lookup the handlers need (the agent). */
export interface WorkerLookup {
  readonly nodeName: string;
  worker(namespace: string, name: string): PodWorker | undefined;
}

/** The API server's hook (structurally the same as ApiServerOptions.podIO), plus an upgrade entry. */
export interface PodIOHandlers {
  logs(pod: KubeObject, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void>;
  exec(pod: KubeObject, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void>;
  portForward(pod: KubeObject, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void>;
  attach(pod: KubeObject, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** For a server with an 'upgrade' listener: the socket and head of the upgrade event. */
  upgrade(pod: KubeObject, subresource: string, query: URLSearchParams, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void>;
}

function podRef(pod: KubeObject): { namespace: string; name: string; uid: string } {
  return { namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' };
}

function containerNames(pod: Pod): { containers: string[]; init: string[] } {
  return {
    containers: (pod.spec?.containers ?? []).map((c) => c.name),
    init: (pod.spec?.initContainers ?? []).map((c) => c.name),
  };
}

/** The container a request means: the named one, or the only one (the API server's validation message otherwise). */
export function pickContainer(pod: Pod, name: string): string {
  const { containers, init } = containerNames(pod);
  const podName = pod.metadata.name ?? '';
  if (name !== '') {
    if (containers.includes(name) || init.includes(name)) return name;
    throw badRequest(`container ${name} is not valid for pod ${podName}`);
  }
  if (containers.length === 1 && containers[0] !== undefined) return containers[0];
  const msg = `a container name must be specified for pod ${podName}, choose one of: [${containers.join(' ')}]`;
  throw badRequest(init.length > 0 ? `${msg} or one of the init containers: [${init.join(' ')}]` : msg);
}

function waitingMessage(pod: Pod, container: string, slot: ContainerSlot | undefined): StatusError {
  const reason = slot?.view.state.waiting?.reason ?? 'ContainerCreating';
  return badRequest(`container "${container}" in pod "${pod.metadata.name ?? ''}" is waiting to start: ${reason}`);
}

function lookup(agent: WorkerLookup, pod: KubeObject): PodWorker {
  const ref = podRef(pod);
  const w = agent.worker(ref.namespace, ref.name);
  if (w === undefined || (ref.uid !== '' && w.uid !== ref.uid)) {
    throw badRequest(`pod ${ref.namespace}/${ref.name} is not running on node ${agent.nodeName}`);
  }
  return w;
}

/** Serves one log request (GET pods/log). */
export async function serveLogs(agent: WorkerLookup, pod: KubeObject, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let o: LogOptions;
  try {
    o = parseLogQuery(query);
  } catch (err) {
    throw badRequest(err instanceof Error ? err.message : String(err));
  }
  const p = pod as Pod;
  const name = pickContainer(p, o.container ?? '');
  const w = lookup(agent, pod);
  const slot = w.slot(name);
  const files = slot?.logFiles ?? [];
  if (o.previous) {
    // As the kubelet: the last terminated run (while one runs, the run before it).
    const prev = files[slot?.proc !== undefined ? files.length - 2 : files.length - 1];
    if (prev === undefined) throw badRequest(`previous terminated container "${name}" in pod "${p.metadata.name ?? ''}" not found`);
    return writeLog(res, readLogFile(prev), o, undefined, req);
  }
  const current = files[files.length - 1];
  if (current === undefined) throw waitingMessage(p, name, slot);
  const live = slot?.log !== undefined && slot.log.path === current ? slot.log : undefined;
  return writeLog(res, readLogFile(current), o, o.follow ? live : undefined, req);
}

async function writeLog(res: ServerResponse, lines: LogLine[], o: LogOptions, follow: LogWriter | undefined, req: IncomingMessage): Promise<void> {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private', ...(follow !== undefined ? { 'Transfer-Encoding': 'chunked' } : {}) });
  let budget = o.limitBytes ?? Infinity;
  const send = (s: string): boolean => {
    if (budget <= 0) return false;
    const b = Buffer.from(s);
    const part = b.length > budget ? b.subarray(0, budget) : b;
    budget -= part.length;
    res.write(part);
    return budget > 0;
  };
  if (follow === undefined) {
    send(formatLines(lines, o, Date.now()));
    res.end();
    return;
  }
  // Lines that arrive while the file is read are queued and sent after it, without repeats.
  const lastTime = lines[lines.length - 1]?.time ?? '';
  const queued: LogLine[] = [];
  let live = false;
  const onLine = (l: LogLine, tag: string): void => {
    if (tag === 'P') return;
    if (!live) {
      queued.push(l);
      return;
    }
    if (!send(formatLine(l, o))) done();
  };
  let finished = false;
  let resolveDone: () => void = () => {};
  const doneP = new Promise<void>((r) => { resolveDone = r; });
  const done = (): void => {
    if (finished) return;
    finished = true;
    follow.off('line', onLine);
    follow.off('close', done);
    res.end();
    resolveDone();
  };
  follow.on('line', onLine);
  follow.on('close', done);
  req.on('close', done);
  res.on('close', done);
  send(formatLines(lines, o, Date.now()));
  for (const l of queued) if (l.time > lastTime) send(formatLine(l, o));
  live = true;
  if (follow.closed) done();
  return doneP;
}

/**
 * What exec and attach share: the parsed query, the running container's slot (a container between two
 * runs, a restart, comes back in a moment: waited for briefly) and the channel protocol to speak.
 */
async function channelSession(verb: 'exec' | 'attach', agent: WorkerLookup, pod: KubeObject, query: URLSearchParams, req: IncomingMessage) {
  const q = parseExecQuery(query);
  if (verb === 'exec' && q.command.length === 0) throw badRequest('you must specify at least one command for the container');
  if (!q.stdout && !q.stderr && !q.stdin) throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
  const p = pod as Pod;
  const name = pickContainer(p, q.container);
  q.container = name;
  const w = lookup(agent, pod);
  let slot = w.slot(name);
  for (let i = 0; i < 30 && (slot === undefined || slot.proc === undefined); i++) {
    await new Promise((r) => setTimeout(r, 100));
    slot = w.slot(name);
  }
  if (slot === undefined || slot.proc === undefined) throw verb === 'exec' ? badRequest(`container not found ("${name}")`) : waitingMessage(p, name, slot);
  if (!isWebSocketRequest(req)) {
    throw badRequest(`Switchboard serves ${verb} over WebSocket (v5.channel.k8s.io) only; kubectl 1.30+ uses it unless KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false`);
  }
  const offered = offeredProtocols(req);
  const protocol = execProtocols.find((x) => offered.includes(x));
  if (protocol === undefined) throw badRequest(`unable to upgrade: none of the offered subprotocols [${offered.join(' ')}] is supported (${execProtocols.join(', ')})`);
  return { q, p, name, w, slot, proc: slot.proc, protocol };
}

/** Serves one exec request; `socket` is the upgraded connection. */
export async function serveExecRequest(agent: WorkerLookup, pod: KubeObject, query: URLSearchParams, req: IncomingMessage, socket: () => Duplex, head?: Buffer): Promise<void> {
  const { q, name, w, slot, protocol } = await channelSession('exec', agent, pod, query, req);
  const proc = w.exec(slot, { argv: q.command, env: [], tty: q.tty, stdin: q.stdin });
  if (proc === undefined) throw badRequest(`container not found ("${name}")`);
  const ws = acceptWebSocket(req, socket(), protocol, head);
  await serveExec(ws, proc, q);
}

/**
 * The container's own streams as kubectl attach sees them: output from now on (history is what
 * `kubectl logs` is for), stdin when the container has one (ended for the container only with
 * `stdinOnce`), terminal resizes. Detaching (the client going away) leaves the container running.
 */
export function attachView(proc: ContainerProcess, stdinOnce: boolean): ExecProcess {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const onOut = (d: Buffer): void => { stdout.write(d); };
  const onErr = (d: Buffer): void => { stderr.write(d); };
  proc.stdout.on('data', onOut);
  proc.stderr.on('data', onErr);
  let detached = false;
  let resolveExit: (v: { exitCode: number }) => void = () => {};
  const exited = new Promise<{ exitCode: number }>((r) => { resolveExit = r; });
  const detach = (): void => {
    if (detached) return;
    detached = true;
    proc.stdout.off('data', onOut);
    proc.stderr.off('data', onErr);
    stdout.end();
    stderr.end();
    resolveExit({ exitCode: 0 });
  };
  void proc.exited.then(detach);
  const target = proc.stdin;
  const stdin = target === null ? null : new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (target.destroyed || target.writableEnded) cb();
      else target.write(chunk, () => cb());
    },
    final(cb) {
      if (stdinOnce && !target.writableEnded) target.end();
      cb();
    },
  });
  stdin?.on('error', () => {});
  return {
    stdin, stdout, stderr, exited,
    kill: () => detach(),
    resize: (cols, rows) => proc.resize(cols, rows),
  };
}

/** Serves one attach request; `socket` is the upgraded connection. */
export async function serveAttachRequest(agent: WorkerLookup, pod: KubeObject, query: URLSearchParams, req: IncomingMessage, socket: () => Duplex, head?: Buffer): Promise<void> {
  const { q, p, name, proc, protocol } = await channelSession('attach', agent, pod, query, req);
  const spec = (p.spec?.containers ?? []).find((c) => c.name === name);
  const ws = acceptWebSocket(req, socket(), protocol, head);
  await serveExec(ws, attachView(proc, spec?.stdinOnce === true), { ...q, command: [], tty: q.tty && spec?.tty === true });
}

/** Serves one port-forward request; `socket` is the upgraded connection. */
export async function servePortForwardRequest(agent: WorkerLookup, pod: KubeObject, req: IncomingMessage, socket: () => Duplex, head?: Buffer): Promise<void> {
  const w = lookup(agent, pod);
  await servePortForward(req, socket(), head, w.pod, w.sandbox);
}

/** The PodIO handlers for an agent in this process. */
export function localPodIO(agent: WorkerLookup): PodIOHandlers {
  return {
    logs: (pod, query, req, res) => serveLogs(agent, pod, query, req, res),
    exec: (pod, query, req, _res) => serveExecRequest(agent, pod, query, req, () => takeOverSocket(req)),
    portForward: (pod, _query, req, _res) => servePortForwardRequest(agent, pod, req, () => takeOverSocket(req)),
    attach: (pod, query, req, _res) => serveAttachRequest(agent, pod, query, req, () => takeOverSocket(req)),
    async upgrade(pod, subresource, query, req, socket, head) {
      if (subresource === 'attach') return serveAttachRequest(agent, pod, query, req, () => socket, head);
      if (subresource === 'portforward') return servePortForwardRequest(agent, pod, req, () => socket, head);
      if (subresource !== 'exec') throw notFound({ group: '', resource: 'pods' }, `${pod.metadata.name ?? ''}/${subresource}`);
      await serveExecRequest(agent, pod, query, req, () => socket, head);
    },
  };
}
