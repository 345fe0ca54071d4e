// Built-in stand-ins for registry.k8s.io/e2e-test-images/agnhost subcommands that Kubernetes' own
// network tests and docs use: netexec, serve-hostname, liveness and pause. Runs as its own process in
// the container (`node main.ts netexec --http-port=8080`). Listens on $POD_IP when set (host mode),
// else on every address of the Pod's network namespace.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { hostname } from 'node:os';
import { execFile } from 'node:child_process';

function flags(args: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (!a.startsWith('-')) continue;
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    if (eq >= 0) m.set(body.slice(0, eq), body.slice(eq + 1));
    else if (i + 1 < args.length && !(args[i + 1] ?? '').startsWith('-')) m.set(body, args[++i] ?? '');
    else m.set(body, 'true');
  }
  return m;
}

const bindHost = process.env['POD_IP'] !== undefined && process.env['POD_IP'] !== '' ? process.env['POD_IP'] : '0.0.0.0';
// In host mode the machine's hostname is shared; the Pod's name is in $HOSTNAME (set by the agent).
const host = (): string => (bindHost !== '0.0.0.0' ? process.env['HOSTNAME'] ?? hostname() : hostname());

function log(msg: string): void {
  process.stdout.write(`I${new Date().toISOString()} ${msg}\n`);
}

function clientAddr(req: IncomingMessage): string {
  const a = req.socket.remoteAddress ?? '';
  return `${a.replace(/^::ffff:/, '')}:${req.socket.remotePort ?? 0}`;
}

function text(res: ServerResponse, code: number, body: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function netexec(args: readonly string[]): void {
  const f = flags(args);
  const httpPort = Number(f.get('http-port') ?? '8080');
  const udpPort = Number(f.get('udp-port') ?? '8081');
  const started = Date.now();
  const delayShutdown = Number(f.get('delay-shutdown') ?? '0');
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    log(`GET ${url.pathname}${url.search}`);
    switch (url.pathname) {
      case '/': return text(res, 200, `NOW: ${new Date().toISOString()}`);
      case '/hostname':
      case '/hostName': return text(res, 200, host());
      case '/clientip': return text(res, 200, clientAddr(req));
      case '/echo': return text(res, 200, url.searchParams.get('msg') ?? '');
      case '/healthz': return text(res, 200, 'ok');
      case '/readyz': return text(res, 200, 'ok');
      case '/header': return text(res, 200, String(req.headers[(url.searchParams.get('key') ?? '').toLowerCase()] ?? ''));
      case '/exit': {
        const code = Number(url.searchParams.get('code') ?? '0');
        text(res, 200, '');
        setTimeout(() => process.exit(code), 50);
        return;
      }
      case '/shell': {
        const cmd = url.searchParams.get('shellCommand') ?? url.searchParams.get('cmd') ?? '';
        execFile('/bin/sh', ['-c', cmd], { timeout: 30_000 }, (err, stdout, stderr) => {
          const out: Record<string, string> = { output: stdout + stderr };
          if (err !== null) out['error'] = err.message;
          const body = JSON.stringify(out);
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(body);
        });
        return;
      }
      default: return text(res, 404, `404 page not found\n`);
    }
  });
  server.listen(httpPort, bindHost, () => log(`Started HTTP server on port ${httpPort}`));
  if (udpPort > 0) {
    const udp = createSocket('udp4');
    udp.on('message', (msg, rinfo) => {
      const cmd = msg.toString().trim();
      let reply = '';
      if (cmd === 'hostname' || cmd === 'hostName') reply = host();
      else if (cmd === 'clientip') reply = `${rinfo.address}:${rinfo.port}`;
      else if (cmd.startsWith('echo ')) reply = cmd.slice(5);
      udp.send(reply, rinfo.port, rinfo.address);
    });
    udp.bind(udpPort, bindHost, () => log(`Started UDP server on port ${udpPort}`));
  }
  process.on('SIGTERM', () => {
    log('Received SIGTERM');
    setTimeout(() => process.exit(0), delayShutdown * 1000);
  });
  void started;
}

function serveHostname(args: readonly string[]): void {
  const f = flags(args);
  const port = Number(f.get('port') ?? '9376');
  const tcp = f.get('tcp') === 'true';
  const udp = f.get('udp') === 'true';
  const http = f.get('http') !== 'false';
  if (http) {
    createServer((req, res) => {
      log(`${req.method ?? 'GET'} ${req.url ?? '/'} from ${clientAddr(req)}`);
      text(res, 200, host());
    }).listen(port, bindHost, () => log(`Serving on port ${port}.`));
  } else if (tcp) {
    createTcpServer((s) => s.end(host())).listen(port, bindHost, () => log(`Serving on port ${port}.`));
  }
  if (udp) {
    const u = createSocket('udp4');
    u.on('message', (_m, r) => u.send(host(), r.port, r.address));
    u.bind(port, bindHost);
  }
  process.on('SIGTERM', () => process.exit(0));
}

/** /healthz answers 200 for the first 10 seconds, then 500 (the docs' liveness example). */
function liveness(): void {
  const started = Date.now();
  createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/healthz') return text(res, 404, '');
    const s = (Date.now() - started) / 1000;
    if (s > 10) return text(res, 500, `error: ${s.toFixed(3)}`);
    return text(res, 200, 'ok');
  }).listen(8080, bindHost, () => log('Started liveness server on port 8080'));
  process.on('SIGTERM', () => process.exit(0));
}

function pause(): void {
  setInterval(() => {}, 1 << 30);
  const stop = () => process.exit(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

const usage = 'agnhost (Switchboard built-in): subcommands netexec, serve-hostname, liveness, pause';

const [sub, ...rest] = process.argv.slice(2);
switch (sub) {
  case 'netexec': netexec(rest); break;
  case 'serve-hostname': serveHostname(rest); break;
  case 'liveness': liveness(); break;
  case 'pause': pause(); break;
  case undefined:
  case 'help':
  case '--help':
    process.stdout.write(`${usage}\n`);
    break;
  default:
    process.stderr.write(`Error: unknown command "${sub}" for "agnhost"\n${usage}\n`);
    process.exit(1);
}
