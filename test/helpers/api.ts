// Minimal HTTPS calls to a running Switchboard API server for tests (the product client lives in
// src/client; tests of the server itself use this to see raw status codes and bodies).
import { request, Agent } from 'node:https';

export interface ApiTarget {
  api: string;
  token: string;
  ca: string;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = unknown>(): T;
}

/** One request; resolves with status and body whatever the status. */
export function apiCall(t: ApiTarget, method: string, path: string, body?: unknown, headers: Record<string, string> = {}, agent?: Agent): Promise<ApiResponse> {
  const url = new URL(path, t.api);
  const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method, ca: t.ca, ...(agent !== undefined ? { agent } : {}),
      headers: {
        Authorization: `Bearer ${t.token}`, Accept: 'application/json',
        ...(data !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {}),
        ...headers,
      },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({
        status: res.statusCode ?? 0, headers: res.headers, body: text,
        json<T>() { return JSON.parse(text) as T; },
      }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

export interface WatchStream {
  events: Array<{ type: string; object: { metadata?: { name?: string; resourceVersion?: string }; [k: string]: unknown } }>;
  close(): void;
  ended: Promise<void>;
}

/** Opens a watch and collects its events as they arrive. */
export function apiWatch(t: ApiTarget, path: string): Promise<WatchStream> {
  const url = new URL(path, t.api);
  return new Promise((resolve, reject) => {
    const events: WatchStream['events'] = [];
    let endResolve: () => void = () => {};
    const ended = new Promise<void>((r) => { endResolve = r; });
    const req = request(url, { method: 'GET', ca: t.ca, headers: { Authorization: `Bearer ${t.token}`, Accept: 'application/json' } }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line.trim() !== '') events.push(JSON.parse(line) as WatchStream['events'][number]);
        }
      });
      res.on('end', () => endResolve());
      res.on('close', () => endResolve());
      resolve({ events, close: () => req.destroy(), ended });
    });
    req.on('error', (err) => { endResolve(); reject(err); });
    req.end();
  });
}
