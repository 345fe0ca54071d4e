// The image catalog: there is no image pulling, so an image names how to run a process on this
// machine. `nginx` runs the host's nginx with a per-Pod configuration, agnhost's subcommands are built
// in, busybox/alpine-style images run the host's shell tools, and a container with a command runs that
// command whatever its image. Anything else waits with a reason that says what to do. Pure.
import type { Container } from '../api/types.ts';

/** What the catalog knows about an image. */
export type ImageKind = 'nginx' | 'agnhost' | 'shell' | 'generic';

/** How to run a container, or why it cannot run. */
export type Launch =
  | { kind: 'run'; image: ImageKind; argv: string[]; env: Array<[string, string]>; workingDir: string; repo: string }
  | { kind: 'unavailable'; reason: string; message: string };

/** Paths the catalog needs from the machine (not pure constants: where Node and agnhost live). */
export interface CatalogContext {
  /** The node binary (process.execPath). */
  node: string;
  /** src/node-agent/agnhost/main.ts. */
  agnhost: string;
  /** The host nginx version, for NGINX_VERSION. */
  nginxVersion?: string;
  /** The Switchboard package root (agnhost's sources and their imports live under it). */
  root?: string;
}

/** Directories a container gets fresh copies of (see renderSetupScript): host files under them are hidden. */
const containerPrivateDirs = ['/tmp', '/dev', '/proc', '/sys'];

/**
 * Host directories a built-in command needs inside the container: Node and Switchboard's own files,
 * when they live where the container has a private directory (an install under /tmp, as CI clones
 * are). They are bound back read-only at the same path; anywhere else the overlay already shows them.
 */
export function builtinHostDirs(argv: readonly string[], ctx: CatalogContext): string[] {
  if (argv[0] !== ctx.node) return [];
  const dirs = [dirnameOf(ctx.node)];
  if (ctx.root !== undefined) dirs.push(ctx.root);
  else dirs.push(dirnameOf(ctx.agnhost));
  const hidden = dirs.filter((d) => containerPrivateDirs.some((p) => d === p || d.startsWith(`${p}/`)) && !containerPrivateDirs.includes(d));
  // A directory inside another one already bound needs no mount of its own.
  return [...new Set(hidden)].filter((d, _, all) => !all.some((o) => o !== d && d.startsWith(`${o}/`))).sort();
}

function dirnameOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** The repository part of an image reference, without registry, tag or digest: `nginx`, `e2e-test-images/agnhost`. */
export function imageRepo(image: string): string {
  let s = image.trim();
  const at = s.indexOf('@');
  if (at >= 0) s = s.slice(0, at);
  const slash = s.lastIndexOf('/');
  const colon = s.lastIndexOf(':');
  if (colon > slash) s = s.slice(0, colon);
  const parts = s.split('/');
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) parts.shift();
  if (parts[0] === 'library' && parts.length > 1) parts.shift();
  return parts.join('/');
}

/** The name as `kubectl describe pod` shows it in Image: the reference with a default registry and tag. */
export function normalizeImage(image: string): string {
  let s = image.trim();
  const parts = s.split('/');
  const first = parts[0] ?? '';
  const hasRegistry = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasRegistry) s = parts.length === 1 ? `docker.io/library/${s}` : `docker.io/${s}`;
  const last = s.slice(s.lastIndexOf('/') + 1);
  if (!last.includes(':') && !s.includes('@')) s += ':latest';
  return s;
}

const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Images whose default command is a shell (no ENTRYPOINT): the command runs with the host's tools. */
const shellImages: Readonly<Record<string, string[]>> = {
  busybox: ['sh'],
  alpine: ['/bin/sh'],
  debian: ['bash'],
  ubuntu: ['bash'],
  bash: ['bash'],
  fedora: ['/bin/bash'],
  centos: ['/bin/bash'],
  rockylinux: ['/bin/bash'],
  almalinux: ['/bin/bash'],
  archlinux: ['/bin/bash'],
  'curlimages/curl': ['curl'],
  'nicolaka/netshoot': ['zsh'],
  python: ['python3'],
  node: ['node'],
};

/** Images with an ENTRYPOINT that `args` are appended to. */
const entrypoints: Readonly<Record<string, string[]>> = {
  'curlimages/curl': ['curl'],
};

