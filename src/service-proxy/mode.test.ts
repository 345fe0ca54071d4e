import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseMode, parseDurationMs, requestedMode, settingsFromConfigMap } from './mode.ts';

const cm = (conf: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-proxy', namespace: 'kube-system' }, data: { 'config.conf': conf } });

test('reads kubeadm config.conf', () => {
  const s = settingsFromConfigMap(cm('apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nclusterCIDR: 10.244.0.0/16\nipvs:\n  scheduler: "wrr"\niptables:\n  masqueradeAll: true\n  minSyncPeriod: 2s\n  syncPeriod: 1m0s\nmode: "ipvs"\n'));
  assert.deepEqual(s, { mode: 'ipvs', ipvsScheduler: 'wrr', clusterCIDR: '10.244.0.0/16', masqueradeAll: true, minSyncPeriodMs: 2000, syncPeriodMs: 60_000 });
  assert.match(settingsFromConfigMap(cm('mode: [')).error ?? '', /not YAML/);
  assert.equal(settingsFromConfigMap(undefined).mode, '');
});

test('durations', () => {
  assert.equal(parseDurationMs('500ms'), 500);
  assert.equal(parseDurationMs('1m30s'), 90_000);
  assert.equal(parseDurationMs('x'), undefined);
});

const rows = [
  { name: 'empty is iptables', req: '', sched: '', un: {}, mode: 'iptables', scheduler: 'rr', notes: 0 },
  { name: 'nftables', req: 'nftables', sched: '', un: {}, mode: 'nftables', scheduler: 'rr', notes: 0 },
  { name: 'ipvs becomes userspace with its scheduler', req: 'ipvs', sched: 'lc', un: {}, mode: 'userspace', scheduler: 'lc', notes: 1 },
  { name: 'ipvs with no scheduler is rr', req: 'ipvs', sched: '', un: {}, mode: 'userspace', scheduler: 'rr', notes: 1 },
  { name: 'iptables without root falls back', req: 'iptables', sched: '', un: { iptables: 'needs root' }, mode: 'userspace', scheduler: 'rr', notes: 1 },
  { name: 'unknown mode', req: 'kernelspace', sched: '', un: {}, mode: 'iptables', scheduler: 'rr', notes: 1 },
] as const;

for (const r of rows) {
  test(`chooseMode: ${r.name}`, () => {
    const c = chooseMode(r.req, r.sched, r.un);
    assert.equal(c.mode, r.mode);
    assert.equal(c.scheduler, r.scheduler);
    assert.equal(c.notes.length, r.notes, c.notes.join('; '));
  });
}

test('flag wins at start; a ConfigMap edit wins afterwards', () => {
  assert.equal(requestedMode('nftables', 'iptables', 'iptables'), 'nftables');
  assert.equal(requestedMode('', 'iptables', 'iptables'), 'iptables');
  assert.equal(requestedMode('nftables', 'ipvs', 'iptables'), 'ipvs');
});
