// Events as client-go's tools/record writes them (core/v1 Event, what `kubectl describe` lists):
// named `<object>.<hex nanoseconds>` in the object's namespace ('default' for cluster-scoped ones),
// `source.component` and `reportingComponent` naming the controller. A repeat of the same event
// (same object, type, reason, message and component) patches `count` and `lastTimestamp` of the
// first one, as the EventCorrelator does, so `kubectl describe` shows `(x3 over 2m)`. Writes are
// queued and never block or fail the caller; a full queue drops events (logged), as the
// broadcaster does.
import type { Event, KubeObject, ObjectReference } from '../api/types.ts';
import { builtin, isNotFound, realClock, type ApiClient, type Clock, type LogFn } from '../client/index.ts';
import { rfc3339 } from './common/pods.ts';

export type EventType = 'Normal' | 'Warning';

/** Records events about objects. Never throws, never waits. */
export interface EventRecorder {
  event(obj: KubeObject, type: EventType, reason: string, message: string): void;
}

/** The ObjectReference an event's `involvedObject` carries. */
export function objectReference(obj: KubeObject): ObjectReference {
  const m = obj.metadata;
  const ref: ObjectReference = { kind: obj.kind, name: m.name ?? '', apiVersion: obj.apiVersion };
  if (m.namespace !== undefined && m.namespace !== '') ref.namespace = m.namespace;
  if (m.uid !== undefined) ref.uid = m.uid;
  if (m.resourceVersion !== undefined) ref.resourceVersion = m.resourceVersion;
  return ref;
}

/** Builds the Event for a first occurrence. Pure. */
export function makeEvent(obj: KubeObject, type: EventType, reason: string, message: string, component: string, nowMs: number, seq: number, host = ''): Event {
  const ref = objectReference(obj);
  const nanos = BigInt(nowMs) * 1_000_000n + BigInt(seq % 1_000_000);
  const ts = rfc3339(nowMs);
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${ref.name ?? ''}.${nanos.toString(16)}`, namespace: ref.namespace ?? 'default' },
    involvedObject: ref,
    reason,
    message,
    source: host === '' ? { component } : { component, host },
    firstTimestamp: ts,
    lastTimestamp: ts,
    count: 1,
    type,
    eventTime: null,
    reportingComponent: component,
    reportingInstance: host,
  };
}

/** The EventCorrelator's identity of "the same event". */
function correlationKey(ev: Event): string {
  const r = ev.involvedObject;
  return [ev.source?.component ?? '', r.kind ?? '', r.namespace ?? '', r.name ?? '', r.uid ?? '', r.apiVersion ?? '', ev.type ?? '', ev.reason ?? '', ev.message ?? ''].join('\x00');
}

export interface EventSinkOptions {
  client: ApiClient;
  clock?: Clock;
  log?: LogFn;
  /** `source.host` (empty for controllers, as kube-controller-manager). */
  host?: string;
  /** Events waiting to be written beyond which new ones are dropped (default 1000). */
  maxPending?: number;
  /** Remembered events for correlation (default 4096, least recent forgotten first). */
  cacheSize?: number;
}

/** Writes events for any number of recorders, one at a time, correlating repeats. */
export class EventSink {
  readonly stats = { written: 0, patched: 0, dropped: 0, failed: 0 };
  readonly #client: ApiClient;
  readonly #clock: Clock;
  readonly #log: LogFn;
  readonly #host: string;
  readonly #maxPending: number;
  readonly #cacheSize: number;
  readonly #seen = new Map<string, { name: string; namespace: string; count: number }>();
  #chain: Promise<void> = Promise.resolve();
  #pending = 0;
  #seq = 0;
  #stopped = false;

  constructor(opts: EventSinkOptions) {
    this.#client = opts.client;
    this.#clock = opts.clock ?? realClock;
    this.#log = opts.log ?? (() => undefined);
    this.#host = opts.host ?? '';
    this.#maxPending = opts.maxPending ?? 1000;
    this.#cacheSize = opts.cacheSize ?? 4096;
  }

  /** A recorder whose events name `component` as their source. */
  recorder(component: string): EventRecorder {
    return { event: (obj, type, reason, message) => this.#record(obj, type, reason, message, component) };
  }

  /** Resolves when every event queued so far has been written (or has failed). */
  flush(): Promise<void> {
    return this.#chain;
  }

  /** Stops taking events and waits for the queued ones. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#chain;
  }

  #record(obj: KubeObject, type: EventType, reason: string, message: string, component: string): void {
    if (this.#stopped) return;
    if (this.#pending >= this.#maxPending) {
      this.stats.dropped++;
      this.#log('warn', `events: queue full, dropping ${type} ${reason} for ${obj.kind} ${obj.metadata.name ?? ''}`);
      return;
    }
    const ev = makeEvent(obj, type, reason, message, component, this.#clock.now(), this.#seq++, this.#host);
    this.#pending++;
    this.#chain = this.#chain.then(() => this.#write(ev)).finally(() => {
      this.#pending--;
    });
  }

  async #write(ev: Event): Promise<void> {
    const events = this.#client.resource<Event>(builtin('events'));
    const key = correlationKey(ev);
    const prev = this.#seen.get(key);
    try {
      if (prev !== undefined) {
        const count = prev.count + 1;
        try {
          await events.patch(prev.namespace, prev.name, { count, lastTimestamp: ev.lastTimestamp, message: ev.message }, 'merge');
          this.#remember(key, { ...prev, count });
          this.stats.patched++;
          return;
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      const ns = ev.metadata.namespace ?? 'default';
      const created = await events.create(ns, ev);
      this.#remember(key, { name: created.metadata.name ?? ev.metadata.name ?? '', namespace: ns, count: created.count ?? 1 });
      this.stats.written++;
    } catch (err) {
      this.stats.failed++;
      this.#log('info', `events: could not write ${ev.reason ?? ''} for ${ev.involvedObject.kind ?? ''} ${ev.involvedObject.name ?? ''}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  #remember(key: string, v: { name: string; namespace: string; count: number }): void {
    this.#seen.delete(key);
    this.#seen.set(key, v);
    while (this.#seen.size > this.#cacheSize) {
      const oldest = this.#seen.keys().next();
      if (oldest.done === true) break;
      this.#seen.delete(oldest.value);
    }
  }
}

/** A recorder for tests: keeps `"<type> <reason> <message>"` lines, as client-go's FakeRecorder. */
export class FakeRecorder implements EventRecorder {
  readonly events: string[] = [];

  event(_obj: KubeObject, type: EventType, reason: string, message: string): void {
    this.events.push(`${type} ${reason} ${message}`);
  }
}

/** A recorder that drops everything. */
export const discardRecorder: EventRecorder = { event() {} };
