// The Corefile (Caddyfile syntax as CoreDNS reads it): server blocks of `KEY... { directives }`,
// one directive per line with its arguments, optional nested `{ ... }` blocks, `#` comments,
// double-quoted tokens, `{$ENV}` substitution and `(snippet) { ... }` + `import snippet`. Pure.
//
// The result is a tree; plugin setups read their own directive from it (see plugin/controller.ts).

/** A parse or setup error, worded as CoreDNS words them: `Corefile:7 - Error during parsing: ...`. */
export class CorefileError extends Error {
  readonly code = 'ERR_COREFILE';
  readonly line: number;
  constructor(file: string, line: number, message: string, prefix = '') {
    super(`${prefix}${file}:${line} - Error during parsing: ${message}`);
    this.line = line;
  }
}

export interface Token {
  text: string;
  line: number;
  /** Written in double quotes (so `{` and `}` are plain text). */
  quoted: boolean;
}

/** One line of a block: a name, its arguments, and an optional nested block. */
export interface Directive {
  name: string;
  args: string[];
  line: number;
  block: Directive[] | undefined;
}

export interface ServerBlock {
  /** The keys as written (`.:53`, `example.org:1053`, `dns://10.0.0.0/24`). */
  keys: string[];
  line: number;
  directives: Directive[];
}

export interface Corefile {
  file: string;
  blocks: ServerBlock[];
}

/** Replaces `{$NAME}` and `{%NAME%}` with environment values (missing ones become ''). */
export function substituteEnv(text: string, env: Readonly<Record<string, string | undefined>>): string {
  return text.replace(/\{\$([A-Za-z0-9_]+)\}|\{%([A-Za-z0-9_]+)%\}/g, (_m, a: string | undefined, b: string | undefined) => env[a ?? b ?? ''] ?? '');
}

/** Splits the text into tokens with their line numbers. */
export function tokenize(text: string, file = 'Corefile'): Token[] {
  const out: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (c === '\n') { line++; i++; continue; }
    if (c === ' ' || c === '\t' || c === '\r') { i++; continue; }
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '"') {
      const start = line;
      let s = '';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) {
          s += text[i + 1];
          i += 2;
          continue;
        }
        if (text[i] === '\n') line++;
        s += text[i];
        i++;
      }
      if (i >= text.length) throw new CorefileError(file, start, 'Unterminated quoted string');
      i++;
      out.push({ text: s, line: start, quoted: true });
      continue;
    }
    let j = i;
    while (j < text.length && !' \t\r\n"'.includes(text[j] ?? '')) {
      if (text[j] === '#' && j === i) break;
      j++;
    }
    out.push({ text: text.slice(i, j), line, quoted: false });
    i = j;
  }
  return out;
}

const isOpen = (t: Token | undefined) => t !== undefined && !t.quoted && t.text === '{';
const isClose = (t: Token | undefined) => t !== undefined && !t.quoted && t.text === '}';

class Parser {
  private readonly toks: Token[];
  private pos = 0;
  private readonly file: string;
  private readonly snippets = new Map<string, Token[]>();
  constructor(toks: Token[], file: string) {
    this.toks = toks;
    this.file = file;
  }

  err(line: number, msg: string): CorefileError {
    return new CorefileError(this.file, line, msg);
  }

  parse(): Corefile {
    const blocks: ServerBlock[] = [];
    while (this.pos < this.toks.length) {
      const first = this.toks[this.pos];
      if (first === undefined) break;
      const snip = /^\((.+)\)$/.exec(first.text);
      if (snip?.[1] !== undefined && !first.quoted) {
        this.pos++;
        if (!isOpen(this.toks[this.pos])) throw this.err(first.line, `Snippet ${first.text} needs a block`);
        this.pos++;
        const body = this.rawBlock(first.line);
        if (this.snippets.has(snip[1])) throw this.err(first.line, `Redefinition of snippet ${snip[1]}`);
        this.snippets.set(snip[1], body);
        continue;
      }
      blocks.push(this.serverBlock());
    }
    return { file: this.file, blocks };
  }

