// A static IngressSource for tests: the cluster is whatever `set()` last said. Product code, so
// other components' tests can drive an ingress controller without an API server.
import type { FullState } from './compile-all.ts';
import type { IngressSource } from './source.ts';
import { makeState } from './route-table/fake.ts';

export class StaticSource implements IngressSource {
  private state: FullState;
  private synced: boolean;
  private readonly listeners = new Set<() => void>();

  constructor(state: FullState = makeState(), synced = true) {
    this.state = state;
    this.synced = synced;
  }

  /** Replaces the cluster state and signals a change. */
  set(state: FullState): void {
    this.state = state;
    this.synced = true;
    for (const l of this.listeners) l();
  }

  /** Marks the inputs as (not) synced. */
  setSynced(v: boolean): void {
    this.synced = v;
    for (const l of this.listeners) l();
  }

  snapshot(): FullState {
    return this.state;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  onChange(cb: () => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  start(): void {}

  async stop(): Promise<void> {
    this.listeners.clear();
  }
}
