import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bridgeCommands, nftRuleset, nodeNet, podNetNames, podNetnsBatch, renderSetupScript, serviceRouteArgs } from './plan.ts';

const n = nodeNet('1a2b', '10.244.3.0/24', '10.244.3.1', '10.96.0.0/12');

test('names carry the instance id and fit the kernel limits', () => {
  assert.equal(n.bridge, 'sb1a2b-br');
  const names = podNetNames(n, '0b5c2e9a-uid', 'deadbeef');
  assert.equal(names.netns, 'sb-1a2b-0b5c2e9a-uid');
  assert.equal(names.veth, 'sb1a2bdeadbeef');
  assert.ok(names.veth.length <= 15);
});

test('node network commands', () => {
  assert.deepEqual(bridgeCommands(n), [
    ['link', 'add', 'sb1a2b-br', 'type', 'bridge'],
    ['addr', 'add', '10.244.3.1/24', 'dev', 'sb1a2b-br'],
    ['link', 'set', 'sb1a2b-br', 'up'],
  ]);
  assert.deepEqual(serviceRouteArgs(n).slice(0, 6), ['local', '10.96.0.0/12', 'dev', 'lo', 'table', 'local']);
  assert.match(nftRuleset(n), /table inet switchboard_agent_1a2b \{\n  chain forward \{\n    type filter hook forward priority 0; policy accept;\n    iifname "sb1a2b-br" oifname != "sb1a2b-br" ct direction original counter drop/);
  assert.equal(podNetnsBatch(n, '10.244.3.7'), 'addr add 10.244.3.7/24 dev eth0\nlink set lo up\nlink set eth0 up\nroute add default via 10.244.3.1 dev eth0\n');
});

test('setup script: overlay root, mounts in order, hostname, pivot, exec', () => {
  const s = renderSetupScript({
    dir: '/state/pods/u/containers/c', hostname: 'web-1', workingDir: '/app', overlay: true,
    mounts: [
      { source: '/state/pods/u/etc/hosts', target: '/etc/hosts', readOnly: false, file: true },
      { source: "/state/pods/u/volumes/it's", target: '/data', readOnly: true, file: false },
    ],
  });
  const order = ['mount -t overlay', "mount --bind /state/pods/u/etc/hosts \"$R\"/etc/hosts", `mount --bind '/state/pods/u/volumes/it'\\''s' "$R"/data`, 'mount -o remount,bind,ro "$R"/data', 'hostname web-1', 'pivot_root . .', 'cd /app', 'exec 3>&-', 'exec "$@"'];
  let at = -1;
  for (const o of order) {
    const i = s.indexOf(o);
    assert.ok(i > at, `${o} comes next`);
    at = i;
  }
});
