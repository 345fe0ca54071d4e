import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { validateObjectMeta, validateObjectMetaFor, validateObjectMetaUpdate, nameIsDNSSubdomain } from './meta-validation.ts';
import { ResourceCatalog, type ResourceInfo } from './resources.ts';
import { fieldErrorString, invalid } from '../machinery/status.ts';
import type { ObjectMeta } from './types.ts';
import { makeService, makeCRD } from './testing.ts';

const catalog = new ResourceCatalog();
function info(group: string, plural: string): ResourceInfo {
  const i = catalog.get(group, 'v1', plural);
  if (i === undefined) throw new Error(plural);
  return i;
}

const dns1035 = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const dns1123Label = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const dns1123Subdomain = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const labelValue = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const namePart = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

describe('validateObjectMeta on create', () => {
  const cases: { name: string; given: [ResourceInfo, ObjectMeta]; want: string[] }[] = [
    { name: 'valid service', given: [info('', 'services'), { name: 'web', namespace: 'default' }], want: [] },
    { name: 'service name must be a DNS-1035 label', given: [info('', 'services'), { name: '1web', namespace: 'default' }], want: [`metadata.name: Invalid value: "1web": ${dns1035}`] },
    { name: 'pod name may be a subdomain', given: [info('', 'pods'), { name: 'web.1', namespace: 'default' }], want: [] },
    { name: 'pod name with underscore', given: [info('', 'pods'), { name: 'web_1', namespace: 'default' }], want: [`metadata.name: Invalid value: "web_1": ${dns1123Subdomain}`] },
    { name: 'namespace name is a DNS-1123 label', given: [info('', 'namespaces'), { name: 'a.b' }], want: ['metadata.name: Invalid value: "a.b": must not contain dots'] },
    { name: 'name required', given: [info('', 'configmaps'), { namespace: 'default' }], want: ['metadata.name: Required value: name or generateName is required'] },
    { name: 'generateName with trailing dash', given: [info('', 'services'), { generateName: 'web-', name: 'web-x7k2p', namespace: 'default' }], want: [] },
    { name: 'invalid generateName', given: [info('', 'services'), { generateName: 'Web-', name: 'web-abc', namespace: 'default' }], want: [`metadata.generateName: Invalid value: "Web-": ${dns1035}`] },
    { name: 'namespace required', given: [info('', 'pods'), { name: 'a' }], want: ['metadata.namespace: Required value'] },
    { name: 'namespace forbidden on cluster-scoped kinds', given: [info('', 'nodes'), { name: 'n1', namespace: 'default' }], want: ['metadata.namespace: Forbidden: not allowed on this type'] },
    { name: 'bad namespace name', given: [info('', 'pods'), { name: 'a', namespace: 'Default' }], want: [`metadata.namespace: Invalid value: "Default": ${dns1123Label}`] },
    { name: 'negative generation', given: [info('', 'pods'), { name: 'a', namespace: 'd', generation: -1 }], want: ['metadata.generation: Invalid value: -1: must be greater than or equal to 0'] },
    {
      name: 'labels', given: [info('', 'pods'), { name: 'a', namespace: 'd', labels: { app: 'bad value', '-k': 'v' } }],
      want: [`metadata.labels: Invalid value: "bad value": ${labelValue}`, `metadata.labels: Invalid value: "-k": ${namePart}`],
    },
    { name: 'annotation keys ignore case', given: [info('', 'pods'), { name: 'a', namespace: 'd', annotations: { 'Example.com/Key': 'v' } }], want: [] },
    { name: 'annotations over 256 KiB', given: [info('', 'pods'), { name: 'a', namespace: 'd', annotations: { big: 'x'.repeat(256 * 1024) } }], want: ['metadata.annotations: Too long: may not be more than 262144 bytes'] },
    {
      name: 'owner references', given: [info('', 'pods'), {
        name: 'a', namespace: 'd',
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs1', uid: 'u1', controller: true },
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs2', uid: '', controller: true },
        ],
      }],
      want: [
        'metadata.ownerReferences.uid: Invalid value: "": uid must not be empty',
        'metadata.ownerReferences: Invalid value: [{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs1","uid":"u1","controller":true},{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs2","uid":"","controller":true}]: Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/rs1 and ReplicaSet/rs2',
      ],
    },
    { name: 'finalizers', given: [info('', 'pods'), { name: 'a', namespace: 'd', finalizers: ['example.com/ok', 'bad/fin/x'] }], want: [`metadata.finalizers: Invalid value: "bad/fin/x": a qualified name ${namePart.replace('name part ', '')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`] },
  ];
  for (const tc of cases) {
    test(tc.name, () => assert.deepEqual(validateObjectMeta(tc.given[0], tc.given[1]).map(fieldErrorString), tc.want));
  }

  test('as kube-apiserver reports it (reference §3.6 #13)', () => {
    const svc = makeService('default', '1web');
    const errs = validateObjectMetaFor(info('', 'services'), svc);
    assert.equal(invalid('Service', '', '1web', errs).status.message, `Service "1web" is invalid: metadata.name: Invalid value: "1web": ${dns1035}`);
  });

  test('events accept any name', () => {
    assert.deepEqual(validateObjectMeta(info('', 'events'), { name: 'web.17a8b_X', namespace: 'd' }), []);
  });

  test('CRD name must be plural.group', () => {
    const crd = makeCRD('example.com', 'widgets', 'Widget', (c) => { c.metadata.name = 'widget.example.com'; });
    assert.deepEqual(validateObjectMetaFor(info('apiextensions.k8s.io', 'customresourcedefinitions'), crd).map(fieldErrorString), [
      'metadata.name: Invalid value: "widget.example.com": must be spec.names.plural+"."+spec.group',
    ]);
  });

  test('maskTrailingDash quirk: the last two characters become "a"', () => {
    assert.deepEqual(nameIsDNSSubdomain('a.-', true), []);
    assert.notDeepEqual(nameIsDNSSubdomain('a.-', false), []);
  });
});

