// Events about Pods, as the kubelet records them (source component "kubelet", host = node): a repeat
// of the same reason and message for the same object bumps `count` and `lastTimestamp` instead of
// making a new Event (client-go's EventCorrelator, simplified). Never throws: failures are logged.
import { randomBytes } from 'node:crypto';
import type { Event, Pod } from '../api/types.ts';
import { builtin, type ApiClient } from '../client/types.ts';
import { rfc3339 } from './status.ts';

export type EventType = 'Normal' | 'Warning';

/** Where an event goes; tests use a list. */
export interface EventSink {
  record(pod: Pod, type: EventType, reason: string, message: string, fieldPath?: string): void;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  first: string;
}

const maxRemembered = 4096;

/** Records Events through the API. */
export class ApiEventSink implements EventSink {
  private readonly client: ApiClient;
  private readonly node: string;
  private readonly seen = new Map<string, Seen>();
  private readonly log: (msg: string) => void;
  private chain: Promise<void> = Promise.resolve();

  constructor(client: ApiClient, node: string, log: (msg: string) => void = () => {}) {
    this.client = client;
    this.node = node;
    this.log = log;
  }

  record(pod: Pod, type: EventType, reason: string, message: string, fieldPath?: string): void {
    const ns = pod.metadata.namespace ?? 'default';
    const uid = pod.metadata.uid ?? '';
    const key = `${uid}|${fieldPath ?? ''}|${reason}|${message}`;
    const now = rfc3339(Date.now());
    // Events are written one after another so a burst cannot reorder count updates.
    this.chain = this.chain.then(() => this.write(pod, ns, key, now, type, reason, message, fieldPath)).catch((err: unknown) => {
      this.log(`event ${reason} for pod ${ns}/${pod.metadata.name ?? ''}: ${err instanceof Error ? err.message : String(err)}`);
    });
  }

  private async write(pod: Pod, ns: string, key: string, now: string, type: EventType, reason: string, message: string, fieldPath?: string): Promise<void> {
    const events = this.client.resource<Event>(builtin('events'));
    const prev = this.seen.get(key);
    if (prev !== undefined) {
      prev.count++;
      try {
        await events.patch(prev.namespace, prev.name, { count: prev.count, lastTimestamp: now }, 'merge');
        return;
      } catch {
        this.seen.delete(key);
      }
    }
    const name = `${pod.metadata.name ?? 'pod'}.${randomBytes(8).toString('hex')}`;
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: ns },
      involvedObject: {
        apiVersion: 'v1', kind: 'Pod', namespace: ns, name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '',
        ...(fieldPath !== undefined ? { fieldPath } : {}),
      },
      reason,
      message,
      source: { component: 'kubelet', host: this.node },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: 'kubelet',
      reportingInstance: this.node,
    };
    await events.create(ns, ev);
    if (this.seen.size >= maxRemembered) {
      const oldest = this.seen.keys().next();
      if (oldest.done !== true) this.seen.delete(oldest.value);
    }
    this.seen.set(key, { name, namespace: ns, count: 1, first: now });
  }

  /** Resolves when every recorded event has been written (or failed). */
  flush(): Promise<void> {
    return this.chain;
  }
}

/** Keeps events in memory (tests). */
export class MemoryEventSink implements EventSink {
  readonly events: Array<{ pod: string; type: EventType; reason: string; message: string; fieldPath?: string }> = [];
  record(pod: Pod, type: EventType, reason: string, message: string, fieldPath?: string): void {
    this.events.push({ pod: `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`, type, reason, message, ...(fieldPath !== undefined ? { fieldPath } : {}) });
  }
}
