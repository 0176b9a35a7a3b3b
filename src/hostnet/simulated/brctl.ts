/**
 * bridge-utils' `brctl` (addbr, delbr, setfd, stp, addif, delif, show) and writes to
 * /sys/class/net and /proc/sys through `tee`, with brctl's own stderr texts. Two kernel
 * rules nova's command order depends on: a bridge that is up cannot be deleted through
 * brctl ("is still up"), and a device already in a bridge (or in OVS) cannot be enslaved.
 */
import { CommandFailed, LinkKinds } from '../host-network.js';
import type { HostState } from './state.js';

const MAX_IFNAME = 15;

export function runBrctl(state: HostState, argv: readonly string[]): string {
  const cmd = argv[1];
  const need = (n: number) => {
    if (argv.length - 2 < n) throw new CommandFailed(argv, 1, `Incorrect number of arguments for command\nUsage: brctl ${cmd ?? ''}\n`);
  };
  switch (cmd) {
    case 'addbr': {
      need(1);
      const name = argv[2]!;
      if (state.links.has(name)) throw new CommandFailed(argv, 1, `device ${name} already exists; can't create bridge with the same name\n`);
      if (name.length > MAX_IFNAME) throw new CommandFailed(argv, 1, 'add bridge failed: Invalid argument\n');
      state.addLink(name, LinkKinds.bridge);
      return '';
    }
    case 'delbr': {
      need(1);
      const name = argv[2]!;
      const link = state.links.get(name);
      if (!link) throw new CommandFailed(argv, 1, `bridge ${name} doesn't exist; can't delete it\n`);
      if (link.kind !== 'bridge') throw new CommandFailed(argv, 1, `can't delete bridge ${name}: Operation not permitted\n`);
      if (link.up) throw new CommandFailed(argv, 1, `bridge ${name} is still up; can't delete it\n`);
      state.deleteLink(name);
      return '';
    }
    case 'setfd': {
      need(2);
      const secs = Number(argv[3]);
      if (!/^\d+(\.\d+)?$/.test(argv[3]!) || !Number.isFinite(secs)) throw new CommandFailed(argv, 1, 'bad forward delay value\n');
      const br = bridgeFor(state, argv, argv[2]!, 'set forward delay failed');
      br.forwardDelay = Math.round(secs * 100);
      return '';
    }
    case 'stp': {
      need(2);
      const v = argv[3]!;
      const on = ['on', 'yes', '1'].includes(v);
      if (!on && !['off', 'no', '0'].includes(v)) throw new CommandFailed(argv, 1, 'expect on/off for argument\n');
      bridgeFor(state, argv, argv[2]!, 'set stp status failed').stp = on;
      return '';
    }
    case 'addif': {
      need(2);
      const brName = argv[2]!;
      for (const ifName of argv.slice(3)) {
        const dev = state.links.get(ifName);
        if (!dev) throw new CommandFailed(argv, 1, `interface ${ifName} does not exist!\n`);
        const brLink = state.links.get(brName);
        if (!brLink) throw new CommandFailed(argv, 1, `bridge ${brName} does not exist!\n`);
        const br = state.linuxBridges.get(brName);
        if (!br) throw new CommandFailed(argv, 1, `can't add ${ifName} to bridge ${brName}: Operation not supported\n`);
        if (dev.kind === 'bridge') throw new CommandFailed(argv, 1, `device ${ifName} is a bridge device itself; can't add a bridge device to a bridge device.\n`);
        if (dev.master) throw new CommandFailed(argv, 1, `device ${ifName} is already a member of a bridge; can't add it to bridge ${brName}.\n`);
        state.attach(dev, br);
      }
      return '';
    }
    case 'delif': {
      need(2);
      const brName = argv[2]!;
      for (const ifName of argv.slice(3)) {
        const dev = state.links.get(ifName);
        if (!dev) throw new CommandFailed(argv, 1, `interface ${ifName} does not exist!\n`);
        if (!state.links.has(brName)) throw new CommandFailed(argv, 1, `bridge ${brName} does not exist!\n`);
        if (dev.master !== brName || !state.linuxBridges.has(brName)) throw new CommandFailed(argv, 1, `device ${ifName} is not a port of ${brName}\n`);
        state.detach(dev);
      }
      return '';
    }
    case 'show': {
      const names = argv.length > 2 ? argv.slice(2) : [...state.linuxBridges.keys()].sort();
      let out = 'bridge name\tbridge id\t\tSTP enabled\tinterfaces\n';
      for (const name of names) {
        const br = state.linuxBridges.get(name);
        if (!br) {
          out += `bridge ${name} does not exist!\n`;
          continue;
        }
        const id = `8000.${state.links.get(name)!.mac.replace(/:/g, '')}`;
        const ports = [...br.ports].sort();
        out += `${name}\t\t${id}\t${br.stp ? 'yes' : 'no'}\t\t${ports[0] ?? ''}\n`;
        for (const p of ports.slice(1)) out += `\t\t\t\t\t\t\t${p}\n`;
      }
      return out;
    }
    default:
      throw new CommandFailed(argv, 1, `never heard of command [${cmd ?? ''}]\n`);
  }
}

function bridgeFor(state: HostState, argv: readonly string[], name: string, what: string) {
  const link = state.links.get(name);
  if (!link) throw new CommandFailed(argv, 1, `${what}: No such device\n`);
  const br = state.linuxBridges.get(name);
  if (!br) throw new CommandFailed(argv, 1, `${what}: Operation not supported\n`);
  return br;
}

/**
 * `tee FILE` with the data on stdin, for the files nova and os-vif write:
 * /sys/class/net/BR/bridge/{multicast_snooping,forward_delay,stp_state} and the
 * per-device /proc/sys/net/ipv{4,6}/conf/DEV/* knobs. Echoes its input like tee.
 */
export function runTee(state: HostState, argv: readonly string[], input: string): string {
  const files = argv.slice(1).filter((a) => !a.startsWith('-'));
  for (const file of files) writeFile(state, argv, file, input);
  return input;
}

function writeFile(state: HostState, argv: readonly string[], file: string, input: string): void {
  const noFile = () => new CommandFailed(argv, 1, `tee: ${file}: No such file or directory\n`, input);
  const invalid = () => new CommandFailed(argv, 1, `tee: ${file}: Invalid argument\n`, input);
  let m = /^\/sys\/class\/net\/([^/]+)\/bridge\/(multicast_snooping|forward_delay|stp_state)$/.exec(file);
  if (m) {
    const br = state.linuxBridges.get(m[1]!);
    if (!br) throw noFile();
    const v = input.trim();
    if (!/^\d+$/.test(v)) throw invalid();
    const n = Number(v);
    if (m[2] === 'multicast_snooping') br.multicastSnooping = n !== 0;
    else if (m[2] === 'forward_delay') br.forwardDelay = n;
    else br.stp = n !== 0;
    return;
  }
  m = /^\/proc\/sys\/net\/ipv[46]\/conf\/([^/]+)\/(disable_ipv6|arp_ignore|arp_announce)$/.exec(file);
  if (m) {
    if (!state.links.has(m[1]!) && m[1] !== 'all' && m[1] !== 'default') throw noFile();
    if (!/^\d+$/.test(input.trim())) throw invalid();
    return;
  }
  throw noFile();
}

