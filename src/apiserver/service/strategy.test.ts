// The Service strategy through a Registry: what create and update store, how type changes move
// allocations, dry-run, status writes, deletion, and the no-duplicates guarantees under
// concurrency and across restarts.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../../machinery/status.ts';
import { userService } from '../../api/service/testdata/invalid-services.ts';
import type { Service } from '../../api/types.ts';
import { newServiceHarness, type FullService, type ServiceHarness } from './testing.ts';

type Spec = Record<string, unknown>;

function usage(h: ServiceHarness): { ips: number; ports: number } {
  let ips = 0;
  for (const r of h.strategy.allocators.ipRanges.values()) ips += r.used;
  return { ips, ports: h.strategy.allocators.nodePorts.used };
}

function inUpperBand(h: ServiceHarness, ip: string): boolean {
  const r = h.strategy.allocators.ipRanges.get('IPv4');
  const off = r?.offsetOf(ip);
  return r !== undefined && off !== undefined && off >= r.staticBand;
}

async function rejects(p: Promise<unknown>): Promise<StatusError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof StatusError, `want a StatusError, got ${String(err)}`);
  return err;
}

describe('create', () => {
  const cases: { name: string; given: Service; want: (s: FullService, h: ServiceHarness) => void; usage: { ips: number; ports: number } }[] = [
    {
      name: 'ClusterIP gets a dynamic IP from the upper band and single-stack IPv4 fields',
      given: userService('web'),
      usage: { ips: 1, ports: 0 },
      want: (s, h) => {
        assert.ok(inUpperBand(h, s.spec.clusterIP ?? ''), s.spec.clusterIP);
        assert.deepEqual(s.spec.clusterIPs, [s.spec.clusterIP]);
        assert.deepEqual(s.spec.ipFamilies, ['IPv4']);
        assert.equal(s.spec.ipFamilyPolicy, 'SingleStack');
        assert.equal(s.spec.internalTrafficPolicy, 'Cluster');
        assert.equal(s.spec.sessionAffinity, 'None');
        assert.equal(s.spec.externalTrafficPolicy, undefined);
        assert.deepEqual(s['status'], { loadBalancer: {} });
      },
    },
    {
      name: 'a requested IP in the static band is honoured',
      given: userService('dns', (s) => { s.spec.clusterIP = '10.96.0.10'; }),
      usage: { ips: 1, ports: 0 },
      want: (s) => assert.deepEqual([s.spec.clusterIP, s.spec.clusterIPs], ['10.96.0.10', ['10.96.0.10']]),
    },
    {
      name: 'only clusterIPs given is not enough: clusterIP must accompany it',
      given: userService('web', (s) => { s.spec.clusterIP = '10.96.0.11'; s.spec.clusterIPs = ['10.96.0.11']; }),
      usage: { ips: 1, ports: 0 },
      want: (s) => assert.equal(s.spec.clusterIP, '10.96.0.11'),
    },
    {
      name: 'NodePort: one nodePort per port number, shared by 53/UDP and 53/TCP, from the upper band',
      given: userService('dns', (s) => {
        s.spec.type = 'NodePort';
        s.spec.ports = [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53 }, { name: 'metrics', port: 9153 }];
      }),
      usage: { ips: 1, ports: 2 },
      want: (s) => {
        const [a, b, c] = (s.spec.ports ?? []).map((p) => p.nodePort ?? 0);
        assert.equal(a, b);
        assert.notEqual(a, c);
        for (const p of [a, c]) assert.ok(p !== undefined && p >= 30086 && p <= 32767, String(p));
        assert.equal(s.spec.externalTrafficPolicy, 'Cluster');
      },
    },
    {
      name: 'NodePort: a requested port is shared with the other protocol of the same port',
      given: userService('dns', (s) => {
        s.spec.type = 'NodePort';
        s.spec.ports = [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, nodePort: 30053 }];
      }),
      usage: { ips: 1, ports: 1 },
      want: (s) => assert.deepEqual((s.spec.ports ?? []).map((p) => p.nodePort), [30053, 30053]),
    },
    {
      name: 'LoadBalancer with externalTrafficPolicy Local gets a healthCheckNodePort',
      given: userService('lb', (s) => { s.spec.type = 'LoadBalancer'; s.spec.externalTrafficPolicy = 'Local'; }),
      usage: { ips: 1, ports: 2 },
      want: (s) => {
        assert.ok((s.spec.healthCheckNodePort ?? 0) >= 30000);
        assert.notEqual(s.spec.healthCheckNodePort, s.spec.ports?.[0]?.nodePort);
        assert.equal(s.spec.allocateLoadBalancerNodePorts, true);
      },
    },
    {
      name: 'LoadBalancer without node ports allocates none but honours requests',
      given: userService('lb', (s) => {
        s.spec.type = 'LoadBalancer';
        s.spec.allocateLoadBalancerNodePorts = false;
        s.spec.ports = [{ name: 'a', port: 80 }, { name: 'b', port: 81, nodePort: 30081 }];
      }),
      usage: { ips: 1, ports: 1 },
      want: (s) => assert.deepEqual((s.spec.ports ?? []).map((p) => p.nodePort), [undefined, 30081]),
    },
    {
      name: 'headless with selector: no IP, single-stack',
      given: userService('db', (s) => { s.spec.clusterIP = 'None'; }),
      usage: { ips: 0, ports: 0 },
      want: (s) => assert.deepEqual([s.spec.clusterIP, s.spec.clusterIPs, s.spec.ipFamilies, s.spec.ipFamilyPolicy], ['None', ['None'], ['IPv4'], 'SingleStack']),
    },
    {
      name: 'headless without selector: both families, RequireDualStack, even on a single-stack cluster',
      given: userService('db', (s) => { s.spec.clusterIP = 'None'; delete s.spec.selector; }),
      usage: { ips: 0, ports: 0 },
      want: (s) => assert.deepEqual([s.spec.ipFamilies, s.spec.ipFamilyPolicy], [['IPv4', 'IPv6'], 'RequireDualStack']),
    },
    {
      name: 'ExternalName: no IP, no families, no internalTrafficPolicy; one trailing dot is fine',
      given: userService('ext', (s) => { s.spec.type = 'ExternalName'; s.spec.externalName = 'db.example.com.'; s.spec.internalTrafficPolicy = 'Cluster'; }),
      usage: { ips: 0, ports: 0 },
      want: (s) => {
        for (const k of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy', 'internalTrafficPolicy'] as const) assert.equal(s.spec[k], undefined, k);
      },
    },
    {
      name: 'PreferDualStack on a single-stack cluster gets one family',
      given: userService('web', (s) => { s.spec.ipFamilyPolicy = 'PreferDualStack'; }),
      usage: { ips: 1, ports: 0 },
      want: (s) => assert.deepEqual([s.spec.ipFamilies, s.spec.ipFamilyPolicy], [['IPv4'], 'PreferDualStack']),
    },
    {
      name: 'ClientIP affinity defaults the timeout',
      given: userService('web', (s) => { s.spec.sessionAffinity = 'ClientIP'; }),
      usage: { ips: 1, ports: 0 },
      want: (s) => assert.deepEqual(s.spec.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } }),
    },
    {
      name: 'status in the request is dropped',
      given: userService('web', (s) => { s['status'] = { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } }; }),
      usage: { ips: 1, ports: 0 },
      want: (s) => assert.deepEqual(s['status'], { loadBalancer: {} }),
    },
  ];
  for (const tc of cases) {
    test(tc.name, async () => {
      const h = await newServiceHarness();
      const out = await h.create(tc.given);
      tc.want(out, h);
      assert.deepEqual(usage(h), tc.usage);
      assert.deepEqual(await h.get('default', out.metadata.name ?? ''), out, 'what is returned is what is stored');
    });
  }

  test('a failed store write gives the allocations back', async () => {
    const h = await newServiceHarness();
    await h.create(userService('web', (s) => { s.spec.type = 'NodePort'; }));
    const before = usage(h);
    const err = await rejects(h.create(userService('web', (s) => { s.spec.type = 'NodePort'; })));
    assert.equal(err.reason, 'AlreadyExists');
    assert.deepEqual(usage(h), before);
  });

  test('generateName Services get their allocations', async () => {
    const h = await newServiceHarness();
    const svc = userService('x', (s) => { delete s.metadata.name; s.metadata.generateName = 'web-'; s.spec.type = 'NodePort'; });
    const out = await h.create(svc);
    assert.match(out.metadata.name ?? '', /^web-[a-z0-9]{5}$/);
    assert.deepEqual(usage(h), { ips: 1, ports: 1 });
  });
});

