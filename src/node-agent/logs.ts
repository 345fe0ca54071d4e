// Container logs in the CRI file format the kubelet reads (`<RFC3339Nano> <stream> <F|P> <text>`), one
// file per container run, and the reading side of `kubectl logs`: tail, timestamps, since, limitBytes,
// and follow (new lines are pushed to followers until the run ends).
import { EventEmitter } from 'node:events';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

/** One decoded log line. */
export interface LogLine {
  time: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

/** RFC 3339 with nanoseconds (the CRI log timestamp). */
export function rfc3339Nano(ms: number, extraNanos = 0): string {
  const iso = new Date(ms).toISOString();
  const frac = String((ms % 1000) * 1_000_000 + extraNanos).padStart(9, '0');
  return `${iso.slice(0, 19)}.${frac}Z`;
}

const maxLine = 16 * 1024;

/** Writes one container run's output; emits 'line' (LogLine) and 'close'. */
export class LogWriter extends EventEmitter {
  readonly path: string;
  private fd: number | undefined;
  private readonly partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  private seq = 0;
  closed = false;

  constructor(path: string) {
    super();
    this.path = path;
    this.fd = openSync(path, 'a');
  }

  private stamp(): string {
    // Distinct, increasing timestamps within a millisecond keep lines ordered for readers that sort.
    return rfc3339Nano(Date.now(), this.seq++ % 1_000_000);
  }

  private emitLine(stream: 'stdout' | 'stderr', text: string, tag: 'F' | 'P'): void {
    const time = this.stamp();
    if (this.fd !== undefined) {
      try {
        writeSync(this.fd, `${time} ${stream} ${tag} ${text}\n`);
      } catch { /* disk full: the line is still delivered to followers */ }
    }
    this.emit('line', { time, stream, text: tag === 'P' ? text : text }, tag);
  }

  /** Appends output; complete lines are written at once, a partial line when it grows too long. */
  write(stream: 'stdout' | 'stderr', chunk: Buffer | string): void {
    if (this.closed) return;
    let buf = this.partial[stream] + chunk.toString();
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      this.emitLine(stream, buf.slice(0, nl), 'F');
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
    }
    while (buf.length > maxLine) {
      this.emitLine(stream, buf.slice(0, maxLine), 'P');
      buf = buf.slice(maxLine);
    }
    this.partial[stream] = buf;
  }

  /** Writes what is left and closes the file. */
  close(): void {
    if (this.closed) return;
    for (const s of ['stdout', 'stderr'] as const) {
      if (this.partial[s] !== '') this.emitLine(s, this.partial[s], 'F');
      this.partial[s] = '';
    }
    this.closed = true;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.emit('close');
  }
}

/** Decodes a CRI log file, joining partial (P) lines. */
export function parseCriLog(text: string): LogLine[] {
  const out: LogLine[] = [];
  let pending: LogLine | undefined;
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    const a = raw.indexOf(' ');
    const b = raw.indexOf(' ', a + 1);
    const c = raw.indexOf(' ', b + 1);
    if (a < 0 || b < 0) continue;
    const time = raw.slice(0, a);
    const stream = raw.slice(a + 1, b) === 'stderr' ? 'stderr' : 'stdout';
    const tag = c < 0 ? raw.slice(b + 1) : raw.slice(b + 1, c);
    const text = c < 0 ? '' : raw.slice(c + 1);
    if (pending !== undefined && pending.stream === stream) {
      pending.text += text;
    } else {
      if (pending !== undefined) out.push(pending);
      pending = { time, stream, text };
    }
    if (tag !== 'P') {
      out.push(pending);
      pending = undefined;
    }
  }
  if (pending !== undefined) out.push(pending);
  return out;
}

export function readLogFile(path: string): LogLine[] {
  try {
    return parseCriLog(readFileSync(path, 'utf8'));
  } catch {
    return [];
  }
}

/** The options of `GET pods/log` (k8s.io/api core/v1 PodLogOptions). */
export interface LogOptions {
  container?: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: string;
  limitBytes?: number;
}

/** Parses the query of a log request; throws a message for bad values (a 400). */
export function parseLogQuery(q: URLSearchParams): LogOptions {
  const bool = (k: string) => q.get(k) === 'true' || q.get(k) === '1';
  const int = (k: string): number | undefined => {
    const v = q.get(k);
    if (v === null || v === '') return undefined;
    if (!/^-?\d+$/.test(v)) throw new Error(`${k}: invalid value ${JSON.stringify(v)}`);
    return Number(v);
  };
  const o: LogOptions = { follow: bool('follow'), previous: bool('previous'), timestamps: bool('timestamps') };
  const c = q.get('container');
  if (c !== null && c !== '') o.container = c;
  const tail = int('tailLines');
  if (tail !== undefined && tail >= 0) o.tailLines = tail;
  const since = int('sinceSeconds');
  if (since !== undefined) {
    if (since < 1) throw new Error('sinceSeconds: Invalid value: must be greater than 0');
    o.sinceSeconds = since;
  }
  const st = q.get('sinceTime');
  if (st !== null && st !== '') o.sinceTime = st;
  const lb = int('limitBytes');
  if (lb !== undefined) {
    if (lb < 1) throw new Error('limitBytes: Invalid value: must be greater than 0');
    o.limitBytes = lb;
  }
  return o;
}

/** Selects and formats lines for a reply. */
export function formatLines(lines: readonly LogLine[], o: LogOptions, nowMs: number): string {
  let sel = lines;
  const since = o.sinceSeconds !== undefined ? nowMs - o.sinceSeconds * 1000 : o.sinceTime !== undefined ? Date.parse(o.sinceTime) : undefined;
  if (since !== undefined && !Number.isNaN(since)) sel = sel.filter((l) => Date.parse(l.time) >= since);
  if (o.tailLines !== undefined) sel = o.tailLines === 0 ? [] : sel.slice(-o.tailLines);
  return sel.map((l) => formatLine(l, o)).join('');
}

export function formatLine(l: LogLine, o: Pick<LogOptions, 'timestamps'>): string {
  return o.timestamps ? `${l.time} ${l.text}\n` : `${l.text}\n`;
}
