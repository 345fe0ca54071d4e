import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  isDNS1123Label, isDNS1123Subdomain, isDNS1035Label, isQualifiedName, isValidLabelValue, isValidPortName,
  isValidPortNum, isWildcardDNS1123Subdomain, regexError,
} from './validation.ts';

const dns1035 = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const dns1123Label = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const dns1123Subdomain = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const labelValue = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const namePart = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

type Case = { name: string; given: string; want: string[] };

function table(title: string, fn: (s: string) => string[], cases: Case[]): void {
  describe(title, () => {
    for (const tc of cases) test(tc.name, () => assert.deepEqual(fn(tc.given), tc.want));
  });
}

table('isDNS1035Label', isDNS1035Label, [
  { name: 'valid', given: 'web', want: [] },
  { name: 'valid with dash and digit', given: 'my-svc-2', want: [] },
  { name: 'starts with digit (reference §3.6 #13)', given: '1web', want: [dns1035] },
  { name: 'uppercase', given: 'Web', want: [dns1035] },
  { name: 'too long', given: 'a'.repeat(64), want: ['must be no more than 63 characters'] },
  { name: 'empty', given: '', want: [dns1035] },
]);

table('isDNS1123Label', isDNS1123Label, [
  { name: 'valid', given: 'kube-system', want: [] },
  { name: 'starts with digit ok', given: '1abc', want: [] },
  { name: 'dots are a distinct message', given: 'a.b', want: ['must not contain dots'] },
  { name: 'trailing dash', given: 'abc-', want: [dns1123Label] },
  { name: 'too long and bad', given: `${'a'.repeat(63)}-`, want: ['must be no more than 63 characters', dns1123Label] },
]);

table('isDNS1123Subdomain', isDNS1123Subdomain, [
  { name: 'valid', given: 'web.example.com', want: [] },
  { name: 'underscore', given: 'my_name', want: [dns1123Subdomain] },
  { name: 'too long', given: `${'a'.repeat(250)}.com`, want: ['must be no more than 253 characters'] },
]);

table('isQualifiedName', isQualifiedName, [
  { name: 'plain', given: 'app', want: [] },
  { name: 'prefixed', given: 'app.kubernetes.io/name', want: [] },
  { name: 'bad name part', given: '-app', want: [namePart] },
  { name: 'empty prefix', given: '/app', want: ['prefix part must be non-empty'] },
  { name: 'bad prefix', given: 'Example.com/app', want: [`prefix part ${dns1123Subdomain}`] },
  { name: 'empty name', given: 'example.com/', want: ['name part must be non-empty', namePart] },
  { name: 'name too long', given: 'a'.repeat(64), want: ['name part must be no more than 63 characters'] },
  {
    name: 'two slashes', given: 'a/b/c',
    want: ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"],
  },
]);

table('isValidLabelValue', isValidLabelValue, [
  { name: 'empty is valid', given: '', want: [] },
  { name: 'valid', given: 'My_value-1.0', want: [] },
  { name: 'space (reference §3.6 #6)', given: 'bad value', want: [labelValue] },
  { name: 'too long', given: 'a'.repeat(64), want: ['must be no more than 63 characters'] },
]);

table('isValidPortName (IANA_SVC_NAME)', isValidPortName, [
  { name: 'valid', given: 'http', want: [] },
  { name: 'too long', given: 'a'.repeat(16), want: ['must be no more than 15 characters'] },
  { name: 'uppercase', given: 'HTTP', want: ['must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)', 'must contain at least one letter (a-z)'] },
  { name: 'digits only', given: '8080', want: ['must contain at least one letter (a-z)'] },
  { name: 'double hyphen', given: 'a--b', want: ['must not contain consecutive hyphens'] },
  { name: 'edge hyphen', given: '-ab', want: ['must not begin or end with a hyphen'] },
]);

table('isWildcardDNS1123Subdomain', isWildcardDNS1123Subdomain, [
  { name: 'valid', given: '*.example.com', want: [] },
  {
    name: 'no wildcard', given: 'example.com',
    want: ["a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"],
  },
]);

describe('numbers and messages', () => {
  test('isValidPortNum', () => {
    assert.deepEqual(isValidPortNum(80), []);
    assert.deepEqual(isValidPortNum(70000), ['must be between 1 and 65535, inclusive']);
    assert.deepEqual(isValidPortNum(0), ['must be between 1 and 65535, inclusive']);
  });
  test('regexError without examples', () => {
    assert.equal(regexError('bad', 'x+'), "bad (regex used for validation is 'x+')");
  });
});
