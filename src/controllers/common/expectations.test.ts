import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from '../../client/index.ts';
import { Expectations, expectationsTimeoutMs } from './expectations.ts';

describe('Expectations', () => {
  test('creations must all be observed', () => {
    const e = new Expectations(new FakeClock());
    assert.equal(e.satisfied('ns/rs'), true, 'nothing recorded: satisfied');
    e.expectCreations('ns/rs', 2);
    assert.equal(e.satisfied('ns/rs'), false);
    e.creationObserved('ns/rs');
    assert.equal(e.satisfied('ns/rs'), false);
    e.creationObserved('ns/rs');
    assert.equal(e.satisfied('ns/rs'), true);
  });

  test('deletions count once per pod key', () => {
    const e = new Expectations(new FakeClock());
    e.expectDeletions('ns/rs', ['ns/a', 'ns/b']);
    e.deletionObserved('ns/rs', 'ns/a');
    e.deletionObserved('ns/rs', 'ns/a');
    e.deletionObserved('ns/rs', 'ns/other');
    assert.deepEqual(e.pending('ns/rs'), { add: 0, del: 1 });
    e.deletionObserved('ns/rs', 'ns/b');
    assert.equal(e.satisfied('ns/rs'), true);
  });

  test('expire after 5 minutes', async () => {
    const clock = new FakeClock();
    const e = new Expectations(clock);
    e.expectCreations('k', 1);
    await clock.advance(expectationsTimeoutMs);
    assert.equal(e.satisfied('k'), false);
    await clock.advance(1);
    assert.equal(e.satisfied('k'), true);
  });
});