  /** Tokens up to the matching `}` (consumed), without it. */
  private rawBlock(openLine: number): Token[] {
    const body: Token[] = [];
    let depth = 1;
    for (;;) {
      const t = this.toks[this.pos++];
      if (t === undefined) throw this.err(openLine, 'Unexpected EOF: missing closing brace');
      if (isOpen(t)) depth++;
      if (isClose(t)) {
        depth--;
        if (depth === 0) return body;
      }
      body.push(t);
    }
  }

  private serverBlock(): ServerBlock {
    const first = this.toks[this.pos];
    const line = first?.line ?? 0;
    const raw: string[] = [];
    // Keys: tokens up to `{` on the key line; a line ending in `,` continues on the next one.
    let keyLine = line;
    for (;;) {
      const t = this.toks[this.pos];
      if (t === undefined || isOpen(t)) break;
      if (t.line !== keyLine) {
        if (!(raw[raw.length - 1] ?? '').endsWith(',')) break;
        keyLine = t.line;
      }
      if (isClose(t)) throw this.err(t.line, "Unexpected '}' because no matching opening brace");
      raw.push(t.text);
      this.pos++;
    }
    const cleaned = raw.flatMap((k) => k.split(',')).filter((k) => k !== '');
    if (cleaned.length === 0) throw this.err(line, 'Server block without keys');
    let body: Token[];
    if (isOpen(this.toks[this.pos])) {
      this.pos++;
      body = this.rawBlock(line);
    } else {
      // One block without braces: the rest of the file (Caddyfile allows this for a single block).
      body = this.toks.slice(this.pos);
      this.pos = this.toks.length;
    }
    return { keys: cleaned, line, directives: this.lines(this.expandImports(body, 0)) };
  }

  private expandImports(body: Token[], depth: number): Token[] {
    if (depth > 10) throw this.err(body[0]?.line ?? 0, 'Import cycle or nesting deeper than 10');
    const out: Token[] = [];
    for (let i = 0; i < body.length; i++) {
      const t = body[i];
      if (t === undefined) continue;
      const prev = body[i - 1];
      const startsLine = prev === undefined || prev.line !== t.line || isOpen(prev) || isClose(prev);
      if (!t.quoted && t.text === 'import' && startsLine) {
        const arg = body[i + 1];
        if (arg === undefined || arg.line !== t.line) throw this.err(t.line, 'Import needs a snippet name');
        const snip = this.snippets.get(arg.text);
        if (snip === undefined) throw this.err(t.line, `Import of '${arg.text}': only snippets defined above with (${arg.text}) { ... } can be imported`);
        // The snippet's tokens take the import line so they form whole lines where it stood.
        out.push(...this.expandImports(snip, depth + 1));
        i++;
        continue;
      }
      out.push(t);
    }
    return out;
  }

  /** Groups tokens into directive lines; `{` at the end of a line opens a nested block. */
  private lines(toks: Token[]): Directive[] {
    const out: Directive[] = [];
    let i = 0;
    while (i < toks.length) {
      const head = toks[i];
      if (head === undefined) break;
      if (isClose(head)) throw this.err(head.line, "Unexpected '}' because no matching opening brace");
      if (isOpen(head)) throw this.err(head.line, "Unexpected '{' at the start of a line");
      const d: Directive = { name: head.text, args: [], line: head.line, block: undefined };
      i++;
      while (i < toks.length) {
        const t = toks[i];
        if (t === undefined || (t.line !== head.line && !isOpen(t)) || isClose(t)) break;
        if (isOpen(t)) {
          i++;
          const inner: Token[] = [];
          let depth = 1;
          for (;;) {
            const u = toks[i++];
            if (u === undefined) throw this.err(t.line, 'Unexpected EOF: missing closing brace');
            if (isOpen(u)) depth++;
            if (isClose(u) && --depth === 0) break;
            inner.push(u);
          }
          d.block = this.lines(inner);
          break;
        }
        d.args.push(t.text);
        i++;
      }
      out.push(d);
    }
    return out;
  }
}

/** Parses Corefile text (after env substitution). Throws CorefileError. */
export function parseCorefile(text: string, opts: { file?: string; env?: Readonly<Record<string, string | undefined>> } = {}): Corefile {
  const file = opts.file ?? 'Corefile';
  const toks = tokenize(substituteEnv(text, opts.env ?? {}), file);
  return new Parser(toks, file).parse();
}
