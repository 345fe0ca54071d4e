// Run by the agent inside a Pod's network namespace (nsenter --net) for `kubectl port-forward` to a
// server that listens on localhost only: connects to 127.0.0.1:PORT (then [::1]:PORT), says
// `connected` or why not on stderr, and joins the connection to stdin/stdout with half-close.
import { connect, type Socket } from 'node:net';

const port = Number(process.argv[2] ?? '');

function attempt(host: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Go's wording of a dial error, as the kubelet's message carries it. */
function why(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'connect: connection refused';
  if (code === 'EADDRNOTAVAIL') return 'connect: cannot assign requested address';
  if (code === 'ENETUNREACH') return 'connect: network is unreachable';
  return (e as Error).message;
}

async function main(): Promise<void> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    process.stderr.write(`invalid port ${process.argv[2] ?? ''}\n`);
    process.exit(2);
  }
  let sock: Socket;
  try {
    sock = await attempt('127.0.0.1');
  } catch (e4) {
    try {
      sock = await attempt('::1');
    } catch (e6) {
      process.stderr.write(`failed to connect to localhost:${port} inside the pod's network namespace, IPv4: dial tcp4 127.0.0.1:${port}: ${why(e4)} IPv6: dial tcp6 [::1]:${port}: ${why(e6)}\n`);
      process.exit(1);
    }
  }
  sock.setNoDelay(true);
  process.stderr.write('connected\n');
  process.stdin.pipe(sock);
  sock.pipe(process.stdout);
  sock.on('error', () => process.exit(0));
  sock.on('close', () => process.exit(0));
}

void main();
