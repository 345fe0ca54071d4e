import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDnsFlags } from './cli.ts';

const rows: { name: string; args: string[]; want?: Partial<ReturnType<typeof parseDnsFlags>>; error?: RegExp }[] = [
  { name: 'defaults', args: [], want: { host: '127.0.0.1', port: 53, logLevel: 'warn', kubeconfig: undefined, publishAddress: undefined } },
  { name: 'all flags', args: ['--kubeconfig', 'k', '--dns-address=0.0.0.0:1053', '--http-address', '127.0.0.1:0', '--publish-address', '10.0.0.1', '--corefile', 'C', '--log-level', 'info'],
    want: { kubeconfig: 'k', host: '0.0.0.0', port: 1053, httpAddress: '127.0.0.1:0', publishAddress: '10.0.0.1', corefile: 'C', logLevel: 'info' } },
  { name: 'IPv6 address', args: ['--dns-address', '[::1]:5353'], want: { host: '::1', port: 5353 } },
  { name: 'port only', args: ['--dns-address', ':5353'], want: { host: '0.0.0.0', port: 5353 } },
  { name: 'unknown flag', args: ['--nope', 'x'], error: /unknown flag --nope/ },
  { name: 'missing value', args: ['--kubeconfig'], error: /needs a value/ },
  { name: 'bad address', args: ['--dns-address', 'localhost'], error: /must be HOST:PORT/ },
  { name: 'bad level', args: ['--log-level', 'loud'], error: /must be one of/ },
];

for (const r of rows) {
  test(`dns flags: ${r.name}`, () => {
    if (r.error !== undefined) {
      assert.throws(() => parseDnsFlags(r.args), r.error);
      return;
    }
    const got = parseDnsFlags(r.args);
    for (const [k, v] of Object.entries(r.want ?? {})) assert.equal(got[k as keyof typeof got], v, k);
  });
}