describe('dry-run', () => {
  test('create reports upstream placeholder values and reserves nothing', async () => {
    const h = await newServiceHarness();
    const out = await h.create(userService('web', (s) => {
      s.spec.type = 'LoadBalancer';
      s.spec.externalTrafficPolicy = 'Local';
      s.spec.ports = [{ name: 'a', port: 80 }, { name: 'b', port: 443 }];
    }), { dryRun: true });
    assert.equal(out.spec.clusterIP, '10.96.0.0');
    assert.deepEqual((out.spec.ports ?? []).map((p) => p.nodePort), [32769, 32770]);
    assert.equal(out.spec.healthCheckNodePort, 32771);
    assert.deepEqual(usage(h), { ips: 0, ports: 0 });
    await rejects(h.get('default', 'web'));
  });

  test('a requested IP is only range-checked; a requested nodePort is checked against the ports in use', async () => {
    const h = await newServiceHarness();
    await h.create(userService('other', (s) => { s.spec.type = 'NodePort'; s.spec.clusterIP = '10.96.0.50'; s.spec.ports = [{ port: 80, nodePort: 30080 }]; }));
    const ok = await h.create(userService('web', (s) => { s.spec.clusterIP = '10.96.0.50'; }), { dryRun: true });
    assert.equal(ok.spec.clusterIP, '10.96.0.50');
    const out = await rejects(h.create(userService('web', (s) => { s.spec.clusterIP = '192.168.0.1'; }), { dryRun: true }));
    assert.match(out.message, /is not in the valid range/);
    const taken = await rejects(h.create(userService('web', (s) => { s.spec.type = 'NodePort'; s.spec.ports = [{ port: 80, nodePort: 30080 }]; }), { dryRun: true }));
    assert.match(taken.message, /provided port is already allocated/);
    assert.deepEqual(usage(h), { ips: 1, ports: 1 });
  });

  test('update allocates nothing', async () => {
    const h = await newServiceHarness();
    await h.create(userService('web'));
    const out = await h.edit('default', 'web', (s) => { s.spec.type = 'NodePort'; }, { dryRun: true });
    assert.equal(out.spec.ports?.[0]?.nodePort, 32769);
    assert.deepEqual(usage(h), { ips: 1, ports: 0 });
    assert.equal((await h.get('default', 'web')).spec.type, 'ClusterIP');
  });
});

