// The query path from bytes to bytes, without sockets: read the message (FORMERR or drop when
// malformed), check opcode, question count and EDNS version, pick the server block by zone, run
// its chain, and write the reply within the client's size (TC when cut). Never throws.
import { parseMessage, serializeMessage, headerOnlyReply, WireError } from '../dns/wire.ts';
import { lower, matchZone } from '../dns/names.ts';
import { Opcode, Rcode, replyTo, type Message } from '../dns/types.ts';
import type { BlockConfig } from '../plugin/chain.ts';
import type { Proto, Reply, Request } from '../plugin/plugin.ts';
import { withQuestion } from '../plugin/plugin.ts';

export interface Remote {
  address: string;
  port: number;
  family: 4 | 6;
}

/** Counters for what never reaches a chain. */
export interface DropCounters {
  formerr: number;
  dropped: number;
  refused: number;
  panics: number;
}

/** Routes queries to the server blocks of one listener. */
export class QueryHandler {
  private blocks: readonly BlockConfig[];
  private zones: string[];
  readonly counters: DropCounters = { formerr: 0, dropped: 0, refused: 0, panics: 0 };
  private readonly onPanic: (err: unknown, q: string) => void;

  constructor(blocks: readonly BlockConfig[], onPanic: (err: unknown, q: string) => void = () => undefined) {
    this.blocks = blocks;
    this.zones = blocks.flatMap((b) => b.zones);
    this.onPanic = onPanic;
  }

  /** Swaps in the blocks of a new configuration (reload). */
  setBlocks(blocks: readonly BlockConfig[]): void {
    this.blocks = blocks;
    this.zones = blocks.flatMap((b) => b.zones);
  }

  /** The block serving a name (longest zone match), and the zone it matched. */
  route(name: string): { block: BlockConfig; zone: string } | undefined {
    const zone = matchZone(this.zones, name);
    if (zone === undefined) return undefined;
    const block = this.blocks.find((b) => b.zones.includes(zone));
    return block === undefined ? undefined : { block, zone };
  }

  /** Answers one packet; undefined means "send nothing". */
  async handle(buf: Uint8Array, proto: Proto, remote: Remote): Promise<Uint8Array | undefined> {
    const start = performance.now();
    const parsed = parseMessage(buf);
    if (!parsed.ok) {
      if (parsed.header === undefined || parsed.header.qr) {
        this.counters.dropped++;
        return undefined;
      }
      this.counters.formerr++;
      return headerOnlyReply(parsed.header, Rcode.FORMERR);
    }
    const q = parsed.msg;
    if (q.qr) {
      this.counters.dropped++;
      return undefined;
    }
    if (q.opcode !== Opcode.QUERY) return this.write(replyTo(q, Rcode.NOTIMP), proto, 512);
    const question = q.question[0];
    if (q.question.length !== 1 || question === undefined) {
      this.counters.formerr++;
      return this.write(replyTo(q, Rcode.FORMERR), proto, 512);
    }
    if (q.edns !== undefined && q.edns.version !== 0) {
      const m = replyTo(q, Rcode.BADVERS);
      return this.write(m, proto, 512);
    }
    const size = proto === 'tcp' ? 65535 : q.edns === undefined ? 512 : Math.max(512, Math.min(q.edns.udpSize, 65535));
    const name = lower(question.name);
    const routed = this.route(name);
    if (routed === undefined) {
      this.counters.refused++;
      return this.write(replyTo(q, Rcode.REFUSED), proto, size);
    }
    const req: Request = {
      msg: q,
      qname: question.name,
      name,
      qtype: question.type,
      qclass: question.class,
      proto,
      remote,
      size,
      do: q.edns?.do ?? false,
      wireSize: buf.length,
      zone: routed.zone,
      server: routed.block.server,
      internal: false,
      lookup: (n, t) => this.lookup(req, n, t),
      onWritten: [],
      start,
    };
    let reply: Reply;
    try {
      reply = await routed.block.chain(req);
    } catch (err) {
      this.counters.panics++;
      this.onPanic(err, `${question.name} ${question.type}`);
      reply = { msg: replyTo(q, Rcode.SERVFAIL), plugin: '' };
    }
    const out = this.finish(q, reply.msg);
    let bytes: Uint8Array;
    try {
      bytes = serializeMessage(out, size).bytes;
    } catch (err) {
      if (!(err instanceof WireError)) this.onPanic(err, `${question.name} ${question.type}`);
      bytes = serializeMessage(replyTo(q, Rcode.SERVFAIL), size).bytes;
    }
    if (req.onWritten.length > 0) {
      const sent: Message = (bytes[2] ?? 0) & 0x02 ? { ...out, tc: true } : out;
      for (const h of req.onWritten) {
        try {
          h({ size: bytes.length, msg: sent });
        } catch (err) {
          this.onPanic(err, 'onWritten hook');
        }
      }
    }
    return bytes;
  }

  /** Resolves a name through this listener's blocks, as CoreDNS's upstream.Lookup does. */
  async lookup(from: Request, name: string, type: number): Promise<Message> {
    const n = lower(name);
    const routed = this.route(n);
    const req = withQuestion(from, name, type);
    if (routed === undefined) return replyTo(req.msg, Rcode.REFUSED);
    const r = await routed.block.chain({ ...req, zone: routed.zone, server: routed.block.server });
    return r.msg;
  }

  /** Fixes the header fields every reply must have (QR, id, opcode, question as asked). */
  private finish(q: Message, m: Message): Message {
    return { ...m, id: q.id, qr: true, opcode: q.opcode, rd: q.rd, question: q.question.slice(0, 1) };
  }

  private write(m: Message, proto: Proto, size: number): Uint8Array {
    return serializeMessage(m, proto === 'tcp' ? 65535 : size).bytes;
  }
}
