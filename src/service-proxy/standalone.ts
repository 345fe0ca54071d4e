// A service proxy driven over stdin/stdout, for running inside a network namespace
// (`ip netns exec NS node src/service-proxy/standalone.ts '<options json>'`): the kernel e2e tests
// and the bench feed it Services, EndpointSlices and the kube-proxy ConfigMap as JSON lines and
// read replies. Requests: {"op":"service","prev":..,"cur":..} {"op":"slice","slice":..,"removed":b}
// {"op":"config","cm":..} {"op":"synced"} {"op":"idle"} {"op":"list"} {"op":"metrics"}
// {"op":"stop"}. Every request gets one reply line {"id":..,"ok":true,...}.
import { createInterface } from 'node:readline';
import { ManualSource } from './source.ts';
import { startServiceProxy, type ServiceProxyOptions } from './start.ts';
import { formatListing } from './list.ts';

type Options = Omit<ServiceProxyOptions, 'source' | 'log'> & { logLevel?: 'debug' | 'info' | 'warn' };

const opts = JSON.parse(process.argv[2] ?? '{}') as Options;
const levels = { debug: 0, info: 1, warn: 2, error: 3 } as const;
const min = levels[opts.logLevel ?? 'warn'];
const source = new ManualSource();
const proxy = await startServiceProxy({
  ...opts,
  source,
  log: (level, msg) => {
    if (levels[level] >= min) process.stderr.write(`${level} ${msg}\n`);
  },
});
const reply = (o: Record<string, unknown>) => process.stdout.write(JSON.stringify(o) + '\n');
reply({ id: 'ready', ok: true, metricsAddress: proxy.metricsAddress });

const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  if (line.trim() === '') continue;
  const req = JSON.parse(line) as { id?: unknown; op: string; prev?: never; cur?: never; slice?: never; removed?: boolean; cm?: never };
  const id = req.id;
  try {
    switch (req.op) {
      case 'service': source.service(req.prev, req.cur); reply({ id, ok: true }); break;
      case 'slice': if (req.slice !== undefined) source.endpointSlice(req.slice, req.removed ?? false); reply({ id, ok: true }); break;
      case 'config': source.kubeProxyConfig(req.cm); reply({ id, ok: true }); break;
      case 'synced': source.synced(); reply({ id, ok: true }); break;
      case 'idle': await proxy.whenIdle(); reply({ id, ok: true, mode: proxy.mode }); break;
      case 'list': { const l = await proxy.listing(); reply({ id, ok: true, listing: l, text: formatListing(l) }); break; }
      case 'metrics': reply({ id, ok: true, text: proxy.metrics.render() }); break;
      case 'stop': await proxy.stop(); reply({ id, ok: true }); process.exit(0); break;
      default: reply({ id, ok: false, error: `unknown op ${req.op}` });
    }
  } catch (err) {
    reply({ id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
}
await proxy.stop();
