// Kubernetes Status errors, worded as kube-apiserver words them (apimachinery/pkg/api/errors and
// pkg/util/validation/field). Pure: no I/O.

/** A metav1.Status object as sent on the wire. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

/** An error that carries a Kubernetes Status from wherever it is raised to the HTTP response. */
export class StatusError extends Error {
  readonly status: Status;
  constructor(status: Status) {
    super(status.message ?? status.reason ?? 'error');
    this.name = 'StatusError';
    this.status = status;
  }
  get code(): number {
    return this.status.code;
  }
  get reason(): string {
    return this.status.reason ?? '';
  }
}

/** Identifies a resource the way error texts name it: `services` or `deployments.apps`. */
export interface GroupResource {
  group: string;
  resource: string;
}

export function qualifiedResource(gr: GroupResource): string {
  return gr.group === '' ? gr.resource : `${gr.resource}.${gr.group}`;
}

function failure(code: number, reason: string, message: string, details?: StatusDetails): StatusError {
  const status: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details !== undefined) status.details = details;
  return new StatusError(status);
}

function detailsFor(gr: GroupResource, name: string): StatusDetails {
  const d: StatusDetails = { name, kind: gr.resource };
  if (gr.group !== '') d.group = gr.group;
  return d;
}

export function notFound(gr: GroupResource, name: string): StatusError {
  return failure(404, 'NotFound', `${qualifiedResource(gr)} "${name}" not found`, detailsFor(gr, name));
}

export function alreadyExists(gr: GroupResource, name: string): StatusError {
  return failure(409, 'AlreadyExists', `${qualifiedResource(gr)} "${name}" already exists`, detailsFor(gr, name));
}

export function conflict(gr: GroupResource, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again'): StatusError {
  return failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(gr)} "${name}": ${why}`, detailsFor(gr, name));
}

export function badRequest(message: string): StatusError {
  return failure(400, 'BadRequest', message);
}

export function unauthorized(message = 'Unauthorized'): StatusError {
  return failure(401, 'Unauthorized', message);
}

export function forbidden(gr: GroupResource, name: string, message: string): StatusError {
  const what = name === '' ? qualifiedResource(gr) : `${qualifiedResource(gr)} "${name}"`;
  return failure(403, 'Forbidden', `${what} is forbidden: ${message}`, detailsFor(gr, name));
}

export function methodNotSupported(gr: GroupResource, verb: string): StatusError {
  return failure(405, 'MethodNotAllowed', `${verb} is not supported on resources of kind "${qualifiedResource(gr)}"`, { kind: gr.resource, ...(gr.group !== '' ? { group: gr.group } : {}) });
}

export function gone(message: string): StatusError {
  return failure(410, 'Expired', message);
}

export function unsupportedMediaType(contentType: string): StatusError {
  return failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`, { kind: contentType });
}

export function notAcceptable(message: string): StatusError {
  return failure(406, 'NotAcceptable', message);
}

export function tooManyRequests(message: string): StatusError {
  return failure(429, 'TooManyRequests', message);
}

export function internalError(err: unknown): StatusError {
  const msg = err instanceof Error ? err.message : String(err);
  return failure(500, 'InternalError', `Internal error occurred: ${msg}`, { causes: [{ reason: '', message: msg }] });
}

export function notFoundPath(): StatusError {
  return failure(404, 'NotFound', 'the server could not find the requested resource', {});
}

// ---- field errors (k8s.io/apimachinery/pkg/util/validation/field) ----

export const FieldErrorType = {
  Invalid: 'FieldValueInvalid',
  Required: 'FieldValueRequired',
  Duplicate: 'FieldValueDuplicate',
  NotSupported: 'FieldValueNotSupported',
  Forbidden: 'FieldValueForbidden',
  TooLong: 'FieldValueTooLong',
  TooMany: 'FieldValueTooMany',
  NotFound: 'FieldValueNotFound',
  Internal: 'InternalError',
  TypeInvalid: 'FieldValueTypeInvalid',
} as const;
export type FieldErrorType = (typeof FieldErrorType)[keyof typeof FieldErrorType];

/** A value as Go's field errors print it: strings quoted, numbers bare, slices as `[]string{...}`. */
export type GoValue =
  | { kind: 'string'; v: string }
  | { kind: 'int'; v: number }
  | { kind: 'bool'; v: boolean }
  | { kind: 'strings'; v: readonly string[] }
  | { kind: 'raw'; v: string };

