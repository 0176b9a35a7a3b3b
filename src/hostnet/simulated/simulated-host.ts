/**
 * A hypervisor host's network devices in memory (STYLE 9: data, no process, no timer):
 * the commands are interpreted against HostState synchronously and cheaply, so a
 * thousand plugs cost milliseconds. The host starts the way the OVS agent leaves one:
 * br-int (fail_mode secure, [agent] datapath_type), br-tun with its patch pair when
 * tunnel types are configured, and one provider bridge per bridge mapping with its
 * int-/phy- patch pair.
 *
 * Fault injection is data: injectFault() makes matching commands fail with the given
 * stderr, setOvsdbAvailable(false) makes every ovs-vsctl fail as with ovsdb-server down.
 */
import type { Random } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import {
  CommandFailed,
  type ExecuteOptions,
  type HostDevices,
  type HostNetwork,
  type InterfaceEvent,
  type OvsBridgeInfo,
} from '../host-network.js';
import { runBrctl, runTee } from './brctl.js';
import { runIp } from './ip.js';
import { runOvsOfctl } from './ovs-ofctl.js';
import { runOvsVsctl } from './ovs-vsctl.js';
import { type HostDump, HostState } from './state.js';

export interface SimulatedHostOptions {
  random: Random;
  log?: Logger;
  /** [agent] datapath_type of the agent's bridges (default "system"). */
  datapathType?: string;
  /** physnet → provider bridge ([ovs] bridge_mappings). */
  bridgeMappings?: Record<string, string>;
  /** [agent] tunnel_types; a tunnel bridge is made when there are any. */
  tunnelTypes?: readonly string[];
  integrationBridge?: string;
  tunnelBridge?: string;
}

/** A command failure to inject: commands whose argv matches fail with this stderr. */
export interface CommandFault {
  /** The tool (argv[0]) to fail, e.g. "ovs-vsctl"; any when absent. */
  command?: string;
  /** Fails only commands whose joined argv contains this text (a device name, a sub-command). */
  contains?: string;
  stderr: string;
  exitCode?: number;
  /** Fails this many matching commands, then stops (default: until removed). */
  times?: number;
}

/** What ovs-vsctl says when ovsdb-server is not running. */
export const OVSDB_DOWN = 'ovs-vsctl: unix:/var/run/openvswitch/db.sock: database connection failed (No such file or directory)\n';

export class SimulatedHostNetwork implements HostNetwork {
  readonly #state: HostState;
  readonly #faults: (CommandFault & { left: number })[] = [];
  readonly #log: Logger | undefined;
  readonly #debug: boolean;
  #ovsdbUp = true;
  readonly #restored = new Set<() => void>();

  constructor(
    readonly host: string,
    opts: SimulatedHostOptions,
  ) {
    this.#state = new HostState(host, opts.random);
    this.#log = opts.log;
    this.#debug = !!opts.log?.isLevelEnabled('debug');
    const dp = opts.datapathType ?? 'system';
    const intBr = opts.integrationBridge ?? 'br-int';
    this.run(['ovs-vsctl', '--', '--may-exist', 'add-br', intBr, '--', 'set', 'Bridge', intBr, `datapath_type=${dp}`, 'fail_mode=secure']);
    for (const bridge of Object.values(opts.bridgeMappings ?? {})) {
      this.run(['ovs-vsctl', '--', '--may-exist', 'add-br', bridge, '--', 'set', 'Bridge', bridge, `datapath_type=${dp}`, 'fail_mode=secure']);
      this.#patchPair(intBr, `int-${bridge}`.slice(0, 15), bridge, `phy-${bridge}`.slice(0, 15));
    }
    if (opts.tunnelTypes?.length) {
      const tun = opts.tunnelBridge ?? 'br-tun';
      this.run(['ovs-vsctl', '--', '--may-exist', 'add-br', tun, '--', 'set', 'Bridge', tun, `datapath_type=${dp}`, 'fail_mode=secure']);
      this.#patchPair(intBr, 'patch-tun', tun, 'patch-int');
    }
  }