describe('update keeps what the old object held (patchAllocatedValues)', () => {
  test('re-applying a manifest without clusterIP or nodePorts keeps them', async () => {
    const h = await newServiceHarness();
    const manifest = userService('dns', (s) => {
      s.spec.type = 'LoadBalancer';
      s.spec.externalTrafficPolicy = 'Local';
      s.spec.ports = [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53 }];
    });
    const created = await h.create(manifest);
    const before = usage(h);
    const again = await h.replace(manifest);
    assert.equal(again.spec.clusterIP, created.spec.clusterIP);
    assert.deepEqual(again.spec.clusterIPs, created.spec.clusterIPs);
    assert.deepEqual((again.spec.ports ?? []).map((p) => p.nodePort), (created.spec.ports ?? []).map((p) => p.nodePort));
    assert.equal(again.spec.healthCheckNodePort, created.spec.healthCheckNodePort);
    assert.deepEqual(usage(h), before);
  });

  test('a renamed port gets a new nodePort; the old one is freed', async () => {
    const h = await newServiceHarness();
    const created = await h.create(userService('web', (s) => { s.spec.type = 'NodePort'; s.spec.ports = [{ name: 'http', port: 80 }]; }));
    const old = created.spec.ports?.[0]?.nodePort ?? 0;
    const out = await h.replace(userService('web', (s) => { s.spec.type = 'NodePort'; s.spec.ports = [{ name: 'web', port: 80 }]; }));
    const now = out.spec.ports?.[0]?.nodePort ?? 0;
    assert.notEqual(now, old);
    assert.equal(h.strategy.allocators.nodePorts.has(old), false);
    assert.equal(h.strategy.allocators.nodePorts.has(now), true);
  });

  test('changing a nodePort reserves the new one and frees the old one', async () => {
    const h = await newServiceHarness();
    await h.create(userService('web', (s) => { s.spec.type = 'NodePort'; s.spec.ports = [{ port: 80, nodePort: 30080 }]; }));
    await h.edit('default', 'web', (s) => { const p = s.spec.ports?.[0]; if (p) p.nodePort = 30081; });
    assert.deepEqual(h.strategy.allocators.nodePorts.entries().map(([p]) => p), [30081]);
  });

  test('a rejected update gives back what it allocated and keeps what the old object had', async () => {
    const h = await newServiceHarness();
    await h.create(userService('web'));
    const before = usage(h);
    const err = await rejects(h.edit('default', 'web', (s) => { s.spec.type = 'NodePort'; s.spec.selector = { app: 'bad value' }; }));
    assert.equal(err.code, 422);
    assert.deepEqual(usage(h), before);
  });
});