export interface FieldError {
  type: FieldErrorType;
  field: string;
  value?: GoValue;
  detail: string;
}

/** Go's %q for the common cases (ASCII printable passes through; quotes and backslashes escaped). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/** Wraps a JS value for a field error message, choosing the Go rendering from its type. */
export function goValue(v: unknown): GoValue {
  if (typeof v === 'string') return { kind: 'string', v };
  if (typeof v === 'number') return { kind: 'int', v };
  if (typeof v === 'boolean') return { kind: 'bool', v };
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return { kind: 'strings', v: v as string[] };
  return { kind: 'raw', v: JSON.stringify(v) };
}

function renderValue(v: GoValue): string {
  switch (v.kind) {
    case 'string': return goQuote(v.v);
    case 'int': return String(v.v);
    case 'bool': return String(v.v);
    case 'strings': return `[]string{${v.v.map(goQuote).join(', ')}}`;
    case 'raw': return v.v;
  }
}

/** The error body without the field path, e.g. `Invalid value: 70000: must be between 1 and 65535, inclusive`. */
export function fieldErrorBody(e: FieldError): string {
  switch (e.type) {
    case FieldErrorType.Required:
    case FieldErrorType.Forbidden:
    case FieldErrorType.TooLong:
    case FieldErrorType.Internal: {
      const head = e.type === FieldErrorType.Required ? 'Required value' : e.type === FieldErrorType.Forbidden ? 'Forbidden' : e.type === FieldErrorType.TooLong ? 'Too long' : 'Internal error';
      return e.detail === '' ? head : `${head}: ${e.detail}`;
    }
    case FieldErrorType.TooMany:
      return e.detail === '' ? 'Too many' : `Too many: ${e.detail}`;
    default: {
      const head = e.type === FieldErrorType.Invalid ? 'Invalid value'
        : e.type === FieldErrorType.Duplicate ? 'Duplicate value'
        : e.type === FieldErrorType.NotSupported ? 'Unsupported value'
        : e.type === FieldErrorType.NotFound ? 'Not found'
        : 'Invalid value';
      const val = e.value === undefined ? '' : renderValue(e.value);
      let s = e.value === undefined ? head : `${head}: ${val}`;
      if (e.detail !== '') s += `: ${e.detail}`;
      return s;
    }
  }
}

export function fieldErrorString(e: FieldError): string {
  return e.field === '' ? fieldErrorBody(e) : `${e.field}: ${fieldErrorBody(e)}`;
}

export const fieldErr = {
  invalid: (field: string, value: unknown, detail: string): FieldError => ({ type: FieldErrorType.Invalid, field, value: goValue(value), detail }),
  required: (field: string, detail = ''): FieldError => ({ type: FieldErrorType.Required, field, detail }),
  forbidden: (field: string, detail: string): FieldError => ({ type: FieldErrorType.Forbidden, field, detail }),
  duplicate: (field: string, value: unknown): FieldError => ({ type: FieldErrorType.Duplicate, field, value: goValue(value), detail: '' }),
  notSupported: (field: string, value: unknown, supported: readonly string[]): FieldError => ({
    type: FieldErrorType.NotSupported, field, value: goValue(value),
    detail: supported.length === 0 ? '' : `supported values: ${supported.map(goQuote).join(', ')}`,
  }),
  tooLong: (field: string, max: number): FieldError => ({ type: FieldErrorType.TooLong, field, detail: `may not be more than ${max} bytes` }),
  notFound: (field: string, value: unknown): FieldError => ({ type: FieldErrorType.NotFound, field, value: goValue(value), detail: '' }),
};

/** 422 Invalid with every cause listed, as kube-apiserver's NewInvalid builds it. */
export function invalid(kind: string, group: string, name: string, errs: readonly FieldError[]): StatusError {
  const causes: StatusCause[] = errs.map((e) => ({ reason: e.type, message: fieldErrorBody(e), field: e.field }));
  const strs = errs.map(fieldErrorString);
  let message: string;
  if (strs.length === 1) message = `${kind} "${name}" is invalid: ${strs[0]}`;
  else message = `${kind} "${name}" is invalid: [${strs.join(', ')}]`;
  const details: StatusDetails = { name, kind, causes };
  if (group !== '') details.group = group;
  return failure(422, 'Invalid', message, details);
}

export function isStatusError(e: unknown): e is StatusError {
  return e instanceof StatusError;
}