  #patchPair(brA: string, portA: string, brB: string, portB: string): void {
    this.run(['ovs-vsctl', '--', '--may-exist', 'add-port', brA, portA, '--', 'set', 'Interface', portA, 'type=patch', `options:peer=${portB}`]);
    this.run(['ovs-vsctl', '--', '--may-exist', 'add-port', brB, portB, '--', 'set', 'Interface', portB, 'type=patch', `options:peer=${portA}`]);
  }

  execute(argv: string[], opts: ExecuteOptions = {}): Promise<string> {
    try {
      return Promise.resolve(this.run(argv, opts.input ?? ''));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** The synchronous interpreter behind execute() (set-up, tools and tests may call it directly). */
  run(argv: readonly string[], input = ''): string {
    if (this.#debug) this.#log!.debug({ host: this.host, argv }, 'Running cmd (subprocess)');
    const tool = argv[0]?.replace(/^.*\//, '') ?? '';
    if (this.#faults.length) this.#checkFaults(tool, argv);
    switch (tool) {
      case 'ip':
        return runIp(this.#state, argv);
      case 'brctl':
        return runBrctl(this.#state, argv);
      case 'ovs-vsctl':
        if (!this.#ovsdbUp) throw new CommandFailed(argv, 1, OVSDB_DOWN);
        return runOvsVsctl(this.#state, argv);
      case 'ovs-ofctl':
        return runOvsOfctl(this.#state, argv, input);
      case 'tee':
        return runTee(this.#state, argv, input);
      default:
        throw new CommandFailed(argv, 127, `/bin/sh: 1: ${tool}: not found\n`);
    }
  }

  onInterfaceChange(listener: (ev: InterfaceEvent) => void): () => void {
    for (const ev of this.#state.initialEvents()) listener(ev);
    this.#state.listeners.add(listener);
    return () => void this.#state.listeners.delete(listener);
  }

  /** Makes matching commands fail; returns the function that removes the fault. */
  injectFault(fault: CommandFault): () => void {
    const f = { ...fault, left: fault.times ?? Infinity };
    this.#faults.push(f);
    return () => {
      const i = this.#faults.indexOf(f);
      if (i >= 0) this.#faults.splice(i, 1);
    };
  }

  /** The host's devices as structured-clonable data, for `nimbus snapshot save`. */
  dumpDevices(): HostDump {
    return this.#state.dump();
  }

  /** Puts back the devices of a dump (`nimbus snapshot load`); watchers must resubscribe to see them. */
  restoreDevices(d: HostDump): void {
    this.#state.restore(d);
    for (const fn of [...this.#restored]) fn();
  }

  /**
   * Calls `fn` after each restoreDevices (the OVS agent watching this host then
   * resubscribes, as after its restart); returns the unsubscribe function.
   */
  onRestore(fn: () => void): () => void {
    this.#restored.add(fn);
    return () => void this.#restored.delete(fn);
  }

  /** Fault injection: ovsdb-server stopped (every ovs-vsctl fails) or back. */
  setOvsdbAvailable(on: boolean): void {
    this.#ovsdbUp = on;
  }

  #checkFaults(tool: string, argv: readonly string[]): void {
    const joined = argv.join(' ');
    const i = this.#faults.findIndex((f) => (!f.command || f.command === tool) && (!f.contains || joined.includes(f.contains)));
    if (i < 0) return;
    const f = this.#faults[i]!;
    if (--f.left <= 0) this.#faults.splice(i, 1);
    throw new CommandFailed(argv, f.exitCode ?? 1, f.stderr.endsWith('\n') ? f.stderr : f.stderr + '\n');
  }

  snapshot(): HostDevices {
    const s = this.#state;
    const links = [...s.links.values()]
      .sort((a, b) => a.ifindex - b.ifindex)
      .map((l) => ({ name: l.name, ifindex: l.ifindex, kind: l.kind, peer: l.peer, master: l.master, up: l.up, promisc: l.promisc, mtu: l.mtu, mac: l.mac }));
    const linuxBridges = [...s.linuxBridges.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((b) => ({ name: b.name, stp: b.stp, forwardDelay: b.forwardDelay / 100, multicastSnooping: b.multicastSnooping, ports: [...b.ports] }));
    const ovsBridges: OvsBridgeInfo[] = [...s.bridges.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((br) => ({
        name: br.name,
        datapathType: br.datapathType,
        failMode: br.failMode,
        externalIds: { ...br.externalIds },
        ports: [...br.ports].sort().map((pn) => {
          const p = s.ports.get(pn)!;
          return {
            name: p.name,
            tag: p.tag,
            vlanMode: p.vlanMode,
            trunks: [...p.trunks],
            externalIds: { ...p.externalIds },
            otherConfig: { ...p.otherConfig },
            interfaces: p.interfaces.map((n) => {
              const i = s.ifaces.get(n)!;
              return { name: i.name, type: i.type, ofport: i.ofport, externalIds: { ...i.externalIds }, options: { ...i.options }, error: i.error, mtuRequest: i.mtuRequest };
            }),
          };
        }),
      }));
    return { host: this.host, links, linuxBridges, ovsBridges };
  }
}