describe('type changes', () => {
  const cases: {
    name: string;
    from: (s: FullService) => void;
    to: (s: FullService) => void;
    want: { usage: { ips: number; ports: number }; spec: Spec; check?: (before: FullService, after: FullService) => void };
  }[] = [
    {
      name: 'ClusterIP → NodePort allocates nodePorts and keeps the IP',
      from: () => {},
      to: (s) => { s.spec.type = 'NodePort'; },
      want: { usage: { ips: 1, ports: 1 }, spec: { type: 'NodePort', externalTrafficPolicy: 'Cluster' }, check: (a, b) => assert.equal(b.spec.clusterIP, a.spec.clusterIP) },
    },
    {
      name: 'NodePort → ClusterIP releases nodePorts and drops the fields',
      from: (s) => { s.spec.type = 'NodePort'; },
      to: (s) => { s.spec.type = 'ClusterIP'; },
      want: { usage: { ips: 1, ports: 0 }, spec: { type: 'ClusterIP', externalTrafficPolicy: undefined }, check: (_a, b) => assert.equal(b.spec.ports?.[0]?.nodePort, undefined) },
    },
    {
      name: 'NodePort → ClusterIP with a new nodePort is rejected',
      from: (s) => { s.spec.type = 'NodePort'; },
      to: (s) => { s.spec.type = 'ClusterIP'; const p = s.spec.ports?.[0]; if (p) p.nodePort = 31111; },
      want: { usage: { ips: 1, ports: 1 }, spec: { type: 'NodePort' } },
    },
    {
      name: 'ClusterIP → ExternalName releases the IP and the IP fields',
      from: () => {},
      to: (s) => { s.spec.type = 'ExternalName'; s.spec.externalName = 'db.example.com'; },
      want: { usage: { ips: 0, ports: 0 }, spec: { type: 'ExternalName', clusterIP: undefined, clusterIPs: undefined, ipFamilies: undefined, ipFamilyPolicy: undefined, internalTrafficPolicy: undefined } },
    },
    {
      name: 'NodePort → ExternalName releases IP and nodePorts',
      from: (s) => { s.spec.type = 'NodePort'; },
      to: (s) => { s.spec.type = 'ExternalName'; s.spec.externalName = 'db.example.com'; },
      want: { usage: { ips: 0, ports: 0 }, spec: { type: 'ExternalName', externalTrafficPolicy: undefined } },
    },
    {
      name: 'ExternalName → ClusterIP allocates a new IP',
      from: (s) => { s.spec.type = 'ExternalName'; s.spec.externalName = 'db.example.com'; },
      to: (s) => { s.spec.type = 'ClusterIP'; delete s.spec.externalName; },
      want: { usage: { ips: 1, ports: 0 }, spec: { type: 'ClusterIP', ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'], internalTrafficPolicy: 'Cluster' } },
    },
    {
      name: 'LoadBalancer Cluster → Local allocates a healthCheckNodePort',
      from: (s) => { s.spec.type = 'LoadBalancer'; },
      to: (s) => { s.spec.externalTrafficPolicy = 'Local'; },
      want: { usage: { ips: 1, ports: 2 }, spec: { externalTrafficPolicy: 'Local' }, check: (_a, b) => assert.ok((b.spec.healthCheckNodePort ?? 0) > 0) },
    },
    {
      name: 'LoadBalancer Local → Cluster releases the healthCheckNodePort',
      from: (s) => { s.spec.type = 'LoadBalancer'; s.spec.externalTrafficPolicy = 'Local'; },
      to: (s) => { s.spec.externalTrafficPolicy = 'Cluster'; },
      want: { usage: { ips: 1, ports: 1 }, spec: { healthCheckNodePort: undefined } },
    },
    {
      name: 'LoadBalancer → ClusterIP drops LB-only fields and the LB status',
      from: (s) => { s.spec.type = 'LoadBalancer'; s.spec.externalTrafficPolicy = 'Local'; s.spec.loadBalancerClass = 'example.com/lb'; },
      to: (s) => { s.spec.type = 'ClusterIP'; },
      want: {
        usage: { ips: 1, ports: 0 },
        spec: { allocateLoadBalancerNodePorts: undefined, loadBalancerClass: undefined, healthCheckNodePort: undefined, externalTrafficPolicy: undefined },
        check: (_a, b) => assert.deepEqual(b['status'], { loadBalancer: {} }),
      },
    },
    {
      name: 'ClusterIP → NodePort with 53/TCP and 53/UDP gives each its own nodePort (update does not share)',
      from: (s) => { s.spec.ports = [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53 }]; },
      to: (s) => { s.spec.type = 'NodePort'; },
      want: { usage: { ips: 1, ports: 2 }, spec: { type: 'NodePort' } },
    },
  ];
  for (const tc of cases) {
    test(tc.name, async () => {
      const h = await newServiceHarness();
      const before = await h.create(userService('web', tc.from));
      let after: FullService;
      try {
        after = await h.edit('default', 'web', tc.to);
      } catch (err) {
        assert.ok(err instanceof StatusError && err.code === 422, String(err));
        after = await h.get('default', 'web');
      }
      for (const [k, v] of Object.entries(tc.want.spec)) assert.deepEqual(after.spec[k], v, k);
      assert.deepEqual(usage(h), tc.want.usage);
      tc.want.check?.(before, after);
    });
  }
});

describe('status subresource', () => {
  test('ipMode defaults to VIP and only status is validated', async () => {
    const h = await newServiceHarness();
    await h.create(userService('lb', (s) => { s.spec.type = 'LoadBalancer'; }));
    const cur = await h.get('default', 'lb');
    cur['status'] = { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } };
    const out = await h.registry.update('default', 'lb', cur, { subresource: 'status' });
    assert.deepEqual(out.object['status'], { loadBalancer: { ingress: [{ ip: '192.0.2.10', ipMode: 'VIP' }] } });
  });

  test('ingress on a non-LoadBalancer Service is forbidden', async () => {
    const h = await newServiceHarness();
    await h.create(userService('web'));
    const cur = await h.get('default', 'web');
    cur['status'] = { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } };
    const err = await rejects(h.registry.update('default', 'web', cur, { subresource: 'status' }));
    assert.equal(err.message, `Service "web" is invalid: status.loadBalancer.ingress: Forbidden: may only be used when \`spec.type\` is 'LoadBalancer'`);
  });

  test('bad ingress values', async () => {
    const h = await newServiceHarness();
    await h.create(userService('lb', (s) => { s.spec.type = 'LoadBalancer'; }));
    const cur = await h.get('default', 'lb');
    cur['status'] = { loadBalancer: { ingress: [{ ip: '1.2.3', ipMode: 'VIP' }, { hostname: '10.0.0.1', ipMode: 'Proxy' }, { ip: '192.0.2.1', ipMode: 'Direct' }] } };
    const err = await rejects(h.registry.update('default', 'lb', cur, { subresource: 'status' }));
    assert.deepEqual((err.status.details?.causes ?? []).map((c) => `${c.field ?? ''}: ${c.message}`), [
      'status.loadBalancer.ingress[0].ip: Invalid value: "1.2.3": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      'status.loadBalancer.ingress[1].ipMode: Forbidden: may not be specified when `ip` is not set',
      'status.loadBalancer.ingress[1].hostname: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
      'status.loadBalancer.ingress[2].ipMode: Unsupported value: "Direct": supported values: "Proxy", "VIP"',
    ]);
  });
});

