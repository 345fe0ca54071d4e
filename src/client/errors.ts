// Client errors. Answers from the server are StatusErrors (src/machinery/status.ts) carrying the
// server's Status; everything else (network, timeouts, aborts, undecodable bodies, bad kubeconfig)
// is a ClientError with a stable `code`, as undici's errors have. Pure: no I/O.
import { StatusError, type Status } from '../machinery/status.ts';

export type ClientErrorCode =
  /** The connection failed or broke (refused, reset, DNS, TLS); `syscallCode` says which. */
  | 'ERR_CLIENT_NETWORK'
  /** No complete answer within the request's timeout. */
  | 'ERR_CLIENT_TIMEOUT'
  /** The caller's AbortSignal fired. */
  | 'ERR_CLIENT_ABORTED'
  /** A 2xx body that is not the JSON it should be. */
  | 'ERR_CLIENT_DECODE'
  /** A kubeconfig or in-cluster configuration that cannot be used. */
  | 'ERR_CLIENT_CONFIG';

/** A failure that is not an answer from the API server. */
export class ClientError extends Error {
  readonly code: ClientErrorCode;
  /** The system error code of a network failure (`ECONNREFUSED`, `ECONNRESET`, ...), if any. */
  readonly syscallCode: string | undefined;

  constructor(code: ClientErrorCode, message: string, options: { cause?: unknown; syscallCode?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ClientError';
    this.code = code;
    this.syscallCode = options.syscallCode;
  }
}

export function isClientError(e: unknown, code?: ClientErrorCode): e is ClientError {
  return e instanceof ClientError && (code === undefined || e.code === code);
}

function statusCode(e: unknown): number | undefined {
  return e instanceof StatusError ? e.status.code : undefined;
}

/** 404 NotFound. */
export function isNotFound(e: unknown): boolean {
  return statusCode(e) === 404;
}

/** 409 AlreadyExists. */
export function isAlreadyExists(e: unknown): boolean {
  return e instanceof StatusError && e.status.code === 409 && e.status.reason === 'AlreadyExists';
}

/** 409 Conflict (a stale resourceVersion or failed precondition). */
export function isConflict(e: unknown): boolean {
  return e instanceof StatusError && e.status.code === 409 && e.status.reason !== 'AlreadyExists';
}

/** 410 Gone / Expired: the resourceVersion or continue token is too old; relist. */
export function isGone(e: unknown): boolean {
  return statusCode(e) === 410;
}

/** 422 Invalid. */
export function isInvalid(e: unknown): boolean {
  return statusCode(e) === 422;
}

/** A metav1.Status body (as opposed to an object) — e.g. what DELETE returns on real clusters. */
export function isStatus(v: unknown): v is Status {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'Status' && typeof (v as { code?: unknown }).code === 'number';
}

/** Reason and message client-go gives a non-Status error body (apimachinery errors.NewGenericServerResponse). */
const genericReasons: Readonly<Record<number, [string, string]>> = {
  400: ['BadRequest', 'the server rejected our request for an unknown reason'],
  401: ['Unauthorized', 'the server has asked for the client to provide credentials'],
  403: ['Forbidden', 'the server does not allow access to the requested resource'],
  404: ['NotFound', 'the server could not find the requested resource'],
  405: ['MethodNotAllowed', 'the server does not allow this method on the requested resource'],
  406: ['NotAcceptable', 'the server was unable to respond with a content type that the client supports'],
  409: ['Conflict', 'the server reported a conflict'],
  410: ['Gone', 'the server has asked for the client to relist'],
  413: ['RequestEntityTooLarge', 'the server has rejected the request because it is too large'],
  415: ['UnsupportedMediaType', 'the server was unable to handle the media type requested'],
  422: ['Invalid', 'the server rejected our request due to an error in our request'],
  429: ['TooManyRequests', 'the server has received too many requests and has asked us to try again later'],
  500: ['InternalError', 'an error on the server has prevented the request from succeeding'],
  503: ['ServiceUnavailable', 'the server is currently unable to handle the request'],
  504: ['Timeout', 'the server was unable to return a response in the time allotted, but may still be processing the request'],
};

/**
 * The StatusError for a non-2xx answer: the server's own Status when the body is one, otherwise a
 * synthetic Status with client-go's generic wording and the body text as the cause.
 */
export function statusErrorFromResponse(httpCode: number, body: string): StatusError {
  try {
    const v: unknown = JSON.parse(body);
    if (isStatus(v)) {
      // Some proxies send Status bodies whose code disagrees with the HTTP code: trust the HTTP code.
      return new StatusError({ ...v, code: v.code === 0 ? httpCode : v.code });
    }
  } catch {
    // not JSON: fall through to a synthetic Status
  }
  const [reason, message] = genericReasons[httpCode] ?? ['Unknown', `an error on the server ("${body.trim().slice(0, 200)}") has prevented the request from succeeding`];
  const text = body.trim();
  return new StatusError({
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: httpCode, reason, message,
    ...(text === '' ? {} : { details: { causes: [{ reason: 'UnexpectedServerResponse', message: text.slice(0, 1000) }] } }),
  });
}
