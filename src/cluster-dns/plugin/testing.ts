// Test helpers shared by the plugin tests: a fake SetupEnv, requests without sockets, and a
// zone-text view of replies so expectations are written as zone-file lines.
import { parseCorefile } from '../corefile/parse.ts';
import { Registry } from '../metrics/registry.ts';
import { lower } from '../dns/names.ts';
import { Class, newMessage, rcodeName, typeCode, type Message } from '../dns/types.ts';
import { formatRR, parseRRs, sectionText } from '../dns/zonefile.ts';
import type { ClusterView } from '../plugins/kubernetes/view.ts';
import type { Transport, TransportFactory } from '../plugins/forward/transport.ts';
import { ExchangeError } from '../plugins/forward/transport.ts';
import { buildBlocks, type BlockConfig } from './chain.ts';
import type { LogLevel, SetupEnv } from './controller.ts';
import type { Next, Proto, Reply, Request } from './plugin.ts';

/** A deterministic PRNG (mulberry32). */
export function seededRandom(seed = 1): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A transport whose every exchange fails (for tests that must not reach an upstream). */
export const noTransport: TransportFactory = (): Transport => ({
  exchange: () => Promise.reject(new ExchangeError('ERR_DNS_NETWORK', 'no upstream in this test')),
  close: () => undefined,
});

export interface FakeEnvOptions {
  cluster?: ClusterView;
  files?: Record<string, string>;
  now?: () => number;
  transport?: TransportFactory;
  random?: () => number;
}

/** A SetupEnv for tests: files from a map, logs collected, a fixed clock. */
export function fakeEnv(o: FakeEnvOptions = {}): SetupEnv & { logs: { level: LogLevel; msg: string }[]; queryLines: string[] } {
  const logs: { level: LogLevel; msg: string }[] = [];
  const queryLines: string[] = [];
  const files = o.files ?? {};
  return {
    logs,
    queryLines,
    cluster: o.cluster,
    registry: new Registry(),
    log: (level, msg) => { logs.push({ level, msg }); },
    queryLog: (line) => { queryLines.push(line); },
    readFile: (p) => {
      const f = files[p];
      if (f === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${p}'`), { code: 'ENOENT' });
      return f;
    },
    statFile: (p) => (files[p] === undefined ? undefined : { mtimeMs: 1, size: files[p].length }),
    now: o.now ?? (() => 1_700_000_000_000),
    random: o.random ?? seededRandom(1),
    transport: o.transport ?? noTransport,
    status: { notReady: () => [], stopping: () => false },
    self: () => undefined,
    probe: () => Promise.resolve(),
  };
}

/** Builds the server blocks of a Corefile against an env. */
export function blocksFrom(corefile: string, env: SetupEnv): BlockConfig[] {
  return buildBlocks(parseCorefile(corefile), env);
}

export interface RequestOptions {
  proto?: Proto;
  /** EDNS buffer size (absent: no OPT). */
  edns?: number;
  do?: boolean;
  zone?: string;
  lookup?: (name: string, type: number) => Promise<Message>;
  id?: number;
}

/** A query as the server would hand it to a chain: `makeRequest('web.test.svc.cluster.local.', 'A')`. */
export function makeRequest(qname: string, qtype: string | number, o: RequestOptions = {}): Request {
  const type = typeof qtype === 'number' ? qtype : typeCode(qtype);
  if (type === undefined) throw new Error(`unknown type ${String(qtype)}`);
  const msg = newMessage(o.id ?? 4242);
  msg.rd = true;
  msg.question.push({ name: qname, type, class: Class.IN });
  if (o.edns !== undefined) msg.edns = { udpSize: o.edns, version: 0, do: o.do ?? false, options: [] };
  const proto = o.proto ?? 'udp';
  return {
    msg,
    qname,
    name: lower(qname),
    qtype: type,
    qclass: Class.IN,
    proto,
    remote: { address: '127.0.0.1', port: 40000, family: 4 },
    size: proto === 'tcp' ? 65535 : Math.max(512, o.edns ?? 512),
    do: o.do ?? false,
    wireSize: 40,
    zone: o.zone ?? '.',
    server: 'dns://:53',
    internal: false,
    lookup: o.lookup ?? (() => Promise.reject(new Error('no lookup in this test'))),
    onWritten: [],
    start: performance.now(),
  };
}

/** A `next` that marks the query as passed down the chain (rcode text NEXT in answers()). */
export const nextMarker: Next = async (req): Promise<Reply> => {
  const m = newMessage(req.msg.id);
  m.qr = true;
  m.rcode = 0xfff;
  return { msg: m, plugin: 'next' };
};

export interface AnswerText {
  rcode: string;
  answer: string[];
  ns: string[];
  extra: string[];
}

/** A reply as sorted zone-file lines per section; rcode `NEXT` when the query was passed on. */
export function answers(r: Reply | Message): AnswerText {
  const m = 'msg' in r ? r.msg : r;
  return {
    rcode: m.rcode === 0xfff ? 'NEXT' : rcodeName(m.rcode),
    answer: sectionText(m.answer),
    ns: sectionText(m.authority),
    extra: sectionText(m.additional),
  };
}

/** Zone-file text (one record per line, indentation ignored) as sorted, normalized lines. */
export function zoneLines(text: string | undefined): string[] {
  if (text === undefined) return [];
  return parseRRs(text).map(formatRR).sort();
}
