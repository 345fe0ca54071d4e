// What a plugin's setup function gets: its directive from the Corefile, the server block it is in,
// and the environment (cluster view, files, metrics, clock, log) — CoreDNS's caddy.Controller plus
// dnsserver.Config, reduced to what our plugins use.
import { CorefileError, type Directive } from '../corefile/parse.ts';
import { normalizeZone, parseDuration } from '../corefile/values.ts';
import type { Registry } from '../metrics/registry.ts';
import type { ClusterView } from '../plugins/kubernetes/view.ts';
import type { TransportFactory } from '../plugins/forward/transport.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, msg: string) => void;

/** What the server tells health/ready about itself. */
export interface ServerStatus {
  /** Names of plugins that are not ready yet (empty when ready). */
  notReady(): string[];
  /** True after stop() began (lameduck). */
  stopping(): boolean;
}

/** The world a setup may use; the server passes the real one, tests a fake. */
export interface SetupEnv {
  /** The Kubernetes data for the kubernetes plugin (undefined: the plugin cannot be used). */
  readonly cluster: ClusterView | undefined;
  readonly registry: Registry;
  readonly log: Logger;
  /** Where the log plugin writes query lines. */
  readonly queryLog: (line: string) => void;
  /** Reads a file (hosts, resolv.conf); throws like fs.readFileSync. */
  readonly readFile: (path: string) => string;
  /** mtime and size of a file, or undefined when it is missing. */
  readonly statFile: (path: string) => { mtimeMs: number; size: number } | undefined;
  /** Wall clock in ms (cache TTLs, SOA serials). */
  readonly now: () => number;
  /** Uniform in [0, 1) (forward's random policy, loadbalance). */
  readonly random: () => number;
  /** Makes the sockets forward talks to upstreams with. */
  readonly transport: TransportFactory;
  readonly status: ServerStatus;
  /** Where this server listens for DNS (loop sends its probe there); undefined before it binds. */
  readonly self: () => { host: string; port: number } | undefined;
  /** Sends a query to this server over UDP, as a client would (loop's probe). */
  readonly probe: (name: string, type: number) => Promise<void>;
}

export interface BlockInfo {
  /** Keys as written. */
  keys: readonly string[];
  /** Every zone of the block's keys, lower-case FQDNs. */
  zones: readonly string[];
  /** The `server` metrics label (`dns://:53`). */
  server: string;
  /** Names of the plugins the block uses (for coredns_plugin_enabled). */
  plugins: readonly string[];
}

/** One directive being set up. Errors thrown through `err` carry the Corefile line. */
export class Controller {
  readonly directive: Directive;
  readonly block: BlockInfo;
  readonly env: SetupEnv;
  readonly file: string;
  constructor(directive: Directive, block: BlockInfo, env: SetupEnv, file = 'Corefile') {
    this.directive = directive;
    this.block = block;
    this.env = env;
    this.file = file;
  }

  get name(): string {
    return this.directive.name;
  }

  get args(): string[] {
    return this.directive.args;
  }

  /** The nested block's lines ([] when there is none). */
  get lines(): Directive[] {
    return this.directive.block ?? [];
  }

  /** An error at a line of this directive (default: the directive's own line). */
  err(msg: string, line = this.directive.line): CorefileError {
    return new CorefileError(this.file, line, msg, `plugin/${this.directive.name}: `);
  }

  /** CoreDNS's "Wrong argument count or unexpected line ending after 'X'". */
  argErr(d: Directive = this.directive): CorefileError {
    const last = d.args[d.args.length - 1] ?? d.name;
    return this.err(`Wrong argument count or unexpected line ending after '${last}'`, d.line);
  }

  /** "unknown property 'x'" for a line in the block. */
  unknownProperty(d: Directive): CorefileError {
    return this.err(`unknown property '${d.name}'`, d.line);
  }

  /** Zones given as arguments (names or CIDRs), or the server block's zones when none. */
  zones(args: readonly string[]): string[] {
    if (args.length === 0) return [...this.block.zones];
    const out: string[] = [];
    for (const a of args) {
      try {
        out.push(...normalizeZone(a));
      } catch (e) {
        throw this.err(e instanceof Error ? e.message : String(e));
      }
    }
    return out;
  }

  /** A duration argument in ms; errors name the line. */
  duration(s: string | undefined, d: Directive = this.directive): number {
    const ms = s === undefined ? undefined : parseDuration(s);
    if (ms === undefined) throw this.err(`invalid duration '${s ?? ''}'`, d.line);
    return ms;
  }

  /** An integer argument within bounds. */
  int(s: string | undefined, d: Directive, min: number, max: number, what = d.name): number {
    if (s === undefined || !/^-?\d+$/.test(s)) throw this.err(`${what}: invalid number '${s ?? ''}'`, d.line);
    const n = Number(s);
    if (n < min || n > max) throw this.err(`${what}: ${n} must be between ${min} and ${max}`, d.line);
    return n;
  }
}
