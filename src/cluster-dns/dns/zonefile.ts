// Resource records as zone-file text (RFC 1035 §5): one record per line,
// `owner TTL CLASS TYPE RDATA`. Used by tests to write expected answers, by the bench to build the
// peer's data, and by dig-like output. Pure.
import { canonicalIP, parseIPv4, parseIPv6 } from './ip.ts';
import { className, Class, typeCode, typeName, type Message, type RR } from './types.ts';

function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i] ?? '';
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c < 0x20 || c >= 0x7f) out += `\\${String(c).padStart(3, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** The RDATA of a record as text. */
export function rdataText(rr: RR): string {
  switch (rr.type) {
    case 'A': case 'AAAA': return rr.address;
    case 'NS': case 'CNAME': case 'PTR': case 'DNAME': return rr.target;
    case 'SOA': return `${rr.mname} ${rr.rname} ${rr.serial} ${rr.refresh} ${rr.retry} ${rr.expire} ${rr.minimum}`;
    case 'MX': return `${rr.preference} ${rr.exchange}`;
    case 'SRV': return `${rr.priority} ${rr.weight} ${rr.port} ${rr.target}`;
    case 'TXT': return rr.texts.map(quote).join(' ');
    case 'HINFO': return `${quote(rr.cpu)} ${quote(rr.os)}`;
    case 'RAW': return `\\# ${rr.rdata.length}${rr.rdata.length > 0 ? ' ' : ''}${Buffer.from(rr.rdata).toString('hex')}`;
  }
}

/** One record as a zone-file line: `web.default.svc.cluster.local. 5 IN A 10.96.0.20`. */
export function formatRR(rr: RR): string {
  const t = rr.type === 'RAW' ? typeName(rr.code) : rr.type;
  return `${rr.name} ${rr.ttl} ${className(rr.class)} ${t} ${rdataText(rr)}`;
}

/** Splits a line into tokens; double-quoted strings keep spaces and `\"` `\\` `\DDD` escapes. */
function tokens(line: string): { text: string; quoted: boolean }[] {
  const out: { text: string; quoted: boolean }[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i] ?? '';
    if (c === ' ' || c === '\t') { i++; continue; }
    if (c === ';') break;
    if (c === '"') {
      let s = '';
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\') {
          const d = line.slice(i + 1, i + 4);
          if (/^\d{3}$/.test(d)) { s += String.fromCharCode(Number(d)); i += 4; continue; }
          s += line[i + 1] ?? '';
          i += 2;
          continue;
        }
        s += line[i];
        i++;
      }
      if (line[i] !== '"') throw new Error(`unterminated string in: ${line}`);
      i++;
      out.push({ text: s, quoted: true });
      continue;
    }
    let j = i;
    while (j < line.length && line[j] !== ' ' && line[j] !== '\t') j++;
    out.push({ text: line.slice(i, j), quoted: false });
    i = j;
  }
  return out;
}

function num(s: string | undefined, what: string, max = 0xffffffff): number {
  if (s === undefined || !/^\d+$/.test(s)) throw new Error(`${what}: expected a number, got ${s ?? 'nothing'}`);
  const n = Number(s);
  if (n > max) throw new Error(`${what}: ${n} is out of range`);
  return n;
}

