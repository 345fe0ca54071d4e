// The API server's side of logs and exec for Pods whose agent runs in another process: the request is
// forwarded to that agent's HTTPS endpoint (server.ts), found from the Node object
// (status.addresses InternalIP and status.daemonEndpoints.kubeletEndpoint.Port), as kube-apiserver
// proxies to the kubelet. Exec upgrades are piped byte for byte, so the WebSocket handshake and frames
// go end to end. `routePodIO` sends Pods of the local node to the in-process agent and others here.
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { KubeObject, Node, Pod } from '../api/types.ts';
import { StatusError, badRequest } from '../machinery/status.ts';
import { pickContainer, type PodIOHandlers } from './podio.ts';
import { takeOverSocket } from './websocket.ts';

export interface RemotePodIOOptions {
  /** Looks up a Node object by name (the API server's own registry). */
  getNode(name: string): Promise<Node>;
  /** The bearer token the agents accept. */
  token: string;
}

/** Where a Node's agent listens, from its status; undefined when it does not serve. Pure. */
export function nodeEndpoint(node: Node): { host: string; port: number } | undefined {
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0;
  const addrs = node.status?.addresses ?? [];
  const host = addrs.find((a) => a.type === 'InternalIP')?.address ?? addrs.find((a) => a.type === 'Hostname')?.address;
  if (port <= 0 || host === undefined) return undefined;
  return { host, port };
}

async function endpointFor(o: RemotePodIOOptions, pod: KubeObject): Promise<{ host: string; port: number }> {
  const nodeName = (pod as Pod).spec?.nodeName ?? '';
  const node = await o.getNode(nodeName);
  const ep = nodeEndpoint(node);
  if (ep === undefined) throw badRequest(`node ${nodeName} has no agent endpoint (status.daemonEndpoints.kubeletEndpoint.Port)`);
  return ep;
}

function agentPath(kind: 'containerLogs' | 'exec' | 'attach' | 'portForward', pod: KubeObject, container: string, q: URLSearchParams): string {
  const ns = encodeURIComponent(pod.metadata.namespace ?? 'default');
  const name = encodeURIComponent(pod.metadata.name ?? '');
  const rest = new URLSearchParams(q);
  rest.delete('container');
  const qs = rest.toString();
  return `/${kind}/${ns}/${name}/${encodeURIComponent(container)}${qs === '' ? '' : `?${qs}`}`;
}

/** Forwards an upgrade request and pipes both ways. */
function pipeUpgrade(ep: { host: string; port: number }, path: string, req: IncomingMessage, client: Duplex, head: Buffer | undefined, token: string): Promise<void> {
  return new Promise((resolve) => {
    const upstream = tlsConnect({ host: ep.host, port: ep.port, rejectUnauthorized: false, servername: ep.host.match(/^[\d.]+$/) !== null ? '' : ep.host });
    const hop = new Set(['host', 'authorization', 'connection', 'upgrade', 'content-length', 'transfer-encoding']);
    const lines = [`${req.method ?? 'GET'} ${path} HTTP/1.1`, `Host: ${ep.host}:${ep.port}`, 'Connection: Upgrade', `Upgrade: ${String(req.headers.upgrade ?? 'websocket')}`, `Authorization: Bearer ${token}`];
    for (const [k, v] of Object.entries(req.headers)) {
      if (hop.has(k) || v === undefined) continue;
      for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`);
    }
    upstream.once('secureConnect', () => {
      upstream.write(lines.join('\r\n') + '\r\n\r\n');
      if (head !== undefined && head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    const end = (): void => {
      upstream.destroy();
      client.destroy();
      resolve();
    };
    upstream.on('error', (err) => {
      if (client.writable) {
        const body = JSON.stringify(new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `error dialing backend: ${err.message}`, reason: 'InternalError', code: 500 }).status);
        client.end(`HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      }
      end();
    });
    upstream.on('close', end);
    client.on('close', end);
    client.on('error', end);
  });
}

/** PodIO that forwards to each Pod's node agent over HTTPS. */
export function remotePodIO(o: RemotePodIOOptions): PodIOHandlers {
  /** An upgrade (exec, attach, port-forward) piped to the agent's kubelet-style path. */
  const forward = async (subresource: string, pod: KubeObject, query: URLSearchParams, req: IncomingMessage, socket: Duplex, head?: Buffer): Promise<void> => {
    const kind = subresource === 'exec' ? 'exec' : subresource === 'attach' ? 'attach' : subresource === 'portforward' ? 'portForward' : undefined;
    if (kind === undefined) throw badRequest(`${subresource} is not supported`);
    const container = kind === 'portForward' ? '' : pickContainer(pod as Pod, query.get('container') ?? '');
    const ep = await endpointFor(o, pod);
    await pipeUpgrade(ep, agentPath(kind, pod, container, query), req, socket, head, o.token);
  };
  return {
    async logs(pod, query, req, res) {
      const container = pickContainer(pod as Pod, query.get('container') ?? '');
      const ep = await endpointFor(o, pod);
      await new Promise<void>((resolve, reject) => {
        const up = httpsRequest({
          host: ep.host, port: ep.port, method: 'GET', path: agentPath('containerLogs', pod, container, query),
          headers: { Authorization: `Bearer ${o.token}` }, rejectUnauthorized: false, agent: false,
        }, (r) => {
          const headers: Record<string, string> = { 'Content-Type': String(r.headers['content-type'] ?? 'text/plain') };
          res.writeHead(r.statusCode ?? 502, headers);
          r.pipe(res);
          r.on('end', resolve);
          r.on('error', resolve);
        });
        up.on('error', (err) => reject(new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `Get "https://${ep.host}:${ep.port}/containerLogs/...": ${err.message}`, reason: 'InternalError', code: 500 })));
        req.on('close', () => up.destroy());
        up.end();
      });
    },
    exec: (pod, query, req, _res) => forward('exec', pod, query, req, takeOverSocket(req)),
    portForward: (pod, query, req, _res) => forward('portforward', pod, query, req, takeOverSocket(req)),
    attach: (pod, query, req, _res) => forward('attach', pod, query, req, takeOverSocket(req)),
    upgrade: (pod, subresource, query, req, socket, head) => forward(subresource, pod, query, req, socket, head),
  };
}

/** Pods of `local.nodeName` go to the in-process agent, all others to `remote`. */
export function routePodIO(local: { nodeName: string; podIO: PodIOHandlers } | undefined, remote: PodIOHandlers): PodIOHandlers {
  const pick = (pod: KubeObject): PodIOHandlers => (local !== undefined && (pod as Pod).spec?.nodeName === local.nodeName ? local.podIO : remote);
  return {
    logs: (pod, q, req, res) => pick(pod).logs(pod, q, req, res),
    exec: (pod, q, req, res) => pick(pod).exec(pod, q, req, res),
    portForward: (pod, q, req, res) => pick(pod).portForward(pod, q, req, res),
    attach: (pod, q, req, res) => pick(pod).attach(pod, q, req, res),
    upgrade: (pod, sub, q, req, socket, head) => pick(pod).upgrade(pod, sub, q, req, socket, head),
  };
}
