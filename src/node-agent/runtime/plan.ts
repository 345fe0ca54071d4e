// The kernel state the netns runtime makes, rendered as commands and texts before anything runs:
// the node bridge, the local route for the service CIDR, the nftables table that keeps Pod traffic on
// the machine, each Pod's veth and addresses, and the shell script that builds a container's private
// root. Pure: `netns.ts` applies the result.
import { shQuote } from './command.ts';
import type { Mount } from './types.ts';

/** Names and addresses of one node's network (all derived from the instance id). */
export interface NodeNet {
  /** 4 hex characters that make every name of this agent unique on the machine. */
  id: string;
  bridge: string;
  /** Prefix of network namespace names (`sb-<id>-`). */
  netnsPrefix: string;
  /** Prefix of host-side veth names (`sb<id>`). */
  vethPrefix: string;
  /** The node subnet, e.g. 10.244.3.0/24. */
  podCIDR: string;
  gateway: string;
  prefixLen: number;
  serviceCIDR: string;
  /** Metric that makes this agent's service route its own (several agents can share a machine). */
  routeMetric: number;
  /** nftables table (family inet). */
  nftTable: string;
}

/** Derives every name from the instance id (a hash of the agent's state directory). */
export function nodeNet(id: string, podCIDR: string, gateway: string, serviceCIDR: string): NodeNet {
  return {
    id,
    bridge: `sb${id}-br`,
    netnsPrefix: `sb-${id}-`,
    vethPrefix: `sb${id}`,
    podCIDR,
    gateway,
    prefixLen: Number(podCIDR.split('/')[1] ?? '24'),
    serviceCIDR,
    routeMetric: 1000 + (parseInt(id, 16) % 60000),
    nftTable: `switchboard_agent_${id}`,
  };
}

/** The netns and host veth names of a Pod (veth names are limited to 15 characters). */
export function podNetNames(n: NodeNet, uid: string, hash8: string): { netns: string; veth: string } {
  return { netns: `${n.netnsPrefix}${uid}`, veth: `${n.vethPrefix}${hash8}`.slice(0, 15) };
}

/** `ip` commands (argv after `ip`) that create the node bridge with its gateway address. */
export function bridgeCommands(n: NodeNet): string[][] {
  return [
    ['link', 'add', n.bridge, 'type', 'bridge'],
    ['addr', 'add', `${n.gateway}/${n.prefixLen}`, 'dev', n.bridge],
    ['link', 'set', n.bridge, 'up'],
  ];
}

/**
 * The service CIDR route: `local` on lo, so traffic for ClusterIPs that no proxy rule catches is
 * delivered on this machine and never leaves by the default route (DESIGN.md, Networking).
 */
export function serviceRouteArgs(n: NodeNet): string[] {
  return ['local', n.serviceCIDR, 'dev', 'lo', 'table', 'local', 'metric', String(n.routeMetric)];
}

/**
 * The nftables table: packets that Pods start towards anything but the node bridge are dropped in
 * forward (Pods have no egress beyond the node; replies of connections made to them still pass).
 */
