// Splits a watch stream (one JSON object per line, chunks cut anywhere, even inside a UTF-8
// sequence) into parsed values. Pure: fed Buffers, returns values.

/** Incremental newline-delimited JSON decoder. */
export class NdjsonDecoder {
  #pending: Buffer[] = [];
  #pendingLen = 0;

  /** Feeds a chunk; returns the complete values it finished. Throws SyntaxError on a bad line. */
  push(chunk: Buffer): unknown[] {
    const out: unknown[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      const piece = chunk.subarray(start, nl);
      let line: Buffer;
      if (this.#pendingLen > 0) {
        this.#pending.push(piece);
        line = Buffer.concat(this.#pending, this.#pendingLen + piece.length);
        this.#pending = [];
        this.#pendingLen = 0;
      } else {
        line = piece;
      }
      start = nl + 1;
      const text = line.toString('utf8').trim();
      if (text !== '') out.push(JSON.parse(text));
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.#pending.push(rest);
      this.#pendingLen += rest.length;
    }
    return out;
  }

  /** At end of stream: the last value if the stream did not end with a newline. */
  end(): unknown[] {
    if (this.#pendingLen === 0) return [];
    const text = Buffer.concat(this.#pending, this.#pendingLen).toString('utf8').trim();
    this.#pending = [];
    this.#pendingLen = 0;
    return text === '' ? [] : [JSON.parse(text)];
  }
}
