// The conformance suite every ApiClient runs: the real client against an in-process API server and
// the fake (client.test.ts). One test per behaviour other components rely on: CRUD and metadata,
// StatusErrors, selectors and paging, status and subresources, deletion, and watch ordering.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject, KubeList } from '../api/types.ts';
import { StatusError } from '../machinery/status.ts';
import { isAlreadyExists, isConflict, isGone, isNotFound, isStatus } from './errors.ts';
import { builtin, type ApiClient, type ResourceClient, type WatchEvent, type WatchHandle } from './types.ts';

/** A client and an existing, empty namespace for one test. */
export interface ConformanceFixture {
  client: ApiClient;
  namespace: string;
  /** A second existing namespace (for all-namespace lists and watches). */
  otherNamespace: string;
  /** Drops watch history up to now, so older resourceVersions answer 410 Gone. */
  compact(): Promise<void>;
  cleanup(): Promise<void>;
}

const configmaps = builtin('configmaps');
const deployments = builtin('deployments', 'apps');
const ingressclasses = builtin('ingressclasses');

function cm(name: string, data: Record<string, string> = {}, labels?: Record<string, string>, edit?: (o: KubeObject) => void): KubeObject {
  const o: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(labels !== undefined ? { labels } : {}) }, data };
  edit?.(o);
  return o;
}

function deployment(name: string, replicas = 1): KubeObject {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
    },
  };
}

/** Awaits `p` and checks it rejected with a StatusError of this code, reason and (optionally) message. */
async function rejectsStatus(p: Promise<unknown>, code: number, reason: string, message?: string | RegExp): Promise<StatusError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof StatusError, `expected a StatusError, got ${String(err)}`);
    assert.equal(err.status.code, code, err.message);
    assert.equal(err.status.reason, reason, err.message);
    assert.equal(err.status.kind, 'Status');
    if (typeof message === 'string') assert.equal(err.message, message);
    else if (message !== undefined) assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected a ${code} ${reason} StatusError, the call succeeded`);
}

/** Collects watch events and waits for a count of them. */
class Collector<T extends KubeObject = KubeObject> {
  readonly events: WatchEvent<T>[] = [];
  #waiters: Array<() => void> = [];
  readonly push = (ev: WatchEvent<T>): void => {
    this.events.push(ev);
    for (const w of this.#waiters.splice(0)) w();
  };

  async waitFor(n: number, timeoutMs = 5000): Promise<WatchEvent<T>[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) assert.fail(`waited for ${n} watch events, got ${this.events.length}: ${this.summary().join(' ')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.events.slice(0, n);
  }

  summary(): string[] {
    return this.events.map((e) => `${e.type}:${e.object.metadata.name ?? ''}`);
  }
}

const rv = (o: KubeObject | KubeList): number => Number(o.metadata.resourceVersion);

