// Runs `switchboard dns` directly: `node src/cluster-dns/main.ts --kubeconfig K [flags]`.
import { runDnsCommand, DnsUsageError, dnsUsage } from './cli.ts';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(dnsUsage);
} else {
  runDnsCommand(args).catch((err: unknown) => {
    if (err instanceof DnsUsageError) process.stderr.write(`switchboard dns: ${err.message}\n\n${dnsUsage}`);
    else process.stderr.write(`switchboard dns: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof DnsUsageError ? 2 : 1);
  });
}