export function nftRuleset(n: NodeNet): string {
  return [
    `table inet ${n.nftTable} {`,
    '  chain forward {',
    '    type filter hook forward priority 0; policy accept;',
    `    iifname "${n.bridge}" oifname != "${n.bridge}" ct direction original counter drop comment "switchboard: pod traffic stays on the node"`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** `ip` batch lines run inside a Pod's namespace: addresses, links up, default route. */
export function podNetnsBatch(n: NodeNet, ip: string): string {
  return [
    `addr add ${ip}/${n.prefixLen} dev eth0`,
    'link set lo up',
    'link set eth0 up',
    `route add default via ${n.gateway} dev eth0`,
    '',
  ].join('\n');
}

export interface SetupScriptInput {
  /** A directory on the host where the container's root is built (inside its mount namespace only). */
  dir: string;
  mounts: readonly Mount[];
  hostname: string;
  workingDir: string;
  /** False when the kernel has no overlayfs: the container sees the host's files (only mounts are private). */
  overlay: boolean;
}

/**
 * The script a container starts with, inside fresh mount, UTS and IPC namespaces and the Pod's network
 * namespace: a tmpfs holds an overlay of the host's root (so every write is private to this container),
 * /dev, /proc, /sys and the Pod's files and volumes are mounted in, the hostname is set, the overlay
 * becomes `/` (pivot_root) and the command is exec'd. It reports on fd 3: nothing before a successful
 * exec, or `error: <message>` when the container cannot start.
 */
export function renderSetupScript(s: SetupScriptInput): string {
  const q = shQuote;
  const lines: string[] = [
    '# switchboard container setup',
    'fail() { printf "error: %s\\n" "$*" >&3; exit 128; }',
    '_sb_path="$PATH"',
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    `D=${q(s.dir)}`,
  ];
  if (s.overlay) {
    lines.push(
      'mount -t tmpfs -o mode=0755 sb-rootfs "$D" || fail "cannot mount the container root"',
      'mkdir "$D/upper" "$D/work" "$D/root"',
      'mount -t overlay overlay -o "lowerdir=/,upperdir=$D/upper,workdir=$D/work" "$D/root" || fail "cannot mount the overlay root"',
      'R="$D/root"',
      // A /dev of its own (as runc makes): the usual devices bound from the host, the host's ptys
      // (so `kubectl exec -t` terminals have names), a private /dev/shm.
      'mount -t tmpfs -o mode=0755,nosuid sb-dev "$R/dev"',
      'for d in null zero full random urandom tty; do : > "$R/dev/$d"; mount --bind "/dev/$d" "$R/dev/$d"; done',
      'mkdir "$R/dev/pts" "$R/dev/shm" && mount --bind /dev/pts "$R/dev/pts" && ln -s pts/ptmx "$R/dev/ptmx"',
      'mount -t tmpfs -o mode=1777,nosuid,nodev shm "$R/dev/shm"',
      'ln -s /proc/self/fd "$R/dev/fd"; ln -s /proc/self/fd/0 "$R/dev/stdin"; ln -s /proc/self/fd/1 "$R/dev/stdout"; ln -s /proc/self/fd/2 "$R/dev/stderr"',
      'mount -t proc proc "$R/proc" && mount --bind "$R/proc/sys" "$R/proc/sys" && mount -o remount,bind,ro "$R/proc/sys"',
      'mount -t sysfs -o ro sysfs "$R/sys" 2>/dev/null || mount --rbind /sys "$R/sys"',
      'mount -t tmpfs -o mode=1777 tmp "$R/tmp"',
    );
  } else {
    lines.push('R=""', 'mount -t sysfs sysfs /sys 2>/dev/null || true');
  }
  for (const m of s.mounts) {
    const t = `"$R"${q(m.target)}`;
    if (m.file) {
      lines.push(`if [ -L ${t} ] || [ ! -e ${t} ]; then rm -f ${t}; mkdir -p "$(dirname ${t})" && : > ${t} || fail ${q(`cannot create ${m.target}`)}; fi`);
    } else {
      lines.push(`mkdir -p ${t} || fail ${q(`cannot create ${m.target}`)}`);
    }
    lines.push(`mount --bind ${q(m.source)} ${t} || fail ${q(`cannot mount ${m.target}`)}`);
    if (m.readOnly) lines.push(`mount -o remount,bind,ro ${t}`);
  }
  lines.push(`hostname ${q(s.hostname)} || fail "cannot set the hostname"`);
  if (s.overlay) lines.push('cd "$R" && pivot_root . . && umount -l . || fail "cannot switch to the container root"');
  lines.push(
    `mkdir -p ${q(s.workingDir)} 2>/dev/null; cd ${q(s.workingDir)} || fail ${q(`chdir to cwd (${JSON.stringify(s.workingDir)}) set in config.json failed: no such file or directory`)}`,
    'PATH="$_sb_path"',
    'unset _sb_path D R',
    'case "$1" in',
    '  */*) [ -x "$1" ] || fail "exec: \\"$1\\": stat $1: no such file or directory" ;;',
    '  *) command -v "$1" >/dev/null 2>&1 || fail "exec: \\"$1\\": executable file not found in \\$PATH" ;;',
    'esac',
    'exec 3>&-',
    'exec "$@"',
    '',
  );
  return lines.join('\n');
}
