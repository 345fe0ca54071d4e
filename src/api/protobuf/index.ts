// Kubernetes protobuf request bodies → JSON objects. See README.md.

export { decodeKubernetesProtobuf, supportedKinds, PROTOBUF_MAGIC, type DecodeResult } from './decode.ts';

/** The media type kubectl 1.32's typed clients send (`Content-Type`) for create bodies. */
export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

/** Whether a Content-Type header names Kubernetes protobuf (parameters and case ignored). */
export function isProtobufContentType(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() === PROTOBUF_CONTENT_TYPE;
}
