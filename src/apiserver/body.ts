// Reading and decoding request bodies: JSON, YAML and Kubernetes protobuf (kubectl 1.32's generator
// commands send protobuf), with upstream's 400 texts for undecodable bodies.
import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { StatusError, badRequest, unsupportedMediaType } from '../machinery/status.ts';
import { decodeKubernetesProtobuf } from '../api/protobuf/index.ts';

/** kube-apiserver's default request body limit (3 MiB). */
export const maxBodyBytes = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage, limit = maxBodyBytes): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit) {
      throw new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 413, reason: 'RequestEntityTooLarge', message: `Request entity too large: limit is ${limit}` });
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

export interface Decoded {
  value: unknown;
  /** Unknown fields found by a decoder that knows the schema (protobuf), as field paths. */
  unknownFields: string[];
}

/**
 * Decodes an object body. `what` names the expected type for error texts, e.g.
 * `Service in version "v1"` and `Service`.
 */
export function decodeObjectBody(body: Buffer, contentType: string | undefined, what: { kind: string; version: string }): Decoded {
  const mt = mediaType(contentType);
  const prefix = `${what.kind} in version "${what.version}" cannot be handled as a ${what.kind}`;
  if (mt === 'application/vnd.kubernetes.protobuf') {
    const d = decodeKubernetesProtobuf(new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
    return { value: d.object, unknownFields: d.unknownFields };
  }
  if (mt === '' || mt === 'application/json' || mt === '*/*') return { value: parseJson(body, prefix), unknownFields: [] };
  if (mt === 'application/yaml' || mt === 'application/x-yaml' || mt === 'text/yaml') {
    try {
      return { value: parseYaml(body.toString('utf8')) as unknown, unknownFields: [] };
    } catch (err) {
      throw badRequest(`${prefix}: yaml: ${(err as Error).message.split('\n')[0] ?? ''}`);
    }
  }
  throw unsupportedMediaType(mt);
}

/** Parses JSON with a Go-like error text (`json: ...`) for the 400 message. */
export function parseJson(body: Buffer, prefix: string): unknown {
  if (body.length === 0) throw badRequest(`${prefix}: Object 'Kind' is missing in ''`);
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (err) {
    throw badRequest(`${prefix}: json: ${(err as Error).message}`);
  }
}
