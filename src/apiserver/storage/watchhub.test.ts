import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WatchEvent } from './types.ts';
import { WatchHub } from './watchhub.ts';

const put = (key: string, rev: number): WatchEvent => ({ type: 'put', kv: { key, value: 'v', createRevision: rev, modRevision: rev } });

test('a callback that throws ends only its own watch, with onError', () => {
  const hub = new WatchHub();
  const errors: Error[] = [];
  const seen: number[] = [];
  hub.watch('/', 0, 0, { onEvent: () => { throw new Error('consumer bug'); }, onError: (e) => errors.push(e) }, []);
  hub.watch('/', 0, 0, { onEvent: (ev) => seen.push(ev.kv.modRevision) }, []);
  hub.publish(put('/a', 1));
  hub.publish(put('/b', 2));
  assert.deepEqual(errors.map((e) => e.message), ['consumer bug']);
  assert.deepEqual(seen, [1, 2]);
  assert.equal(hub.size, 1);
});

test('history that fails ends the watch with its error, and nothing follows', () => {
  const hub = new WatchHub();
  const errors: Error[] = [];
  const seen: number[] = [];
  const history = (function* () {
    yield put('/a', 1);
    throw new Error('compacted meanwhile');
  })();
  hub.watch('/', 0, 2, { onEvent: (ev) => seen.push(ev.kv.modRevision), onError: (e) => errors.push(e) }, history);
  hub.publish(put('/c', 3));
  assert.deepEqual(seen, [1]);
  assert.deepEqual(errors.map((e) => e.message), ['compacted meanwhile']);
});

test('close ends every watch once; cancelled watches hear nothing', () => {
  const hub = new WatchHub();
  const calls: string[] = [];
  hub.watch('/', 0, 0, { onEvent() {}, onError: (e) => calls.push(`a ${e.message}`) }, []);
  hub.watch('/', 0, 0, { onEvent() {}, onError: (e) => calls.push(`b ${e.message}`) }, []).cancel();
  hub.close(new Error('closed'));
  hub.close(new Error('again'));
  assert.deepEqual(calls, ['a closed']);
});
