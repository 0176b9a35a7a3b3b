/**
 * How the linux host driver runs a command sequence cheaply (executeAll): the argv stay
 * the callers', only the way they reach the kernel changes.
 *
 * - consecutive `ip` commands, and `brctl` commands that have an exact netlink
 *   equivalent, go to one `ip -batch -`: `brctl addbr BR` (with the `setfd BR S` and
 *   `stp BR off` right after it) → `link add BR type bridge forward_delay S*100 stp_state 0`;
 *   `brctl addif BR IF` → `link set dev IF master BR`; `brctl delif BR IF` → `link set
 *   dev IF nomaster`; `brctl delbr BR` → `link delete dev BR`;
 * - `tee /sys/class/net/...` (or /proc/sys/net/...) writes the file itself, and a lone
 *   `ip link set DEV mtu N` writes /sys/class/net/DEV/mtu (both dev_set_mtu);
 * - consecutive ovs-vsctl commands become one transaction (`ovs-vsctl -- A -- B`).
 *
 * A translation is only made where it cannot succeed when the real tool would fail:
 * brctl's ioctls refuse what netlink allows (enslaving a device that already has a
 * master moves it; deleting a bridge that is up; a master that is a bond, not a bridge),
 * so addif needs a known bridge and a device without master, delif a device whose master
 * is that bridge, delbr a bridge set down earlier in the same sequence. Where a translated
 * step fails, nothing of it happened (one netlink request, one write, one OVSDB
 * transaction), and the caller runs the original commands for real from there, so the
 * failure is the real tool's CommandFailed (argv, exit code, stderr).
 */
import { existsSync, readlinkSync } from 'node:fs';
import type { SequencedCommand } from '../host-network.js';

/** One step of a plan, covering the original commands [from, to). */
export type Step =
  | { kind: 'ip'; line: string; from: number; to: number }
  | { kind: 'write'; file: string; data: string; from: number; to: number }
  | { kind: 'ovs'; argv: string[]; from: number; to: number }
  | { kind: 'plain'; from: number; to: number };

/** An argument ip's batch parser reads as one word (no quoting, no comment). */
const WORD = /^[\w.:@/-]+$/;
/** A device name the kernel accepts (IFNAMSIZ - 1), without anything ip would parse otherwise. */
const IFNAME = /^[\w.-]{1,15}$/;
const sys = (dev: string) => `/sys/class/net/${dev}`;

/** A plain `ip` command ip -batch takes as it is (no global option, no stdin). */
export function batchableIp(c: SequencedCommand): boolean {
  return c.argv[0] === 'ip' && c.input === undefined && !c.argv[1]?.startsWith('-') && c.argv.length > 1 && c.argv.slice(1).every((a) => WORD.test(a));
}

/** ovs-vsctl's per-command options: a command with only these before its name can join a transaction. */
const OVS_COMMAND_OPTIONS = new Set(['--if-exists', '--may-exist']);

/** The commands of one ovs-vsctl argv ("--"-separated, each with its options), or null when it has global options. */
function ovsCommands(c: SequencedCommand): string[][] | null {
  if (c.argv[0] !== 'ovs-vsctl' || c.input !== undefined || c.okExitCodes?.length) return null;
  const out: string[][] = [];
  let cur: string[] = [];
  for (const a of c.argv.slice(1)) {
    if (a === '--') {
      if (cur.length) out.push(cur);
      cur = [];
    } else cur.push(a);
  }
  if (cur.length) out.push(cur);
  for (const cmd of out) {
    const name = cmd.findIndex((a) => !a.startsWith('--'));
    if (name < 0 || !cmd.slice(0, name).every((o) => OVS_COMMAND_OPTIONS.has(o))) return null;
  }
  return out.length ? out : null;
}

/** A file tee may write without a process: a kernel knob under /sys/class/net or /proc/sys/net. */
function teeFile(c: SequencedCommand): string | null {
  if (c.argv[0] !== 'tee' || c.argv.length !== 2 || c.input === undefined) return null;
  const f = c.argv[1]!;
  return /^\/(sys\/class\/net|proc\/sys\/net)(\/[\w.:-]+)+$/.test(f) ? f : null;
}

