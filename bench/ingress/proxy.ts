// The Switchboard side of bench/ingress: the ingress data plane in its own process (so its CPU time
// can be read from /proc), routing `Host: bench.local` to the backend through a compiled Ingress, as
// `switchboard up` would from the API server. Prints `ready <http port> <https port>` and runs until
// killed. Env: BACKEND_PORT (required), BENCH_ACCESS_LOG (path; none by default).
import { startIngress, StaticSource } from '../../src/ingress-gateway/index.ts';
import { makeIngress, makeService, makeSlice, makeState, rule } from '../../src/ingress-gateway/route-table/fake.ts';

const backendPort = Number(process.env['BACKEND_PORT']);
if (!Number.isInteger(backendPort) || backendPort <= 0) throw new Error('BACKEND_PORT is required');

const source = new StaticSource(makeState((s) => {
  s.ingresses.push(makeIngress('bench', 'bench', (i) => { i.spec = { ingressClassName: 'nginx', rules: [rule('bench.local', '/', 'Prefix', 'backend', 80)] }; }));
  s.services.push(makeService('bench', 'backend', [80]));
  s.endpointSlices.push(makeSlice('bench', 'backend', '', backendPort, ['127.0.0.1']));
}));
const log = process.env['BENCH_ACCESS_LOG'];
const ing = await startIngress({ source, metricsPort: null, ...(log !== undefined && log !== '' ? { accessLog: log } : {}) });
process.stdout.write(`ready ${ing.httpPort} ${ing.httpsPort}\n`);
const stop = () => { void ing.stop().then(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
