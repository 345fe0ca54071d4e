import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinHostDirs, imageRepo, normalizeImage, resolveContainerPath, resolveLaunch, type CatalogContext } from './catalog.ts';

const ctx: CatalogContext = { node: '/usr/bin/node', agnhost: '/a/agnhost.ts' };

test('image names', () => {
  const rows = [
    { given: 'nginx', repo: 'nginx', full: 'docker.io/library/nginx:latest' },
    { given: 'nginx:1.25', repo: 'nginx', full: 'docker.io/library/nginx:1.25' },
    { given: 'docker.io/library/nginx@sha256:abc', repo: 'nginx', full: 'docker.io/library/nginx@sha256:abc' },
    { given: 'registry.k8s.io/e2e-test-images/agnhost:2.40', repo: 'e2e-test-images/agnhost', full: 'registry.k8s.io/e2e-test-images/agnhost:2.40' },
    { given: 'localhost:5000/team/app', repo: 'team/app', full: 'localhost:5000/team/app:latest' },
    { given: 'bitnami/nginx', repo: 'bitnami/nginx', full: 'docker.io/bitnami/nginx:latest' },
  ];
  for (const r of rows) {
    assert.equal(imageRepo(r.given), r.repo, r.given);
    assert.equal(normalizeImage(r.given), r.full, r.given);
  }
});

test('launch: command/args against the catalog', () => {
  const rows: Array<{ name: string; given: { image: string; command?: string[]; args?: string[] }; want: string[] | string }> = [
    { name: 'nginx default', given: { image: 'nginx:1.25' }, want: ['nginx', '-g', 'daemon off;'] },
    { name: 'nginx args', given: { image: 'nginx', args: ['nginx-debug', '-g', 'daemon off;'] }, want: ['nginx-debug', '-g', 'daemon off;'] },
    { name: 'agnhost args', given: { image: 'registry.k8s.io/e2e-test-images/agnhost:2.40', args: ['netexec', '--http-port=8080'] }, want: ['/usr/bin/node', '/a/agnhost.ts', 'netexec', '--http-port=8080'] },
    { name: 'agnhost command', given: { image: 'k8s.gcr.io/e2e-test-images/agnhost:2.39', command: ['/agnhost', 'serve-hostname'] }, want: ['/usr/bin/node', '/a/agnhost.ts', 'serve-hostname'] },
    { name: 'busybox default', given: { image: 'busybox:1.36' }, want: ['sh'] },
    { name: 'busybox command', given: { image: 'busybox', command: ['sh', '-c'], args: ['echo hi'] }, want: ['sh', '-c', 'echo hi'] },
    { name: 'any image with a command', given: { image: 'redis:7', command: ['sleep', '3600'] }, want: ['sleep', '3600'] },
    { name: 'curl entrypoint', given: { image: 'curlimages/curl', args: ['-s', 'http://x'] }, want: ['curl', '-s', 'http://x'] },
    { name: 'unknown image', given: { image: 'redis:7' }, want: 'ImageNotInCatalog' },
    { name: 'empty image', given: { image: '' }, want: 'InvalidImageName' },
  ];
  for (const r of rows) {
    const l = resolveLaunch({ name: 'c', ...r.given }, ctx);
    if (typeof r.want === 'string') {
      assert.equal(l.kind, 'unavailable', r.name);
      if (l.kind === 'unavailable') assert.equal(l.reason, r.want, r.name);
    } else {
      assert.equal(l.kind, 'run', r.name);
      if (l.kind === 'run') assert.deepEqual(l.argv, r.want, r.name);
    }
  }
});

test('built-in commands get Node and Switchboard bound back when a private directory hides them', () => {
  const cases: Array<{ name: string; node: string; root: string; argv: string[]; want: string[] }> = [
    { name: 'install under /tmp (CI clone)', node: '/tmp/ci/node_modules/node/bin/node', root: '/tmp/ci', argv: ['/tmp/ci/node_modules/node/bin/node', 'x'], want: ['/tmp/ci'] },
    { name: 'node elsewhere, sources under /tmp', node: '/usr/bin/node', root: '/tmp/sb', argv: ['/usr/bin/node'], want: ['/tmp/sb'] },
    { name: 'node under /tmp, sources elsewhere', node: '/tmp/n/bin/node', root: '/work/main', argv: ['/tmp/n/bin/node'], want: ['/tmp/n/bin'] },
    { name: 'nothing hidden', node: '/work/main/node_modules/node/bin/node', root: '/work/main', argv: ['/work/main/node_modules/node/bin/node'], want: [] },
    { name: 'not a built-in command', node: '/tmp/ci/node', root: '/tmp/ci', argv: ['nginx'], want: [] },
    { name: 'a private directory itself is never bound', node: '/tmp/node', root: '/tmp/ci', argv: ['/tmp/node'], want: ['/tmp/ci'] },
  ];
  for (const c of cases) {
    assert.deepEqual(builtinHostDirs(c.argv, { node: c.node, agnhost: `${c.root}/src/node-agent/agnhost/main.ts`, root: c.root }), c.want, c.name);
  }
});

test('mount targets resolve symlinks as the container root has them', () => {
  const links: Record<string, string> = { '/var/run': '/run', '/lib': 'usr/lib', '/etc/resolv.conf': '../run/systemd/resolve/stub-resolv.conf', '/loop': '/loop' };
  const rl = (p: string): string | undefined => links[p];
  const cases: Array<[string, string]> = [
    ['/var/run/secrets/kubernetes.io/serviceaccount', '/run/secrets/kubernetes.io/serviceaccount'],
    ['/lib/modules', '/usr/lib/modules'],
    ['/etc/resolv.conf', '/run/systemd/resolve/stub-resolv.conf'],
    ['/usr/share/nginx/html', '/usr/share/nginx/html'],
    ['/data/../var/run/x', '/run/x'],
    ['/loop/x', '/loop/x'],
  ];
  for (const [path, want] of cases) assert.equal(resolveContainerPath(path, rl), want, path);
});