/** Registers the client conformance tests for the clients `make` gives. */
export function runClientConformance(name: string, make: () => Promise<ConformanceFixture>): void {
  const it = (title: string, body: (f: ConformanceFixture) => Promise<void>): void => {
    test(title, async () => {
      const f = await make();
      try {
        await body(f);
      } finally {
        await f.cleanup();
      }
    });
  };
  const cms = (f: ConformanceFixture): ResourceClient => f.client.resource(configmaps);

  describe(`ApiClient conformance: ${name}`, () => {
    describe('create and get', () => {
      it('create stamps metadata and get returns the stored object', async (f) => {
        const created = await cms(f).create(f.namespace, cm('a', { k: 'v' }));
        assert.equal(created.apiVersion, 'v1');
        assert.equal(created.kind, 'ConfigMap');
        assert.equal(created.metadata.name, 'a');
        assert.equal(created.metadata.namespace, f.namespace);
        assert.match(created.metadata.uid ?? '', /^[0-9a-f-]{36}$/);
        assert.match(created.metadata.creationTimestamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        assert.match(created.metadata.resourceVersion ?? '', /^\d+$/);
        assert.equal(created.metadata.generation, 1);
        assert.deepEqual(created['data'], { k: 'v' });
        const got = await cms(f).get(f.namespace, 'a');
        assert.deepEqual(got, created);
      });

      it('a second create of one name is AlreadyExists', async (f) => {
        await cms(f).create(f.namespace, cm('a'));
        const err = await rejectsStatus(cms(f).create(f.namespace, cm('a')), 409, 'AlreadyExists', 'configmaps "a" already exists');
        assert.ok(isAlreadyExists(err));
        assert.ok(!isConflict(err));
        assert.deepEqual(err.status.details, { name: 'a', kind: 'configmaps' });
      });

      it('get of a missing object is NotFound', async (f) => {
        const err = await rejectsStatus(cms(f).get(f.namespace, 'missing'), 404, 'NotFound', 'configmaps "missing" not found');
        assert.ok(isNotFound(err));
        await rejectsStatus(f.client.resource(deployments).get(f.namespace, 'missing'), 404, 'NotFound', 'deployments.apps "missing" not found');
      });

      it('generateName makes a unique name with the prefix', async (f) => {
        const a = await cms(f).create(f.namespace, cm('', {}, undefined, (o) => { delete o.metadata.name; o.metadata.generateName = 'gen-'; }));
        const b = await cms(f).create(f.namespace, cm('', {}, undefined, (o) => { delete o.metadata.name; o.metadata.generateName = 'gen-'; }));
        assert.match(a.metadata.name ?? '', /^gen-[a-z0-9]{5}$/);
        assert.notEqual(a.metadata.name, b.metadata.name);
      });

      it('an invalid name is Invalid (422) with the field cause', async (f) => {
        const err = await rejectsStatus(cms(f).create(f.namespace, cm('Bad_Name')), 422, 'Invalid', /^ConfigMap "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name"/);
        assert.equal(err.status.details?.causes?.[0]?.field, 'metadata.name');
      });

      it('a namespace in the body that differs from the request is BadRequest', async (f) => {
        await rejectsStatus(cms(f).create(f.namespace, cm('a', {}, undefined, (o) => { o.metadata.namespace = f.otherNamespace; })), 400, 'BadRequest',
          'the namespace of the provided object does not match the namespace sent on the request');
      });

      it('dryRun create validates and stores nothing', async (f) => {
        const out = await cms(f).create(f.namespace, cm('dry'), { dryRun: true });
        assert.equal(out.metadata.name, 'dry');
        await rejectsStatus(cms(f).get(f.namespace, 'dry'), 404, 'NotFound');
      });

      it('cluster-scoped resources take the empty namespace', async (f) => {
        const r = f.client.resource(ingressclasses);
        const name = `ic-${f.namespace}`;
        const created = await r.create('', { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name }, spec: { controller: 'example.com/x' } });
        assert.equal(created.metadata.namespace, undefined);
        assert.equal((await r.get('', name)).metadata.uid, created.metadata.uid);
        const listed = await r.list(undefined, { fieldSelector: `metadata.name=${name}` });
        assert.deepEqual(listed.items.map((o) => o.metadata.name), [name]);
        await r.delete('', name);
        await rejectsStatus(r.get('', name), 404, 'NotFound');
      });
    });

    describe('update', () => {
      it('update with the current resourceVersion writes a newer one', async (f) => {
        const a = await cms(f).create(f.namespace, cm('a', { k: '1' }));
        const b = await cms(f).update({ ...a, data: { k: '2' } });
        assert.ok(rv(b) > rv(a));
        assert.equal(b.metadata.uid, a.metadata.uid);
        assert.equal(b.metadata.creationTimestamp, a.metadata.creationTimestamp);
        assert.deepEqual((await cms(f).get(f.namespace, 'a'))['data'], { k: '2' });
      });

      it('update with a stale resourceVersion is Conflict; without one it is unconditional', async (f) => {
        const a = await cms(f).create(f.namespace, cm('a', { k: '1' }));
        await cms(f).update({ ...a, data: { k: '2' } });
        const err = await rejectsStatus(cms(f).update({ ...a, data: { k: '3' } }), 409, 'Conflict',
          'Operation cannot be fulfilled on configmaps "a": the object has been modified; please apply your changes to the latest version and try again');
        assert.ok(isConflict(err));
        const { resourceVersion: _drop, ...meta } = a.metadata;
        const c = await cms(f).update({ ...a, metadata: meta, data: { k: '4' } });
        assert.deepEqual(c['data'], { k: '4' });
      });

      it('update of a missing object is NotFound', async (f) => {
        await rejectsStatus(cms(f).update(cm('ghost', {}, undefined, (o) => { o.metadata.namespace = f.namespace; })), 404, 'NotFound', 'configmaps "ghost" not found');
      });

      it('an update that changes nothing keeps the resourceVersion', async (f) => {
        const a = await cms(f).create(f.namespace, cm('a', { k: '1' }));
        const b = await cms(f).update(a);
        assert.equal(b.metadata.resourceVersion, a.metadata.resourceVersion);
      });

      it('update keeps status and bumps generation on spec changes; updateStatus changes only status', async (f) => {
        const d = f.client.resource(deployments);
        const a = await d.create(f.namespace, deployment('web'));
        assert.equal(a.metadata.generation, 1);
        const withStatus = await d.updateStatus({ ...a, status: { replicas: 7, observedGeneration: 1 }, spec: { ...(a['spec'] as object), replicas: 9 } });
        assert.deepEqual((withStatus['status'] as { replicas?: number }).replicas, 7);
        assert.equal((withStatus['spec'] as { replicas?: number }).replicas, 1, 'status writes leave spec alone');
        assert.equal(withStatus.metadata.generation, 1);
        const scaled = await d.update({ ...withStatus, spec: { ...(withStatus['spec'] as object), replicas: 3 }, status: { replicas: 0 } });
        assert.equal((scaled['spec'] as { replicas?: number }).replicas, 3);
        assert.equal((scaled['status'] as { replicas?: number }).replicas, 7, 'spec writes leave status alone');
        assert.equal(scaled.metadata.generation, 2);
        const labelled = await d.update({ ...scaled, metadata: { ...scaled.metadata, labels: { x: 'y' } } });
        assert.equal(labelled.metadata.generation, 2, 'metadata changes do not bump generation');
      });

      it('updateStatus with a stale resourceVersion is Conflict', async (f) => {
        const d = f.client.resource(deployments);
        const a = await d.create(f.namespace, deployment('web'));
        await d.updateStatus({ ...a, status: { replicas: 1 } });
        await rejectsStatus(d.updateStatus({ ...a, status: { replicas: 2 } }), 409, 'Conflict');
      });
    });

    describe('patch', () => {
      const cases: Array<{ name: string; type: 'merge' | 'strategic' | 'json'; patch: unknown; want: Record<string, string> }> = [
        { name: 'merge', type: 'merge', patch: { data: { b: '2', a: null } }, want: { b: '2' } },
        { name: 'strategic', type: 'strategic', patch: { data: { b: '2' } }, want: { a: '1', b: '2' } },
        { name: 'json', type: 'json', patch: [{ op: 'replace', path: '/data/a', value: 'x' }, { op: 'add', path: '/data/c', value: '3' }], want: { a: 'x', c: '3' } },
      ];
      for (const c of cases) {
        it(`${c.name} patch`, async (f) => {
          const a = await cms(f).create(f.namespace, cm('p', { a: '1' }));
          const out = await cms(f).patch(f.namespace, 'p', c.patch, c.type);
          assert.deepEqual(out['data'], c.want);
          assert.ok(rv(out) > rv(a));
          assert.deepEqual((await cms(f).get(f.namespace, 'p'))['data'], c.want);
        });
      }

      it('a patch naming a stale resourceVersion is Conflict; a missing object NotFound', async (f) => {
        const a = await cms(f).create(f.namespace, cm('p', { a: '1' }));
        await cms(f).patch(f.namespace, 'p', { data: { a: '2' } }, 'merge');
        await rejectsStatus(cms(f).patch(f.namespace, 'p', { metadata: { resourceVersion: a.metadata.resourceVersion }, data: { a: '3' } }, 'merge'), 409, 'Conflict');
        await rejectsStatus(cms(f).patch(f.namespace, 'nope', { data: {} }, 'merge'), 404, 'NotFound', 'configmaps "nope" not found');
      });

      it('patchStatus changes status only', async (f) => {
        const d = f.client.resource(deployments);
        await d.create(f.namespace, deployment('web'));
        const out = await d.patchStatus(f.namespace, 'web', { status: { readyReplicas: 1 }, spec: { replicas: 5 } }, 'merge');
        assert.equal((out['status'] as { readyReplicas?: number }).readyReplicas, 1);
        assert.equal((out['spec'] as { replicas?: number }).replicas, 1);
      });
    });

    describe('delete', () => {
      it('delete removes the object; a second delete is NotFound', async (f) => {
        await cms(f).create(f.namespace, cm('d'));
        const out = await cms(f).delete(f.namespace, 'd');
        if (!isStatus(out)) assert.equal(out.metadata.name, 'd');
        await rejectsStatus(cms(f).get(f.namespace, 'd'), 404, 'NotFound');
        await rejectsStatus(cms(f).delete(f.namespace, 'd'), 404, 'NotFound', 'configmaps "d" not found');
      });

      it('preconditions that do not hold are Conflict', async (f) => {
        const a = await cms(f).create(f.namespace, cm('d'));
        await rejectsStatus(cms(f).delete(f.namespace, 'd', { preconditions: { uid: 'not-the-uid' } }), 409, 'Conflict', /Precondition failed: UID in precondition: not-the-uid/);
        await rejectsStatus(cms(f).delete(f.namespace, 'd', { preconditions: { resourceVersion: '1' } }), 409, 'Conflict', /Precondition failed: ResourceVersion in precondition: 1/);
        await cms(f).delete(f.namespace, 'd', { preconditions: { uid: a.metadata.uid ?? '', resourceVersion: a.metadata.resourceVersion ?? '' } });
        await rejectsStatus(cms(f).get(f.namespace, 'd'), 404, 'NotFound');
      });

      it('an object with finalizers is marked, and goes when the last finalizer is removed', async (f) => {
        await cms(f).create(f.namespace, cm('fin', {}, undefined, (o) => { o.metadata.finalizers = ['example.com/hold']; }));
        await cms(f).delete(f.namespace, 'fin');
        const marked = await cms(f).get(f.namespace, 'fin');
        assert.ok(marked.metadata.deletionTimestamp !== undefined);
        assert.deepEqual(marked.metadata.finalizers, ['example.com/hold']);
        await cms(f).update({ ...marked, metadata: { ...marked.metadata, finalizers: [] } });
        await rejectsStatus(cms(f).get(f.namespace, 'fin'), 404, 'NotFound');
      });

      it('propagationPolicy Foreground adds the foregroundDeletion finalizer', async (f) => {
        await cms(f).create(f.namespace, cm('fg'));
        await cms(f).delete(f.namespace, 'fg', { propagationPolicy: 'Foreground' });
        const marked = await cms(f).get(f.namespace, 'fg');
        assert.deepEqual(marked.metadata.finalizers, ['foregroundDeletion']);
        assert.ok(marked.metadata.deletionTimestamp !== undefined);
      });

      it('deleteCollection deletes what the selector matches', async (f) => {
        await cms(f).create(f.namespace, cm('x1', {}, { app: 'x' }));
        await cms(f).create(f.namespace, cm('x2', {}, { app: 'x' }));
        await cms(f).create(f.namespace, cm('y1', {}, { app: 'y' }));
        await cms(f).deleteCollection(f.namespace, { labelSelector: 'app=x' });
        const left = await cms(f).list(f.namespace);
        assert.deepEqual(left.items.map((o) => o.metadata.name), ['y1']);
      });
    });

    describe('list', () => {
      const seed = async (f: ConformanceFixture): Promise<void> => {
        await cms(f).create(f.namespace, cm('a', {}, { app: 'web', tier: 'front' }));
        await cms(f).create(f.namespace, cm('b', {}, { app: 'web', tier: 'back' }));
        await cms(f).create(f.namespace, cm('c', {}, { app: 'db' }));
        await cms(f).create(f.namespace, cm('d'));
        await cms(f).create(f.namespace, cm('e', {}, { app: 'web' }));
      };
      const selectorCases: Array<{ name: string; labelSelector?: string; fieldSelector?: string; want: string[] }> = [
        { name: 'everything', want: ['a', 'b', 'c', 'd', 'e'] },
        { name: 'equality', labelSelector: 'app=web', want: ['a', 'b', 'e'] },
        { name: 'two requirements', labelSelector: 'app=web,tier!=back', want: ['a', 'e'] },
        { name: 'set', labelSelector: 'tier in (front,back)', want: ['a', 'b'] },
        { name: 'does not exist', labelSelector: '!app', want: ['d'] },
        { name: 'exists', labelSelector: 'tier', want: ['a', 'b'] },
        { name: 'field selector', fieldSelector: 'metadata.name=c', want: ['c'] },
        { name: 'label and field', labelSelector: 'app=web', fieldSelector: 'metadata.name!=a', want: ['b', 'e'] },
      ];
      for (const c of selectorCases) {
        it(`selectors: ${c.name}`, async (f) => {
          await seed(f);
          const l = await cms(f).list(f.namespace, { ...(c.labelSelector !== undefined ? { labelSelector: c.labelSelector } : {}), ...(c.fieldSelector !== undefined ? { fieldSelector: c.fieldSelector } : {}) });
          assert.deepEqual(l.items.map((o) => o.metadata.name), c.want);
          assert.equal(l.kind, 'ConfigMapList');
          assert.equal(l.apiVersion, 'v1');
          assert.match(l.metadata.resourceVersion ?? '', /^\d+$/);
          for (const o of l.items) assert.equal(o.kind, 'ConfigMap');
        });
      }

      it('a malformed label selector is BadRequest', async (f) => {
        await rejectsStatus(cms(f).list(f.namespace, { labelSelector: 'a in (' }), 400, 'BadRequest');
      });

      it('an unsupported field selector is BadRequest', async (f) => {
        await rejectsStatus(cms(f).list(f.namespace, { fieldSelector: 'spec.nope=1' }), 400, 'BadRequest', '"spec.nope" is not a known field selector: only "metadata.name", "metadata.namespace"');
      });

      it('limit returns one page with a continue token; following tokens yields every item once', async (f) => {
        await seed(f);
        const seen: string[] = [];
        let cont: string | undefined;
        let pages = 0;
        do {
          const page = await cms(f).list(f.namespace, { limit: 2, ...(cont !== undefined ? { continue: cont } : {}) });
          assert.ok(page.items.length <= 2);
          seen.push(...page.items.map((o) => o.metadata.name ?? ''));
          cont = page.metadata.continue || undefined;
          pages++;
        } while (cont !== undefined && pages < 10);
        assert.deepEqual(seen, ['a', 'b', 'c', 'd', 'e']);
        assert.equal(pages, 3);
      });

      it('without a limit, pageSize chunks are followed to the end', async (f) => {
        await seed(f);
        const l = await cms(f).list(f.namespace, { pageSize: 2, labelSelector: 'app' });
        assert.deepEqual(l.items.map((o) => o.metadata.name), ['a', 'b', 'c', 'e']);
        assert.equal(l.metadata.continue, undefined);
      });

      it('an all-namespace list spans namespaces', async (f) => {
        const tag = { suite: f.namespace };
        await cms(f).create(f.namespace, cm('one', {}, tag));
        await cms(f).create(f.otherNamespace, cm('two', {}, tag));
        const l = await cms(f).list(undefined, { labelSelector: `suite=${f.namespace}` });
        assert.deepEqual(l.items.map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`).sort(), [`${f.namespace}/one`, `${f.otherNamespace}/two`].sort());
        const only = await cms(f).list(f.otherNamespace, { labelSelector: `suite=${f.namespace}` });
        assert.deepEqual(only.items.map((o) => o.metadata.name), ['two']);
      });

      it('the list resourceVersion is at least that of every item', async (f) => {
        await seed(f);
        const l = await cms(f).list(f.namespace);
        for (const o of l.items) assert.ok(rv(l) >= rv(o));
      });
    });

    describe('watch', () => {
      const watchOf = (f: ConformanceFixture, ns: string | undefined, opts: Parameters<ResourceClient['watch']>[1]): { c: Collector; h: WatchHandle } => {
        const c = new Collector();
        const h = cms(f).watch(ns, opts, c.push);
        return { c, h };
      };

      it('from a list resourceVersion: ADDED, MODIFIED, DELETED in order with rising resourceVersions', async (f) => {
        await cms(f).create(f.namespace, cm('before'));
        const l = await cms(f).list(f.namespace);
        const { c, h } = watchOf(f, f.namespace, { resourceVersion: l.metadata.resourceVersion ?? '' });
        try {
          const a = await cms(f).create(f.namespace, cm('w', { v: '1' }));
          const b = await cms(f).update({ ...a, data: { v: '2' } });
          await cms(f).delete(f.namespace, 'w');
          const evs = await c.waitFor(3);
          assert.deepEqual(evs.map((e) => `${e.type}:${e.object.metadata.name ?? ''}`), ['ADDED:w', 'MODIFIED:w', 'DELETED:w']);
          assert.equal(evs[0]?.object.metadata.resourceVersion, a.metadata.resourceVersion);
          assert.equal(evs[1]?.object.metadata.resourceVersion, b.metadata.resourceVersion);
          assert.deepEqual(evs[1]?.object['data'], { v: '2' });
          assert.ok(rv(evs[2]!.object) > rv(b));
          assert.equal(evs[0]?.object.kind, 'ConfigMap');
        } finally {
          h.stop();
          await h.done;
        }
      });

      it('without a resourceVersion the current objects come first as ADDED', async (f) => {
        await cms(f).create(f.namespace, cm('x'));
        await cms(f).create(f.namespace, cm('y'));
        const { c, h } = watchOf(f, f.namespace, {});
        try {
          await c.waitFor(2);
          await cms(f).create(f.namespace, cm('z'));
          const evs = await c.waitFor(3);
          assert.deepEqual(evs.map((e) => `${e.type}:${e.object.metadata.name ?? ''}`), ['ADDED:x', 'ADDED:y', 'ADDED:z']);
        } finally {
          h.stop();
          await h.done;
        }
      });

      it('replays changes after an old resourceVersion', async (f) => {
        const start = await cms(f).list(f.namespace);
        await cms(f).create(f.namespace, cm('r1'));
        await cms(f).create(f.namespace, cm('r2'));
        const { c, h } = watchOf(f, f.namespace, { resourceVersion: start.metadata.resourceVersion ?? '' });
        try {
          assert.deepEqual((await c.waitFor(2)).map((e) => `${e.type}:${e.object.metadata.name ?? ''}`), ['ADDED:r1', 'ADDED:r2']);
        } finally {
          h.stop();
          await h.done;
        }
      });

      it('label selectors: entering is ADDED, leaving is DELETED', async (f) => {
        const l = await cms(f).list(f.namespace);
        const { c, h } = watchOf(f, f.namespace, { resourceVersion: l.metadata.resourceVersion ?? '', labelSelector: 'app=web' });
        try {
          const a = await cms(f).create(f.namespace, cm('s', {}, { app: 'other' }));
          const b = await cms(f).update({ ...a, metadata: { ...a.metadata, labels: { app: 'web' } } });
          const b2 = await cms(f).update({ ...b, data: { k: 'v' } });
          await cms(f).update({ ...b2, metadata: { ...b2.metadata, labels: { app: 'gone' } } });
          await cms(f).create(f.namespace, cm('noise', {}, { app: 'db' }));
          await cms(f).create(f.namespace, cm('last', {}, { app: 'web' }));
          const evs = await c.waitFor(4);
          assert.deepEqual(evs.map((e) => `${e.type}:${e.object.metadata.name ?? ''}`), ['ADDED:s', 'MODIFIED:s', 'DELETED:s', 'ADDED:last']);
        } finally {
          h.stop();
          await h.done;
        }
      });

      it('an all-namespace watch sees every namespace; a namespaced one only its own', async (f) => {
        const l = await cms(f).list(undefined);
        const all = watchOf(f, undefined, { resourceVersion: l.metadata.resourceVersion ?? '', labelSelector: `suite=${f.namespace}` });
        const one = watchOf(f, f.otherNamespace, { resourceVersion: l.metadata.resourceVersion ?? '' });
        try {
          await cms(f).create(f.namespace, cm('n1', {}, { suite: f.namespace }));
          await cms(f).create(f.otherNamespace, cm('n2', {}, { suite: f.namespace }));
          assert.deepEqual((await all.c.waitFor(2)).map((e) => e.object.metadata.name), ['n1', 'n2']);
          assert.deepEqual((await one.c.waitFor(1)).map((e) => e.object.metadata.name), ['n2']);
        } finally {
          all.h.stop();
          one.h.stop();
          await Promise.all([all.h.done, one.h.done]);
        }
      });

      it('a resourceVersion older than the compacted history ends the watch with 410 Gone', async (f) => {
        const start = await cms(f).list(f.namespace);
        await cms(f).create(f.namespace, cm('c1'));
        await cms(f).create(f.namespace, cm('c2'));
        await f.compact();
        const { h } = watchOf(f, f.namespace, { resourceVersion: start.metadata.resourceVersion ?? '' });
        await assert.rejects(h.done, (err: unknown) => {
          assert.ok(isGone(err), `expected 410, got ${String(err)}`);
          assert.ok(err instanceof StatusError);
          return true;
        });
      });

      it('stop() ends the watch and done resolves', async (f) => {
        const { h } = watchOf(f, f.namespace, { resourceVersion: (await cms(f).list(f.namespace)).metadata.resourceVersion ?? '' });
        h.stop();
        await h.done;
      });

      it('aborting the signal ends the watch like stop()', async (f) => {
        const ac = new AbortController();
        const { c, h } = watchOf(f, f.namespace, { signal: ac.signal });
        await cms(f).create(f.namespace, cm('sig'));
        await c.waitFor(1);
        ac.abort();
        await h.done;
        const pre = new AbortController();
        pre.abort();
        await watchOf(f, f.namespace, { signal: pre.signal }).h.done;
      });

      it('an error thrown by the handler ends the watch with that error', async (f) => {
        const l = await cms(f).list(f.namespace);
        const boom = new Error('handler failed');
        const h = cms(f).watch(f.namespace, { resourceVersion: l.metadata.resourceVersion ?? '' }, () => {
          throw boom;
        });
        await cms(f).create(f.namespace, cm('t'));
        await assert.rejects(h.done, (err: unknown) => err === boom);
      });

      it('timeoutSeconds ends the watch cleanly', async (f) => {
        const l = await cms(f).list(f.namespace);
        const { h } = watchOf(f, f.namespace, { resourceVersion: l.metadata.resourceVersion ?? '', timeoutSeconds: 1 });
        const t0 = Date.now();
        await h.done;
        assert.ok(Date.now() - t0 < 4000);
      });

      it('a malformed selector fails the watch with BadRequest', async (f) => {
        const { h } = watchOf(f, f.namespace, { labelSelector: 'a in (' });
        await rejectsStatus(h.done, 400, 'BadRequest');
      });
    });

    describe('raw requests and subresources', () => {
      it('scale: GET and PUT through request()', async (f) => {
        await f.client.resource(deployments).create(f.namespace, deployment('web', 2));
        const path = `/apis/apps/v1/namespaces/${f.namespace}/deployments/web/scale`;
        const scale = (await f.client.request('GET', path)).json<KubeObject & { spec: { replicas: number } }>();
        assert.equal(scale.kind, 'Scale');
        assert.equal(scale.spec.replicas, 2);
        const put = await f.client.request('PUT', path, { ...scale, spec: { replicas: 5 } });
        assert.equal(put.json<{ spec: { replicas: number } }>().spec.replicas, 5);
        const d = await f.client.resource(deployments).get(f.namespace, 'web');
        assert.equal((d['spec'] as { replicas: number }).replicas, 5);
      });

      it('pods/binding sets the node once; a second binding is Conflict', async (f) => {
        const pods = f.client.resource(builtin('pods'));
        await pods.create(f.namespace, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
        const path = `/api/v1/namespaces/${f.namespace}/pods/p/binding`;
        const body = { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p' }, target: { apiVersion: 'v1', kind: 'Node', name: 'node-1' } };
        const res = await f.client.request('POST', path, body);
        assert.equal(res.statusCode, 201);
        const pod = await pods.get(f.namespace, 'p');
        assert.equal((pod['spec'] as { nodeName?: string }).nodeName, 'node-1');
        await rejectsStatus(f.client.request('POST', path, body), 409, 'Conflict');
      });

      it('a raw GET of an object path answers the object; a missing one is NotFound', async (f) => {
        await cms(f).create(f.namespace, cm('raw', { a: 'b' }));
        const res = await f.client.request('GET', `/api/v1/namespaces/${f.namespace}/configmaps/raw`);
        assert.equal(res.statusCode, 200);
        assert.deepEqual(res.json<KubeObject>()['data'], { a: 'b' });
        await rejectsStatus(f.client.request('GET', `/api/v1/namespaces/${f.namespace}/configmaps/none`), 404, 'NotFound', 'configmaps "none" not found');
      });
    });
  });
}