function masterOf(dev: string): string | null {
  try {
    return readlinkSync(`${sys(dev)}/master`).replace(/^.*\//, '');
  } catch {
    return null;
  }
}

/**
 * The plan for cmds: what each runs as. Facts about devices are read from sysfs now for
 * devices no earlier command of the sequence names, and tracked for the others.
 */
export function planSequence(cmds: readonly SequencedCommand[]): Step[] {
  const steps: Step[] = [];
  /** Devices an earlier command named: sysfs no longer tells what they will be. */
  const touched = new Set<string>();
  const bridges = new Set<string>();
  /** Devices made in this sequence that nothing enslaved since. */
  const free = new Set<string>();
  /** Bridges set down in this sequence and not up since. */
  const down = new Set<string>();
  const touch = (c: SequencedCommand) => c.argv.slice(1).forEach((a) => touched.add(a));
  /** Devices a command of unknown effect named (deleted, recreated, moved...): not known to be bridges any more. */
  const unknown = new Set<string>();
  const isBridge = (br: string) => bridges.has(br) || (!unknown.has(br) && existsSync(`${sys(br)}/bridge`));

  for (let i = 0; i < cmds.length; ) {
    const c = cmds[i]!;
    const a = c.argv;
    if (batchableIp(c)) {
      if (a[1] === 'link' && a[2] === 'add' && a[4] === 'type' && a[5] === 'veth' && a[6] === 'peer' && a[7] === 'name' && a.length === 9) {
        free.add(a[3]!);
        free.add(a[8]!);
      } else if (a[1] === 'link' && a[2] === 'set' && a.length === 5 && (a[4] === 'down' || a[4] === 'up')) {
        if (a[4] === 'down') down.add(a[3]!);
        else down.delete(a[3]!);
      } else if (a[1] === 'link' && a[2] === 'set' && a.length === 6 && (a[4] === 'promisc' || a[4] === 'mtu')) {
        // changes neither master nor up
      } else {
        for (const x of a.slice(1)) (free.delete(x), down.delete(x), bridges.delete(x), unknown.add(x));
      }
      touch(c);
      steps.push({ kind: 'ip', line: a.slice(1).join(' '), from: i, to: i + 1 });
      i++;
      continue;
    }
    if (a[0] === 'brctl' && c.input === undefined && !c.okExitCodes?.length && a.slice(2).every((x) => IFNAME.test(x))) {
      const br = a[2]!;
      if (a[1] === 'addbr' && a.length === 3) {
        let line = `link add ${br} type bridge`;
        let j = i + 1;
        for (; j < cmds.length && j < i + 3; j++) {
          const n = cmds[j]!.argv;
          if (cmds[j]!.input !== undefined || cmds[j]!.okExitCodes?.length || n[0] !== 'brctl' || n[2] !== br || n.length !== 4) break;
          if (n[1] === 'setfd' && /^\d{1,4}$/.test(n[3]!) && !line.includes('forward_delay')) line += ` forward_delay ${Number(n[3]) * 100}`;
          else if (n[1] === 'stp' && ['off', 'no', '0'].includes(n[3]!) && !line.includes('stp_state')) line += ' stp_state 0';
          else break;
        }
        for (const x of cmds.slice(i, j)) touch(x);
        bridges.add(br);
        free.add(br);
        down.add(br);
        steps.push({ kind: 'ip', line, from: i, to: j });
        i = j;
        continue;
      }
      const dev = a[3]!;
      if (a[1] === 'addif' && a.length === 4 && isBridge(br) && (free.has(dev) || (!touched.has(dev) && existsSync(sys(dev)) && masterOf(dev) === null))) {
        touch(c);
        free.delete(dev);
        steps.push({ kind: 'ip', line: `link set dev ${dev} master ${br}`, from: i, to: i + 1 });
        i++;
        continue;
      }
      if (a[1] === 'delif' && a.length === 4 && isBridge(br) && !touched.has(dev) && masterOf(dev) === br) {
        touch(c);
        steps.push({ kind: 'ip', line: `link set dev ${dev} nomaster`, from: i, to: i + 1 });
        i++;
        continue;
      }
      if (a[1] === 'delbr' && a.length === 3 && isBridge(br) && down.has(br)) {
        touch(c);
        bridges.delete(br);
        down.delete(br);
        free.delete(br);
        unknown.add(br);
        steps.push({ kind: 'ip', line: `link delete dev ${br}`, from: i, to: i + 1 });
        i++;
        continue;
      }
    }
    const file = teeFile(c);
    if (file) {
      steps.push({ kind: 'write', file, data: c.input!, from: i, to: i + 1 });
      i++;
      continue;
    }
    const ovs = ovsCommands(c);
    if (ovs) {
      const parts = [...ovs];
      let j = i + 1;
      for (; j < cmds.length; j++) {
        const more = ovsCommands(cmds[j]!);
        if (!more) break;
        parts.push(...more);
      }
      for (const x of cmds.slice(i, j)) {
        touch(x);
        for (const d of x.argv) (free.delete(d), down.delete(d));
      }
      steps.push(j - i === 1 ? { kind: 'plain', from: i, to: j } : { kind: 'ovs', argv: ['ovs-vsctl', ...parts.flatMap((p) => ['--', ...p])], from: i, to: j });
      i = j;
      continue;
    }
    touch(c);
    for (const x of a.slice(1)) (free.delete(x), down.delete(x), bridges.delete(x), unknown.add(x));
    steps.push({ kind: 'plain', from: i, to: i + 1 });
    i++;
  }
  return steps.map((s, k) => {
    // A lone `ip link set DEV mtu N` (no ip step beside it): the kernel's sysfs mtu file, dev_set_mtu as netlink's.
    if (s.kind !== 'ip' || steps[k - 1]?.kind === 'ip' || steps[k + 1]?.kind === 'ip') return s;
    const m = /^link set ([\w.-]{1,15}) mtu (\d{1,6})$/.exec(s.line);
    return m && s.to - s.from === 1 ? { kind: 'write', file: `${sys(m[1]!)}/mtu`, data: m[2]!, from: s.from, to: s.to } : s;
  });
}

/**
 * The plan for a host inside a network namespace: this process's /sys is the root
 * namespace's, so nothing can be decided or written through it; only plain `ip`
 * commands are batched (into `ip -n NS -batch -`), everything else runs as it is.
 */
export function planWithoutSysfs(cmds: readonly SequencedCommand[]): Step[] {
  return cmds.map((c, i): Step => (batchableIp(c) ? { kind: 'ip', line: c.argv.slice(1).join(' '), from: i, to: i + 1 } : { kind: 'plain', from: i, to: i + 1 }));
}