describe('delete', () => {
  test('frees the IP, nodePorts and healthCheckNodePort', async () => {
    const h = await newServiceHarness();
    await h.create(userService('lb', (s) => { s.spec.type = 'LoadBalancer'; s.spec.externalTrafficPolicy = 'Local'; }));
    await h.create(userService('web', (s) => { s.spec.clusterIP = '10.96.0.50'; }));
    assert.deepEqual(usage(h), { ips: 2, ports: 2 });
    await h.remove('default', 'lb');
    await h.remove('default', 'web');
    assert.deepEqual(usage(h), { ips: 0, ports: 0 });
    await h.create(userService('again', (s) => { s.spec.clusterIP = '10.96.0.50'; }));
  });

  test('a finalizer holds the allocations until it is removed', async () => {
    const h = await newServiceHarness();
    await h.create(userService('web', (s) => { s.metadata.finalizers = ['example.com/hold']; s.spec.type = 'NodePort'; }));
    const res = await h.registry.delete('default', 'web');
    assert.equal(res.deleted, false);
    assert.deepEqual(usage(h), { ips: 1, ports: 1 });
    await h.edit('default', 'web', (s) => { s.metadata.finalizers = []; });
    await rejects(h.get('default', 'web'));
    assert.deepEqual(usage(h), { ips: 0, ports: 0 });
  });

  test('dry-run delete frees nothing', async () => {
    const h = await newServiceHarness();
    await h.create(userService('web'));
    await h.registry.delete('default', 'web', { dryRun: true });
    assert.deepEqual(usage(h), { ips: 1, ports: 0 });
  });
});

