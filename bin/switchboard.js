#!/usr/bin/env node
// Entry point. Switchboard is TypeScript run directly by Node.js 24; when an older node starts this
// file (the machine's own node, outside npm scripts), re-run it with the Node 24 that `npm install`
// placed in node_modules (the `node` package), so `switchboard` works either way.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  const candidates = [join(here, '..', 'node_modules', 'node', 'bin', 'node'), join(here, '..', 'node_modules', '.bin', 'node')];
  const node24 = candidates.find((p) => existsSync(p));
  if (node24 === undefined) {
    console.error(`switchboard needs Node.js 24 or newer (this is ${process.version}); run npm install first`);
    process.exit(1);
  }
  const child = spawn(node24, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    if (signal !== null) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
} else {
  const { main } = await import('../src/cli/main.ts');
  await main(process.argv.slice(2));
}
