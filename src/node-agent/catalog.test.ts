import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageRepo, normalizeImage, resolveLaunch, type CatalogContext } from './catalog.ts';

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