/** Parses one zone-file line (`owner TTL [CLASS] TYPE RDATA`); names must be absolute. Throws on errors. */
export function parseRR(line: string): RR {
  const t = tokens(line);
  const name = t[0]?.text;
  if (name === undefined) throw new Error('empty record line');
  const ttl = num(t[1]?.text, `${name} TTL`);
  let i = 2;
  let klass: number = Class.IN;
  const maybeClass = t[i]?.text.toUpperCase();
  if (maybeClass === 'IN' || maybeClass === 'CH' || maybeClass === 'HS') {
    klass = maybeClass === 'IN' ? Class.IN : maybeClass === 'CH' ? Class.CH : Class.HS;
    i++;
  }
  const typeText = t[i]?.text ?? '';
  const code = typeCode(typeText);
  if (code === undefined) throw new Error(`${name}: unknown type ${typeText}`);
  const rd = t.slice(i + 1);
  const txt = (k: number) => rd[k]?.text;
  const base = { name, ttl, class: klass };
  switch (typeName(code)) {
    case 'A': {
      const a = txt(0) ?? '';
      if (parseIPv4(a) === undefined) throw new Error(`${name}: bad IPv4 address ${a}`);
      return { ...base, type: 'A', address: a };
    }
    case 'AAAA': {
      const a = txt(0) ?? '';
      if (parseIPv6(a) === undefined) throw new Error(`${name}: bad IPv6 address ${a}`);
      return { ...base, type: 'AAAA', address: canonicalIP(a) ?? a };
    }
    case 'NS': case 'CNAME': case 'PTR': case 'DNAME': {
      const tn = typeName(code) as 'NS' | 'CNAME' | 'PTR' | 'DNAME';
      return { ...base, type: tn, target: txt(0) ?? '' };
    }
    case 'SOA':
      return {
        ...base, type: 'SOA', mname: txt(0) ?? '', rname: txt(1) ?? '', serial: num(txt(2), 'serial'),
        refresh: num(txt(3), 'refresh'), retry: num(txt(4), 'retry'), expire: num(txt(5), 'expire'), minimum: num(txt(6), 'minimum'),
      };
    case 'MX':
      return { ...base, type: 'MX', preference: num(txt(0), 'preference', 0xffff), exchange: txt(1) ?? '' };
    case 'SRV':
      return {
        ...base, type: 'SRV', priority: num(txt(0), 'priority', 0xffff), weight: num(txt(1), 'weight', 0xffff),
        port: num(txt(2), 'port', 0xffff), target: txt(3) ?? '',
      };
    case 'TXT':
      return { ...base, type: 'TXT', texts: rd.map((x) => x.text) };
    case 'HINFO':
      return { ...base, type: 'HINFO', cpu: txt(0) ?? '', os: txt(1) ?? '' };
    default: {
      if (txt(0) !== '\\#') throw new Error(`${name}: type ${typeText} needs RFC 3597 \\# syntax`);
      const len = num(txt(1), 'rdata length', 0xffff);
      const hex = rd.slice(2).map((x) => x.text).join('');
      if (hex.length !== len * 2 || !/^[0-9a-fA-F]*$/.test(hex)) throw new Error(`${name}: rdata is not ${len} bytes of hex`);
      return { ...base, type: 'RAW', code, rdata: new Uint8Array(Buffer.from(hex, 'hex')) };
    }
  }
}

/** Parses several lines (blank lines and `;` comments skipped). */
export function parseRRs(text: string): RR[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith(';')).map(parseRR);
}

/** A section as sorted zone-file lines (the order CoreDNS's test helper compares in). */
export function sectionText(rrs: readonly RR[]): string[] {
  return rrs.map(formatRR).sort();
}

/** A dig-like summary of a message: status line, then each section's records. */
export function messageText(m: Message): string {
  const flags = [m.qr && 'qr', m.aa && 'aa', m.tc && 'tc', m.rd && 'rd', m.ra && 'ra', m.ad && 'ad', m.cd && 'cd'].filter(Boolean).join(' ');
  const lines = [`;; rcode ${m.rcode} id ${m.id} flags ${flags}`];
  for (const q of m.question) lines.push(`;${q.name} ${className(q.class)} ${typeName(q.type)}`);
  for (const [n, s] of [['ANSWER', m.answer], ['AUTHORITY', m.authority], ['ADDITIONAL', m.additional]] as const) {
    if (s.length === 0) continue;
    lines.push(`;; ${n}`);
    for (const rr of s) lines.push(formatRR(rr));
  }
  return lines.join('\n');
}