describe('validateObjectMeta on update', () => {
  const old: ObjectMeta = { name: 'a', namespace: 'd', uid: 'u1', resourceVersion: '5', generation: 2, creationTimestamp: '2024-05-01T09:55:00Z' };
  const cases: { name: string; given: ObjectMeta; want: string[] }[] = [
    { name: 'unchanged', given: { ...old }, want: [] },
    { name: 'name immutable', given: { ...old, name: 'b' }, want: ['metadata.name: Invalid value: "b": field is immutable'] },
    { name: 'uid immutable', given: { ...old, uid: 'u2' }, want: ['metadata.uid: Invalid value: "u2": field is immutable'] },
    { name: 'creation time immutable', given: { ...old, creationTimestamp: '2024-05-01T10:00:00Z' }, want: ['metadata.creationTimestamp: Invalid value: 2024-05-01 10:00:00 +0000 UTC: field is immutable'] },
    { name: 'generation decrement', given: { ...old, generation: 1 }, want: ['metadata.generation: Invalid value: 1: must not be decremented'] },
    { name: 'labels still validated', given: { ...old, labels: { a: '-' } }, want: [`metadata.labels: Invalid value: "-": ${labelValue}`] },
  ];
  for (const tc of cases) test(tc.name, () => assert.deepEqual(validateObjectMeta(info('', 'pods'), tc.given, old).map(fieldErrorString), tc.want));

  test('no new finalizers while deleting', () => {
    const deleting: ObjectMeta = { ...old, deletionTimestamp: '2024-05-01T10:00:00Z', finalizers: ['a.io/x'] };
    assert.deepEqual(validateObjectMetaUpdate({ ...deleting, finalizers: ['a.io/x', 'b.io/y'] }, deleting).map(fieldErrorString), [
      'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"b.io/y"}',
    ]);
  });

  test('resourceVersion only on request', () => {
    const noRV: ObjectMeta = { ...old };
    delete noRV.resourceVersion;
    assert.deepEqual(validateObjectMetaUpdate(noRV, old), []);
    assert.deepEqual(validateObjectMetaUpdate(noRV, old, { requireResourceVersion: true }).map(fieldErrorString), ['metadata.resourceVersion: Invalid value: "": must be specified for an update']);
  });
});
