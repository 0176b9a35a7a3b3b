/**
 * iproute2's `ip` for the subset nova, os-vif and libvirt use: `ip link add X type veth
 * peer name Y` (and `type bridge`), `ip link set [dev] X up|down|promisc on|off|mtu N|
 * master B|nomaster|address MAC`, `ip link delete [dev] X`, `ip link show [[dev] X]`,
 * `ip tuntap add|del [dev] X mode tap`. Errors carry iproute2's stderr and exit codes
 * (1 for argument and lookup errors, 2 for RTNETLINK refusals).
 */
import { CommandFailed, LinkKinds } from '../host-network.js';
import { type HostState, type Link, OVS_SYSTEM } from './state.js';

/** IFNAMSIZ - 1. */
const MAX_IFNAME = 15;
const MIN_MTU = 68;
const MAX_MTU = 65535;

export function runIp(state: HostState, argv: readonly string[]): string {
  let i = 1;
  while (argv[i]?.startsWith('-')) i++;
  const object = argv[i] ?? '';
  const rest = argv.slice(i + 1);
  if (object && 'link'.startsWith(object)) return link(state, argv, rest);
  if (object === 'tuntap') return tuntap(state, argv, rest);
  throw new CommandFailed(argv, 255, `Object "${object}" is unknown, try "ip help".\n`);
}

function link(state: HostState, argv: readonly string[], args: readonly string[]): string {
  const cmd = args[0] ?? 'show';
  const a = args.slice(1);
  switch (cmd) {
    case 'add':
      return linkAdd(state, argv, a);
    case 'set':
      return linkSet(state, argv, a);
    case 'delete':
    case 'del':
      return linkDelete(state, argv, a);
    case 'show':
    case 'list':
    case 'ls':
    case 'lst':
      return linkShow(state, argv, a);
    default:
      throw new CommandFailed(argv, 255, `Command "${cmd}" is unknown, try "ip link help".\n`);
  }
}

function checkName(argv: readonly string[], name: string | undefined, what = 'name'): string {
  if (!name || name.length > MAX_IFNAME || /[\s/]/.test(name)) throw new CommandFailed(argv, 1, `Error: argument "${name ?? ''}" is wrong: "${what}" not a valid ifname\n`);
  return name;
}

function linkAdd(state: HostState, argv: readonly string[], a: readonly string[]): string {
  let name: string | undefined;
  let type: string | undefined;
  let peer: string | undefined;
  for (let i = 0; i < a.length; i++) {
    const t = a[i]!;
    if (t === 'name' || t === 'dev') name = a[++i];
    else if (t === 'type') {
      type = a[++i];
      if (type === 'veth' && a[i + 1] === 'peer') {
        i++;
        if (a[i + 1] === 'name') i++;
        peer = a[++i];
      }
    } else if (name === undefined) name = t;
  }
  name = checkName(argv, name);
  if (type === undefined) throw new CommandFailed(argv, 1, 'Not enough information: "type" argument is required\n');
  if (type === 'veth') {
    if (peer !== undefined) checkName(argv, peer);
    if (state.links.has(name) || (peer !== undefined && state.links.has(peer)) || peer === name) throw new CommandFailed(argv, 2, 'RTNETLINK answers: File exists\n');
    const peerName = peer ?? nextFreeName(state, 'veth');
    state.addLink(name, LinkKinds.veth, { peer: peerName });
    state.addLink(peerName, LinkKinds.veth, { peer: name });
    return '';
  }
  if (type === 'bridge') {
    if (state.links.has(name)) throw new CommandFailed(argv, 2, 'RTNETLINK answers: File exists\n');
    state.addLink(name, LinkKinds.bridge);
    return '';
  }
  throw new CommandFailed(argv, 2, 'Error: Unknown device type.\n');
}

function nextFreeName(state: HostState, prefix: string): string {
  for (let n = 0; ; n++) if (!state.links.has(`${prefix}${n}`)) return `${prefix}${n}`;
}

function find(state: HostState, argv: readonly string[], name: string | undefined): Link {
  const l = name === undefined ? undefined : state.links.get(name);
  if (!l) throw new CommandFailed(argv, 1, `Cannot find device "${name ?? ''}"\n`);
  return l;
}

