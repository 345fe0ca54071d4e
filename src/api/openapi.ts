// The minimal OpenAPI v3 that kubectl's field-validation check needs (reference §1.5): an index
// listing every served group/version, and per group/version one PATCH path per kind carrying
// `x-kubernetes-group-version-kind` and a `fieldValidation` query parameter. No requestBody and
// empty `components.schemas`, so kubectl stays on its built-in strategic-merge types silently.
// Pure.
import { createHash } from 'node:crypto';
import type { ResourceInfo } from './resources.ts';
import { ResourceCatalog } from './resources.ts';

export interface OpenAPIV3Index {
  paths: Record<string, { serverRelativeURL: string }>;
}

export interface OpenAPIV3Parameter {
  name: string;
  in: 'query' | 'path';
  description: string;
  required?: boolean;
  schema: { type: 'string' | 'boolean'; uniqueItems?: boolean };
}

export interface OpenAPIV3Operation {
  tags: string[];
  description: string;
  operationId: string;
  parameters: OpenAPIV3Parameter[];
  responses: Record<string, { description: string }>;
  'x-kubernetes-action': 'patch';
  'x-kubernetes-group-version-kind': { group: string; version: string; kind: string };
}

export interface OpenAPIV3Document {
  openapi: '3.0.0';
  info: { title: string; version: string };
  paths: Record<string, { parameters?: OpenAPIV3Parameter[]; patch?: OpenAPIV3Operation }>;
  components: { schemas: Record<string, never> };
}

/** The version string in `info`, matching the `/version` Switchboard reports. */
export const OPENAPI_INFO_VERSION = 'v1.32.4';

function catalogOf(resources: readonly ResourceInfo[] | ResourceCatalog): ResourceCatalog {
  return resources instanceof ResourceCatalog ? resources : new ResourceCatalog(resources);
}

/** `api/v1` or `apis/apps/v1`: the index key and URL path of a group/version. */
export function openAPIPathFor(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

function parseGVPath(path: string): { group: string; version: string } | undefined {
  const parts = path.replace(/^\/+|\/+$/g, '').split('/');
  if (parts.length === 2 && parts[0] === 'api' && parts[1] !== undefined && parts[1] !== '') return { group: '', version: parts[1] };
  if (parts.length === 3 && parts[0] === 'apis' && parts[1] && parts[2]) return { group: parts[1], version: parts[2] };
  return undefined;
}

const queryParams: OpenAPIV3Parameter[] = [
  {
    name: 'dryRun', in: 'query',
    description: 'When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed',
    schema: { type: 'string', uniqueItems: true },
  },
  {
    name: 'fieldManager', in: 'query',
    description: 'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint. This field is required for apply requests (application/apply-patch) but optional for non-apply patch types (JsonPatch, MergePatch, StrategicMergePatch).',
    schema: { type: 'string', uniqueItems: true },
  },
  {
    name: 'fieldValidation', in: 'query',
    description: 'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. This is the default behavior prior to v1.23. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.',
    schema: { type: 'string', uniqueItems: true },
  },
  {
    name: 'force', in: 'query',
    description: 'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.',
    schema: { type: 'boolean', uniqueItems: true },
  },
];

function pathParams(namespaced: boolean, kind: string): OpenAPIV3Parameter[] {
  const ps: OpenAPIV3Parameter[] = [{ name: 'name', in: 'path', description: `name of the ${kind}`, required: true, schema: { type: 'string', uniqueItems: true } }];
  if (namespaced) ps.push({ name: 'namespace', in: 'path', description: 'object name and auth scope, such as for teams and projects', required: true, schema: { type: 'string', uniqueItems: true } });
  return ps;
}

function tagFor(group: string, version: string): string {
  const g = group === '' ? 'core' : group.replace(/\.k8s\.io$/, '').replace(/\./g, '_');
  return `${g}_${version}`;
}

function operationId(group: string, version: string, kind: string, namespaced: boolean): string {
  const cap = (s: string) => (s === '' ? s : s[0]?.toUpperCase() + s.slice(1));
  const g = group === '' ? 'Core' : group.replace(/\.k8s\.io$/, '').split(/[.-]/).map(cap).join('');
  return `patch${g}${cap(version)}${namespaced ? 'Namespaced' : ''}${kind}`;
}

/** The per-group/version document for `/openapi/v3/<path>` (`api/v1`, `apis/apps/v1`), or undefined. */
export function openapiV3Document(resources: readonly ResourceInfo[] | ResourceCatalog, path: string): OpenAPIV3Document | undefined {
  const gv = parseGVPath(path);
  if (gv === undefined) return undefined;
  const infos = catalogOf(resources).inGroupVersion(gv.group, gv.version);
  if (infos.length === 0) return undefined;
  const base = gv.group === '' ? `/api/${gv.version}` : `/apis/${gv.group}/${gv.version}`;
  const paths: OpenAPIV3Document['paths'] = {};
  for (const r of infos) {
    const p = r.namespaced ? `${base}/namespaces/{namespace}/${r.plural}/{name}` : `${base}/${r.plural}/{name}`;
    paths[p] = {
      parameters: pathParams(r.namespaced, r.kind),
      patch: {
        tags: [tagFor(r.group, r.version)],
        description: `partially update the specified ${r.kind}`,
        operationId: operationId(r.group, r.version, r.kind, r.namespaced),
        parameters: queryParams,
        responses: { '200': { description: 'OK' }, '201': { description: 'Created' }, '401': { description: 'Unauthorized' } },
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': { group: r.group, version: r.version, kind: r.kind },
      },
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: OPENAPI_INFO_VERSION }, paths, components: { schemas: {} } };
}

/** Upstream's hash of a served spec: uppercase hex SHA-512 of its bytes. */
export function openAPIHash(doc: OpenAPIV3Document): string {
  return createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
}

/** `/openapi/v3`: every served group/version with a URL whose `hash` changes when the document does. */
export function openapiV3Index(resources: readonly ResourceInfo[] | ResourceCatalog): OpenAPIV3Index {
  const catalog = catalogOf(resources);
  const paths: OpenAPIV3Index['paths'] = {};
  for (const g of catalog.groups()) {
    for (const v of g.versions) {
      const key = openAPIPathFor(g.group, v);
      const doc = openapiV3Document(catalog, key);
      if (doc !== undefined) paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${openAPIHash(doc)}` };
    }
  }
  return { paths };
}
