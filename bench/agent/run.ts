// Time from creating N Pods (nginx, bound to this node) to N Ready, and the agent's RSS with them
// running, against an in-process API server. Settings: SB_BENCH_PODS (default 50). Needs root for the
// default netns mode; SB_BENCH_NETWORK=host runs without. Pods are created directly: the Deployment
// controller and scheduler are other components (with them: `kubectl scale --replicas=50`).
// The peer column is left for a kind/k3s run on a machine that has one.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { startInProcess } from '../../test/helpers/inprocess.ts';
import { startNodeAgent } from '../../src/node-agent/index.ts';
import { Client } from '../../src/client/rest.ts';
import { builtin } from '../../src/client/types.ts';
import type { Pod } from '../../src/api/types.ts';

const n = Number(process.env['SB_BENCH_PODS'] ?? '50');
const network = process.env['SB_BENCH_NETWORK'] === 'host' ? 'host' : 'netns';
const dir = mkdtempSync(join(tmpdir(), 'sb-bench-agent-'));
const api = await startInProcess();
const t = api.target;
const client = new Client({ server: t.api, caData: t.ca, token: t.token, namespace: 'default', source: 'bench' });
const rssBefore = process.memoryUsage().rss;
const agent = await startNodeAgent({ client, stateDir: join(dir, 'agent'), nodeName: 'bench-node', network });
const pods = client.resource<Pod>(builtin('pods'));
try {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) => pods.create('default', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: `web-${i}`, labels: { app: 'web' } },
    spec: { nodeName: 'bench-node', containers: [{ name: 'nginx', image: 'nginx' }] },
  })));
  for (;;) {
    const list = await pods.list('default');
    const ready = list.items.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    if (ready >= n) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const ms = performance.now() - t0;
  const rss = process.memoryUsage().rss;
  process.stdout.write(`pods=${n} network=${network}\n`);
  process.stdout.write(`${'metric'.padEnd(34)}${'switchboard'.padStart(14)}${'peer (kind/k3s)'.padStart(18)}\n`);
  process.stdout.write(`${'time to all Ready (s)'.padEnd(34)}${(ms / 1000).toFixed(2).padStart(14)}${'n/a'.padStart(18)}\n`);
  process.stdout.write(`${'process RSS with Pods (MiB)'.padEnd(34)}${(rss / 2 ** 20).toFixed(1).padStart(14)}${'n/a'.padStart(18)}\n`);
  process.stdout.write(`${'RSS growth from agent start (MiB)'.padEnd(34)}${((rss - rssBefore) / 2 ** 20).toFixed(1).padStart(14)}${'n/a'.padStart(18)}\n`);
} finally {
  await agent.stop();
  client.close();
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
}
