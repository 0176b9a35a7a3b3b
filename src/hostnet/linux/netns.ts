/**
 * A linux host inside a network namespace of this machine ([linux_host] netns: several
 * hypervisor hosts on one machine, each a namespace with its own ovsdb-server and
 * ovs-vswitchd). The host's commands keep their argv (the golden sequences shared with
 * the simulated host); this turns one into what runs it in the host's namespace:
 *
 * - `ip ...` gets `-n NS` (also `ip -batch -`), except `ip netns ...` (namespace names
 *   are global: the guests' nimbus-<uuid> and the host's own) and an `ip -n OTHER ...`
 *   that already names a namespace (a guest's);
 * - ovs-vsctl and ovsdb-client reach the host's ovsdb-server through its socket
 *   (--db, a path), from any namespace, so they run as they are;
 * - ovs-ofctl and ovs-appctl find the host's ovs-vswitchd through its run directory
 *   (OVS_RUNDIR; ovs-appctl's default target is RUNDIR/ovs-vswitchd.ctl, the --unixctl
 *   scripts/host-netns.sh gives it);
 * - every other tool (brctl, tee /sys/..., sysctl, iptables...) runs under
 *   `ip netns exec NS`, which also mounts the namespace's own /sys.
 */
import { readFileSync } from 'node:fs';

const SOCKET_TOOLS = new Set(['ovs-vsctl', 'ovsdb-client', 'ovsdb-tool']);
const RUNDIR_TOOLS = new Set(['ovs-ofctl', 'ovs-appctl', 'ovs-dpctl']);
const IP_NETNS_OPTIONS = new Set(['-n', '-netns', '--netns']);

/** The run directory of an ovsdb-server socket given as unix:DIR/db.sock (null for tcp: or none). */
export function rundirOf(db: string | null): string | null {
  const m = db ? /^unix:(.*)\/[^/]+$/.exec(db) : null;
  return m ? m[1]! : null;
}

/** The argv that runs `argv` (already real: realArgv) in the host namespace `netns`. */
export function inHostNamespace(argv: readonly string[], netns: string, rundir: string | null): string[] {
  const tool = argv[0] ?? '';
  const base = tool.replace(/^.*\//, '');
  if (base === 'ip') {
    let i = 1;
    while (i < argv.length && argv[i]!.startsWith('-')) {
      if (IP_NETNS_OPTIONS.has(argv[i]!)) return [...argv];
      i++;
    }
    if (argv[i] === 'netns') return [...argv];
    return [tool, '-n', netns, ...argv.slice(1)];
  }
  if (SOCKET_TOOLS.has(base)) return [...argv];
  if (RUNDIR_TOOLS.has(base)) {
    if (!rundir) return ['ip', 'netns', 'exec', netns, ...argv];
    const target = base === 'ovs-appctl' && !argv.some((a) => a === '-t' || a.startsWith('--target')) ? ['-t', `${rundir}/ovs-vswitchd.ctl`] : [];
    return ['env', `OVS_RUNDIR=${rundir}`, tool, ...target, ...argv.slice(1)];
  }
  return ['ip', 'netns', 'exec', netns, ...argv];
}

/**
 * Whether the host namespace has the link `dev`, read from /proc/PID/net/dev of its
 * ovs-vswitchd (that file lists the devices of the process's namespace) without running
 * a process; null when that cannot be told (no pid file, process gone).
 */
export function namespaceHasLink(rundir: string | null, dev: string): boolean | null {
  if (!rundir) return null;
  try {
    const pid = readFileSync(`${rundir}/ovs-vswitchd.pid`, 'utf8').trim();
    const lines = readFileSync(`/proc/${pid}/net/dev`, 'utf8').split('\n');
    return lines.some((l) => l.trimStart().startsWith(`${dev}:`));
  } catch {
    return null;
  }
}