function linkSet(state: HostState, argv: readonly string[], a: readonly string[]): string {
  let i = 0;
  if (a[i] === 'dev') i++;
  const dev = find(state, argv, a[i++]);
  for (; i < a.length; i++) {
    const t = a[i]!;
    switch (t) {
      case 'up':
        dev.up = true;
        break;
      case 'down':
        dev.up = false;
        break;
      case 'promisc': {
        const v = a[++i];
        if (v !== 'on' && v !== 'off') throw new CommandFailed(argv, 1, `Error: argument of "promisc" must be "on" or "off", not "${v ?? ''}"\n`);
        dev.promisc = v === 'on';
        break;
      }
      case 'mtu': {
        const raw = a[++i] ?? '';
        const mtu = /^\d+$/.test(raw) ? Number(raw) : NaN;
        if (!Number.isFinite(mtu)) throw new CommandFailed(argv, 1, `Error: argument "${raw}" is wrong: Invalid "mtu" value\n`);
        if (mtu < MIN_MTU) throw new CommandFailed(argv, 2, 'Error: mtu less than device minimum.\n');
        if (mtu > MAX_MTU) throw new CommandFailed(argv, 2, 'Error: mtu greater than device maximum.\n');
        dev.mtu = mtu;
        dev.mtuSet = true;
        if (dev.master && dev.master !== OVS_SYSTEM) state.adjustBridgeMtu(dev.master);
        break;
      }
      case 'master': {
        const name = a[++i];
        const br = name === undefined ? undefined : state.links.get(name);
        if (!br) throw new CommandFailed(argv, 1, `Error: argument "${name ?? ''}" is wrong: Device does not exist\n`);
        const lb = state.linuxBridges.get(br.name);
        if (!lb) throw new CommandFailed(argv, 2, 'RTNETLINK answers: Operation not supported\n');
        if (dev.master === br.name) break;
        if (dev.master === OVS_SYSTEM || state.linuxBridges.has(dev.name) || dev.name === br.name) throw new CommandFailed(argv, 2, 'RTNETLINK answers: Device or resource busy\n');
        if (dev.master) state.detach(dev);
        state.attach(dev, lb);
        break;
      }
      case 'nomaster':
        if (dev.master && dev.master !== OVS_SYSTEM) state.detach(dev);
        break;
      case 'address': {
        const mac = (a[++i] ?? '').toLowerCase();
        if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(mac)) throw new CommandFailed(argv, 1, `"${mac}" is invalid lladdr.\n`);
        dev.mac = mac;
        break;
      }
      default:
        throw new CommandFailed(argv, 255, `Error: either "dev" is duplicate, or "${t}" is a garbage.\n`);
    }
  }
  return '';
}

function linkDelete(state: HostState, argv: readonly string[], a: readonly string[]): string {
  const name = a[0] === 'dev' ? a[1] : a[0];
  const dev = find(state, argv, name);
  if (dev.kind === 'internal') throw new CommandFailed(argv, 2, 'RTNETLINK answers: Operation not supported\n');
  state.deleteLink(dev.name);
  return '';
}

function linkShow(state: HostState, argv: readonly string[], a: readonly string[]): string {
  const name = a[0] === 'dev' ? a[1] : a[0];
  if (name !== undefined) {
    const l = state.links.get(name);
    if (!l) throw new CommandFailed(argv, 1, `Device "${name}" does not exist.\n`);
    return formatLink(state, l);
  }
  return [...state.links.values()]
    .sort((x, y) => x.ifindex - y.ifindex)
    .map((l) => formatLink(state, l))
    .join('');
}

/** One device as `ip link show` prints it. */
export function formatLink(state: HostState, l: Link): string {
  const lower = state.lowerUp(l);
  const flags = [
    ...(l.up && !lower && l.kind !== 'internal' ? ['NO-CARRIER'] : []),
    'BROADCAST',
    'MULTICAST',
    ...(l.promisc ? ['PROMISC'] : []),
    ...(l.up ? ['UP'] : []),
    ...(lower ? ['LOWER_UP'] : []),
  ];
  const operstate = !l.up ? 'DOWN' : lower ? 'UP' : l.kind === 'veth' ? 'LOWERLAYERDOWN' : l.kind === 'internal' ? 'UNKNOWN' : 'DOWN';
  const qdisc = !l.up ? 'noop' : l.kind === 'tap' ? 'fq_codel' : 'noqueue';
  const peer = l.kind === 'veth' && l.peer ? `@${l.peer}` : '';
  const master = l.master ? ` master ${l.master}` : '';
  const qlen = l.kind === 'internal' ? '' : ' qlen 1000';
  return `${l.ifindex}: ${l.name}${peer}: <${flags.join(',')}> mtu ${l.mtu} qdisc ${qdisc}${master} state ${operstate} mode DEFAULT group default${qlen}\n    link/ether ${l.mac} brd ff:ff:ff:ff:ff:ff\n`;
}

function tuntap(state: HostState, argv: readonly string[], args: readonly string[]): string {
  const cmd = args[0];
  let name: string | undefined;
  let mode: string | undefined;
  for (let i = 1; i < args.length; i++) {
    const t = args[i]!;
    if (t === 'dev' || t === 'name') name = args[++i];
    else if (t === 'mode') mode = args[++i];
    else if (t === 'user' || t === 'group') i++;
    else if (t === 'multi_queue' || t === 'vnet_hdr' || t === 'one_queue' || t === 'pi') continue;
    else if (name === undefined) name = t;
  }
  if (mode !== 'tap' && mode !== 'tun') throw new CommandFailed(argv, 1, 'You failed to specify a tunnel mode\n');
  if (cmd === 'add') {
    name = checkName(argv, name);
    if (state.links.has(name)) throw new CommandFailed(argv, 1, 'ioctl(TUNSETIFF): Device or resource busy\n');
    state.addLink(name, LinkKinds.tap);
    return '';
  }
  if (cmd === 'del' || cmd === 'delete') {
    const l = name === undefined ? undefined : state.links.get(name);
    if (!l || l.kind !== 'tap') throw new CommandFailed(argv, 1, 'ioctl(TUNSETIFF): Invalid argument\n');
    state.deleteLink(l.name);
    return '';
  }
  throw new CommandFailed(argv, 255, `Command "${cmd ?? ''}" is unknown, try "ip tuntap help".\n`);
}
