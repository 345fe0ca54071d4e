// The query grammar of the kubernetes plugin (CoreDNS plugin/kubernetes/parse.go), relative to the
// zone: `[_port._proto. | endpoint.] service.namespace.(svc|pod)`. Pure.
import { splitName, trimZone } from '../../dns/names.ts';

export interface RecordRequest {
  /** '' for the apex, `svc.<zone>`, `pod.<zone>` (NODATA names). */
  podOrSvc: '' | 'svc' | 'pod';
  namespace: string;
  service: string;
  /** An endpoint hostname (or pod label) left of the service. */
  endpoint: string;
  /** Port name and protocol of `_port._proto.` (underscores removed). */
  port: string;
  protocol: string;
}

/**
 * Parses a lower-case query name under a lower-case zone. Returns undefined for names the grammar
 * does not allow (last label neither `svc` nor `pod`, or too many labels): those are NXDOMAIN.
 */
export function parseRequest(name: string, zone: string): RecordRequest | undefined {
  const r: RecordRequest = { podOrSvc: '', namespace: '', service: '', endpoint: '', port: '', protocol: '' };
  const base = trimZone(name, zone);
  if (base === '' || base === 'svc' || base === 'pod') return r;
  let segs: string[];
  try {
    segs = splitName(base);
  } catch {
    return undefined;
  }
  let last = segs.length - 1;
  const kind = segs[last];
  if (kind !== 'svc' && kind !== 'pod') return undefined;
  r.podOrSvc = kind;
  last--;
  if (last < 0) return r;
  r.namespace = segs[last] ?? '';
  last--;
  if (last < 0) return r;
  r.service = segs[last] ?? '';
  last--;
  if (last < 0) return r;
  if (last === 0) {
    r.endpoint = segs[0] ?? '';
  } else if (last === 1) {
    r.protocol = stripUnderscore(segs[1] ?? '');
    r.port = stripUnderscore(segs[0] ?? '');
  } else {
    return undefined;
  }
  return r;
}

function stripUnderscore(s: string): string {
  return s.startsWith('_') ? s.slice(1) : s;
}
