// Human-readable durations as apimachinery pkg/util/duration prints them (the AGE column). Pure.

/** Go's int(d.Seconds()): truncation toward zero. */
function truncSeconds(ms: number): number {
  return Math.trunc(ms / 1000);
}

/**
 * duration.HumanDuration: ~2-3 significant figures (`45s`, `5m30s`, `3h2m`, `2d5h`, `3y20d`).
 * Up to 1 s in the future counts as now (`0s`); further is `<invalid>`.
 */
export function humanDuration(ms: number): string {
  const seconds = truncSeconds(ms);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 10) {
    const s = Math.floor(ms / 1000) % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(ms / 3_600_000);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365;
    const y = Math.floor(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

/** duration.ShortHumanDuration: one unit only (`45s`, `5m`, `3h`, `2d`, `1y`). */
export function shortHumanDuration(ms: number): string {
  const seconds = truncSeconds(ms);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.trunc(ms / 3_600_000);
  if (hours < 24) return `${hours}h`;
  if (hours < 24 * 365) return `${Math.floor(hours / 24)}d`;
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/**
 * The AGE of a timestamp (RFC 3339) at `now`: `<unknown>` for an absent/zero timestamp, as the
 * printers' translateTimestampSince does; `<invalid>` when it does not parse.
 */
export function translateTimestampSince(ts: string | null | undefined, now: Date): string {
  if (ts === null || ts === undefined || ts === '' || ts.startsWith('0001-01-01T00:00:00')) return '<unknown>';
  const t = Date.parse(ts);
  if (Number.isNaN(t)) return '<invalid>';
  return humanDuration(now.getTime() - t);
}