describe('no duplicates, ever', () => {
  const N = 1000;
  const nodePortService = (i: number) => userService(`svc-${i}`, (s) => { s.spec.type = 'NodePort'; s.metadata.namespace = `ns-${i % 7}`; });

  function assertUnique(items: FullService[]): void {
    const ips = items.map((s) => s.spec.clusterIP ?? '');
    const ports = items.flatMap((s) => (s.spec.ports ?? []).map((p) => p.nodePort ?? 0)).filter((p) => p !== 0);
    assert.equal(new Set(ips).size, ips.length, 'clusterIPs are unique');
    assert.equal(new Set(ports).size, ports.length, 'nodePorts are unique');
    assert.ok(ips.every((ip) => ip !== ''), 'every Service has an IP');
  }

  test(`${N} concurrent creates, delete all, restart`, async () => {
    const h = await newServiceHarness();
    const created = await Promise.all(Array.from({ length: N }, (_, i) => h.create(nodePortService(i))));
    assertUnique(created);
    assert.deepEqual(usage(h), { ips: N, ports: N });

    await Promise.all(created.map((s) => h.remove(s.metadata.namespace ?? '', s.metadata.name ?? '')));
    assert.deepEqual(usage(h), { ips: 0, ports: 0 }, 'every allocator is empty again');

    const kept = await Promise.all(Array.from({ length: N / 2 }, (_, i) => h.create(nodePortService(i))));
    const restarted = await newServiceHarness({}, h.store);
    assert.deepEqual(restarted.strategy.allocators.ipRanges.get('IPv4')?.entries(), h.strategy.allocators.ipRanges.get('IPv4')?.entries(), 'same IPs after restart');
    assert.deepEqual(restarted.strategy.allocators.nodePorts.entries(), h.strategy.allocators.nodePorts.entries(), 'same ports after restart');
    const more = await Promise.all(Array.from({ length: N / 2 }, (_, i) => restarted.create(nodePortService(N + i))));
    assertUnique([...kept, ...more]);
    assert.deepEqual(usage(restarted), { ips: N, ports: N });
  });

  test('concurrent requests for one nodePort: exactly one wins', async () => {
    const h = await newServiceHarness();
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => h.create(userService(`w${i}`, (s) => {
      s.spec.type = 'NodePort';
      s.spec.ports = [{ port: 80, nodePort: 30080 }];
    }))));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    assert.deepEqual(usage(h), { ips: 1, ports: 1 });
  });

  test('exhausting a small range answers 500 InternalError and frees the partial allocation', async () => {
    const h = await newServiceHarness({ serviceCIDR: '10.0.0.0/29', nodePortRange: '30000-30009' });
    const ok: FullService[] = [];
    for (let i = 0; i < 6; i++) ok.push(await h.create(userService(`s${i}`)));
    assertUnique(ok);
    const full = await rejects(h.create(userService('s6')));
    assert.equal(full.code, 500);
    assert.equal(full.reason, 'InternalError');
    assert.equal(full.message, 'Internal error occurred: failed to allocate a serviceIP: range is full');

    const hp = await newServiceHarness({ nodePortRange: '30000-30001' });
    await hp.create(userService('a', (s) => { s.spec.type = 'NodePort'; s.spec.ports = [{ name: 'x', port: 1 }, { name: 'y', port: 2 }]; }));
    const before = usage(hp);
    const err = await rejects(hp.create(userService('b', (s) => { s.spec.type = 'NodePort'; })));
    assert.equal(err.message, 'Internal error occurred: failed to allocate a nodePort: range is full');
    assert.deepEqual(usage(hp), before, 'the IP reserved before the port failure is given back');
  });

  test('a requested healthCheckNodePort that is taken is a 500, as upstream', async () => {
    const h = await newServiceHarness();
    await h.create(userService('other', (s) => { s.spec.type = 'NodePort'; s.spec.ports = [{ port: 80, nodePort: 31000 }]; }));
    const before = usage(h);
    const err = await rejects(h.create(userService('lb', (s) => { s.spec.type = 'LoadBalancer'; s.spec.externalTrafficPolicy = 'Local'; s.spec.healthCheckNodePort = 31000; })));
    assert.equal(err.code, 500);
    assert.equal(err.message, 'Internal error occurred: failed to allocate requested HealthCheck NodePort 31000: provided port is already allocated');
    assert.deepEqual(usage(h), before);
  });

  test('restart reports stored values outside the configured ranges', async () => {
    const h = await newServiceHarness();
    await h.create(userService('web', (s) => { s.spec.clusterIP = '10.96.0.50'; s.spec.type = 'NodePort'; s.spec.ports = [{ port: 80, nodePort: 30080 }]; }));
    const strategy = (await newServiceHarness({ serviceCIDR: '10.0.0.0/24', nodePortRange: '31000-31999' }, h.store)).strategy;
    const problems = strategy.init((await h.registry.list(undefined)).items);
    assert.deepEqual(problems, [
      'Service default/web: cluster IP 10.96.0.50 is not within the configured service CIDR',
      'Service default/web: port 30080 is not within the port range 31000-31999',
    ]);
  });
});
