// Status errors raised while applying patches. kube-apiserver answers:
//  - 400 BadRequest for a body that does not decode as the patch type, and for the strategic
//    merge patch format errors it recognises (`invalid patch format of setElementOrder list`, …);
//  - 422 for a JSON patch that does not apply (upstream replaces the text with the generic
//    `the server rejected our request due to an error in our request`; we keep the specific
//    text, which names the operation and the path, so kubectl prints something useful);
//  - 413 for more than 10000 JSON patch operations;
//  - 415 for a patch content type the resource does not accept.

import { StatusError, badRequest, type Status } from '../../machinery/status.ts';

function statusError(code: number, reason: string, message: string): StatusError {
  const status: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  return new StatusError(status);
}

/** 400 BadRequest: the patch body is malformed. */
export function malformedPatch(message: string): StatusError {
  return badRequest(message);
}

/** 422 Invalid without details: the patch is well-formed but cannot be applied. */
export function patchNotApplicable(message: string): StatusError {
  return statusError(422, 'Invalid', message);
}

/** 413 RequestEntityTooLarge, worded like apimachinery's NewRequestEntityTooLargeError. */
export function requestEntityTooLarge(message: string): StatusError {
  return statusError(413, 'RequestEntityTooLarge', `Request entity too large: ${message}`);
}

/** 415 UnsupportedMediaType with a free-form message. */
export function unsupportedPatchMediaType(message: string): StatusError {
  return statusError(415, 'UnsupportedMediaType', message);
}
