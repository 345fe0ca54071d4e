// An in-memory harness for controller tests: a FakeClient and FakeClock, an informer factory on
// them, a FakeRecorder, and `settle()` to let watches deliver and workers run. Product code (other
// tests may import it); no sockets, no real time.
import { FakeClient, FakeClock, InformerFactory } from '../client/index.ts';
import type { ControllerDeps } from './common/informers.ts';
import { FakeRecorder } from './events.ts';

export interface FakeEnv {
  clock: FakeClock;
  client: FakeClient;
  factory: InformerFactory;
  recorder: FakeRecorder;
  deps: ControllerDeps;
  /** Lets watch events, handlers and workers run (and `ms` of fake time pass). */
  settle(ms?: number): Promise<void>;
}

/** A fresh fake cluster for one test. */
export function fakeEnv(): FakeEnv {
  const clock = new FakeClock(Date.parse('2024-05-01T10:00:00Z'));
  const client = new FakeClient({ clock });
  const factory = new InformerFactory(client, { clock });
  const recorder = new FakeRecorder();
  return {
    clock, client, factory, recorder,
    deps: { client, factory, recorder: () => recorder, clock, workers: 2 },
    async settle(ms = 0) {
      for (let i = 0; i < 20; i++) await clock.advance(0);
      if (ms > 0) await clock.advance(ms);
      for (let i = 0; i < 20; i++) await clock.advance(0);
    },
  };
}
