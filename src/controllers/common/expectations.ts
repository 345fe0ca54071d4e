// ControllerExpectations with UID tracking for deletions (pkg/controller/controller_utils.go): a
// controller records how many creations and which deletions it has in flight, and does not act on
// a key again until its informer has observed them (or 5 minutes have passed), so a stale cache
// never makes it create or delete twice. In memory only: a restarted controller starts with none
// and reads the truth from a fresh list.
import { realClock, type Clock } from '../../client/index.ts';

/** Upstream's ExpectationsTimeout. */
export const expectationsTimeoutMs = 5 * 60 * 1000;

interface Record {
  add: number;
  del: number;
  /** Pod keys whose deletion is expected. */
  deleting: Set<string>;
  at: number;
}

/** Per-controller-key expectations of creations and deletions. */
export class Expectations {
  readonly #clock: Clock;
  readonly #m = new Map<string, Record>();

  constructor(clock: Clock = realClock) {
    this.#clock = clock;
  }

  /** True when nothing is pending for `key` (or the expectations are older than 5 minutes). */
  satisfied(key: string): boolean {
    const r = this.#m.get(key);
    if (r === undefined) return true;
    if (r.add <= 0 && r.del <= 0) return true;
    return this.#clock.now() - r.at > expectationsTimeoutMs;
  }

  /** Expect `n` creations (replacing what was expected). */
  expectCreations(key: string, n: number): void {
    this.#m.set(key, { add: n, del: 0, deleting: new Set(), at: this.#clock.now() });
  }

  /** Expect these pods (by `namespace/name`) to be deleted (replacing what was expected). */
  expectDeletions(key: string, podKeys: readonly string[]): void {
    this.#m.set(key, { add: 0, del: podKeys.length, deleting: new Set(podKeys), at: this.#clock.now() });
  }

  creationObserved(key: string): void {
    const r = this.#m.get(key);
    if (r !== undefined) r.add--;
  }

  /** A deletion was observed (or given up on); counts once per pod key. */
  deletionObserved(key: string, podKey: string): void {
    const r = this.#m.get(key);
    if (r === undefined || !r.deleting.delete(podKey)) return;
    r.del--;
  }

  delete(key: string): void {
    this.#m.delete(key);
  }

  /** What is pending, for tests and logs. */
  pending(key: string): { add: number; del: number } | undefined {
    const r = this.#m.get(key);
    return r === undefined ? undefined : { add: r.add, del: r.del };
  }
}
