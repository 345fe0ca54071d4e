// Builds each server block of a parsed Corefile into a plugin chain: unknown directives are
// reported by name, plugins are set up in plugin.cfg order (directives.ts) and their handlers
// linked so each can answer or call the next. Pure apart from what setups do with the env.
import { CorefileError, type Corefile, type Directive } from '../corefile/parse.ts';
import { parseServerKey } from '../corefile/values.ts';
import { Rcode } from '../dns/types.ts';
import { Controller, type SetupEnv } from './controller.ts';
import { corednsDirectives, directiveIndex, directives, type DirectiveName } from './directives.ts';
import { rcodeReply, type Handler, type Next, type Plugin } from './plugin.ts';
import { setups } from './registry.ts';

export interface BlockConfig {
  keys: string[];
  /** Lower-case FQDN zones of the keys. */
  zones: string[];
  /** The port the keys name (undefined: none given, the default DNS port). */
  port: number | undefined;
  /** The `server` metrics label (`dns://:53`). */
  server: string;
  /** Plugins in chain order. */
  plugins: Plugin[];
  /** The first handler, bound to the rest. */
  chain: Next;
}

/** Links handlers so each one's `next` is the one after it; the end answers SERVFAIL. */
export function linkHandlers(handlers: readonly Handler[]): Next {
  const last = handlers[handlers.length - 1];
  let next: Next = async (req) => rcodeReply(req, Rcode.SERVFAIL, '', new Error(`plugin/${last?.name ?? 'server'}: no next plugin found`));
  for (let i = handlers.length - 1; i >= 0; i--) {
    const h = handlers[i] as Handler;
    const n = next;
    next = (req) => h.serve(req, n);
  }
  return next;
}

function checkDirective(file: string, d: Directive): DirectiveName {
  const i = directiveIndex(d.name);
  if (i >= 0) return directives[i] as DirectiveName;
  if (corednsDirectives.includes(d.name)) {
    throw new CorefileError(file, d.line, `plugin '${d.name}' is not implemented by Switchboard (it has: ${directives.join(', ')})`);
  }
  throw new CorefileError(file, d.line, `Unknown directive '${d.name}'`);
}

/**
 * Sets up every server block. On an error, plugins already set up are stopped and the error
 * (a CorefileError naming the line) is thrown.
 */
export function buildBlocks(cf: Corefile, env: SetupEnv): BlockConfig[] {
  const blocks: BlockConfig[] = [];
  const seen = new Set<string>();
  const made: Plugin[] = [];
  try {
    for (const sb of cf.blocks) {
      let zones: string[] = [];
      let port: number | undefined;
      for (const k of sb.keys) {
        let key;
        try {
          key = parseServerKey(k);
        } catch (e) {
          throw new CorefileError(cf.file, sb.line, e instanceof Error ? e.message : String(e));
        }
        if (port !== undefined && key.port !== undefined && key.port !== port) {
          throw new CorefileError(cf.file, sb.line, `keys of one server block must share a port: ${sb.keys.join(' ')}`);
        }
        port = port ?? key.port;
        zones = [...zones, ...key.zones];
      }
      for (const z of zones) {
        const id = `${z}:${port ?? 53}`;
        if (seen.has(id)) throw new CorefileError(cf.file, sb.line, `cannot serve dns://${z}:${port ?? 53} - it is already defined`);
        seen.add(id);
      }
      const byName = new Map<DirectiveName, Directive[]>();
      for (const d of sb.directives) {
        const name = checkDirective(cf.file, d);
        const list = byName.get(name) ?? [];
        if (list.length > 0 && !setups[name].multiple) {
          throw new CorefileError(cf.file, d.line, `plugin/${name}: this plugin can only be used once per Server Block`);
        }
        list.push(d);
        byName.set(name, list);
      }
      const server = `dns://:${port ?? 53}`;
      const names = directives.filter((n) => byName.has(n));
      const block = { keys: sb.keys, zones, server, plugins: names };
      const plugins: Plugin[] = [];
      for (const name of names) {
        const ds = byName.get(name) ?? [];
        const p = setups[name].setup(ds.map((d) => new Controller(d, block, env, cf.file)));
        made.push(p);
        plugins.push(p);
      }
      const handlers = plugins.flatMap((p) => (p.handler === undefined ? [] : [p.handler]));
      blocks.push({ keys: sb.keys, zones, port, server, plugins, chain: linkHandlers(handlers) });
    }
  } catch (e) {
    for (const p of made) {
      try {
        const r = p.stop?.();
        if (r instanceof Promise) r.catch(() => undefined);
      } catch { /* best effort */ }
    }
    throw e;
  }
  return blocks;
}