function isAgnhost(repo: string): boolean {
  return repo === 'agnhost' || repo.endsWith('/agnhost');
}

function isNginx(repo: string): boolean {
  const last = repo.slice(repo.lastIndexOf('/') + 1);
  return last === 'nginx' || last === 'nginx-unprivileged';
}

/** The images the catalog runs without a command, for messages. */
export const catalogImages = ['nginx', 'registry.k8s.io/e2e-test-images/agnhost', 'busybox', 'alpine', 'debian', 'ubuntu'] as const;

/**
 * How to run `container`: command and args as Kubernetes combines them with the image's ENTRYPOINT and
 * CMD (command replaces ENTRYPOINT and drops CMD; args replace CMD), with the catalog standing in for
 * the image. `/agnhost` (or `agnhost`) in a command line becomes the built-in agnhost.
 */
export function resolveLaunch(container: Container, ctx: CatalogContext): Launch {
  const image = container.image ?? '';
  if (image.trim() === '') return { kind: 'unavailable', reason: 'InvalidImageName', message: `Failed to apply default image tag "": couldn't parse image name "": invalid reference format` };
  const repo = imageRepo(image);
  const command = container.command ?? [];
  const args = container.args ?? [];
  const env: Array<[string, string]> = [['PATH', defaultPath]];
  const agnhost = (argv: string[]): string[] => {
    const head = argv[0];
    if (head === '/agnhost' || head === 'agnhost' || head === '/agnhost/agnhost') return [ctx.node, ctx.agnhost, ...argv.slice(1)];
    return argv;
  };
  if (isNginx(repo)) {
    env.push(['NGINX_VERSION', ctx.nginxVersion ?? '1.22.1']);
    const argv = command.length > 0 ? [...command, ...args] : args.length > 0 ? [...args] : ['/docker-entrypoint.sh', 'nginx', '-g', 'daemon off;'];
    if (argv[0] === '/docker-entrypoint.sh') argv.shift();
    return { kind: 'run', image: 'nginx', argv, env, workingDir: '/', repo };
  }
  if (isAgnhost(repo)) {
    const argv = command.length > 0 ? agnhost([...command, ...args]) : [ctx.node, ctx.agnhost, ...args];
    return { kind: 'run', image: 'agnhost', argv, env, workingDir: '/', repo };
  }
  const shell = shellImages[repo];
  if (command.length > 0) return { kind: 'run', image: shell !== undefined ? 'shell' : 'generic', argv: agnhost([...command, ...args]), env, workingDir: '/', repo };
  if (args.length > 0) {
    const ep = entrypoints[repo] ?? [];
    return { kind: 'run', image: shell !== undefined ? 'shell' : 'generic', argv: [...ep, ...args], env, workingDir: '/', repo };
  }
  if (shell !== undefined) return { kind: 'run', image: 'shell', argv: [...shell], env, workingDir: '/', repo };
  return {
    kind: 'unavailable',
    reason: 'ImageNotInCatalog',
    message: `Switchboard runs containers as processes on this machine and has no image ${JSON.stringify(image)}: ` +
      `set command (and args) to a program installed here, or use a built-in image (${catalogImages.join(', ')})`,
  };
}

/**
 * A container path with the symlinks of its existing parts resolved as they are in the container's
 * root, which is an overlay of the host's (Debian's /var/run → /run): a bind mount onto an unresolved
 * path would follow the symlink out of the container root. `readlink` answers for the host's files
 * (undefined: not a symlink or missing). Pure over that function.
 */
export function resolveContainerPath(path: string, readlink: (p: string) => string | undefined): string {
  let parts = path.split('/').filter((x) => x !== '' && x !== '.');
  const out: string[] = [];
  for (let hops = 0; parts.length > 0 && hops < 40;) {
    const head = parts.shift() ?? '';
    if (head === '..') {
      out.pop();
      continue;
    }
    const candidate = `/${[...out, head].join('/')}`;
    const link = readlink(candidate);
    if (link === undefined) {
      out.push(head);
      continue;
    }
    hops++;
    const target = link.split('/').filter((x) => x !== '' && x !== '.');
    if (link.startsWith('/')) out.length = 0;
    parts = [...target, ...parts];
  }
  // A symlink loop: left as it is (the mount fails with ELOOP, as it would in any runtime).
  if (parts.length > 0) return path;
  return `/${out.join('/')}`;
}
