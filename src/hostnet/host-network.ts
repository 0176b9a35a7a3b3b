/**
 * One hypervisor host's network devices, driven by the commands nova, os-vif and the
 * OVS agent run as root (`brctl`, `ip`, `ovs-vsctl`, `tee /sys/class/net/...`).
 *
 * The interface is command-shaped on purpose: the simulated host interprets the argv
 * in memory, and a real host runs the same argv with execFile. Everything above it
 * (nova's VIF driver, the L2 agent, the port-recovery tool) therefore speaks exactly
 * what it would speak to Linux.
 */

/** What kind of network device a link is. */
export const LinkKinds = {
  /** A tun/tap device (the guest's NIC as libvirt creates it). */
  tap: 'tap',
  /** One end of a veth pair (qvb/qvo). */
  veth: 'veth',
  /** A Linux bridge (qbr). */
  bridge: 'bridge',
  /** A device Open vSwitch owns: a bridge's local port, an internal port, ovs-system. */
  internal: 'internal',
} as const;
export type LinkKind = (typeof LinkKinds)[keyof typeof LinkKinds];

/** One link as `ip link show` knows it. */
export interface LinkInfo {
  name: string;
  ifindex: number;
  kind: LinkKind;
  /** The other end of a veth pair. */
  peer: string | null;
  /** The Linux bridge it is enslaved to, or "ovs-system" when it is an OVS port. */
  master: string | null;
  up: boolean;
  promisc: boolean;
  mtu: number;
  mac: string;
}

/** One Linux bridge as brctl and /sys/class/net/X/bridge show it. */
export interface LinuxBridgeInfo {
  name: string;
  stp: boolean;
  /** Seconds (brctl setfd). */
  forwardDelay: number;
  multicastSnooping: boolean;
  /** Enslaved links, in the order they were added. */
  ports: string[];
}

/** One row of OVSDB's Interface table. */
export interface OvsInterfaceInfo {
  name: string;
  /** "" (a system device), "internal", "patch", "vxlan"... */
  type: string;
  /** OpenFlow port number; -1 when OVS could not open the device. */
  ofport: number;
  externalIds: Record<string, string>;
  options: Record<string, string>;
  /** OVS's error text when the device could not be opened. */
  error: string | null;
  mtuRequest: number | null;
}

/** One row of OVSDB's Port table with its interfaces. */
export interface OvsPortInfo {
  name: string;
  /** The access VLAN; null when unset. */
  tag: number | null;
  vlanMode: string | null;
  trunks: number[];
  externalIds: Record<string, string>;
  otherConfig: Record<string, string>;
  interfaces: OvsInterfaceInfo[];
}

/** One OVS bridge with its ports (sorted by name, as ovs-vsctl lists them). */
export interface OvsBridgeInfo {
  name: string;
  datapathType: string;
  failMode: string | null;
  externalIds: Record<string, string>;
  ports: OvsPortInfo[];
}

/** Everything on a host now. */
export interface HostDevices {
  host: string;
  links: LinkInfo[];
  linuxBridges: LinuxBridgeInfo[];
  ovsBridges: OvsBridgeInfo[];
}

/**
 * One change to OVSDB's Interface table, as an OVSDB monitor of its name, ofport and
 * external_ids columns reports it (RFC 7047 §4.1.6). "initial" rows are sent once
 * to a new subscriber for every interface that exists when it subscribes.
 */
export interface InterfaceEvent {
  action: 'initial' | 'insert' | 'delete' | 'update';
  name: string;
  /** The bridge of the interface's port (for a delete: the bridge it was on). */
  bridge: string | null;
  ofport: number;
  externalIds: Readonly<Record<string, string>>;
}

/** One command of a sequence given to executeAll. */
export interface SequencedCommand {
  argv: string[];
  input?: string;
  /** Exit codes besides 0 that are not a failure (nova's check_exit_code). */
  okExitCodes?: number[];
}

export interface ExecuteOptions {
  /** Standard input (tee's data, processutils' process_input). */
  input?: string;
}

export interface HostNetwork {
  readonly host: string;
  /**
   * Whether a guest is a network namespace holding its NICs (the linux host: libvirt's
   * tap is one end of a veth pair whose other end is the guest's ethN). The simulated
   * host makes a plain tap device, as libvirt would, and nothing of the guest.
   */
  readonly guestNamespaces?: boolean;
  /**
   * Whether iptables / ip6tables (-save, -restore) and ipset act on traffic here, so the
   * OVS agent's iptables_hybrid firewall runs (the linux host). The simulated host has
   * no packets to filter and does not run them (see agents/firewall/sg-agent.ts).
   */
  readonly packetFilter?: boolean;
  /**
   * Runs one command as root would. Resolves to its stdout; rejects with CommandFailed
   * (argv, exit code and the real tool's stderr) whenever the real command would fail:
   * a device that exists, no such device, a port on another bridge...
   */
  execute(argv: string[], opts?: ExecuteOptions): Promise<string>;
  /**
   * Runs commands in order, as execute() would one by one, stopping at the first failure
   * (its CommandFailed); a host may batch them (the linux host: consecutive `ip`
   * commands in one `ip -batch`). The argv are the same either way. Optional: callers
   * fall back to execute() per command.
   */
  executeAll?(cmds: readonly SequencedCommand[]): Promise<void>;
  /**
   * Subscribes to the Interface table: first an "initial" event per existing interface,
   * then insert/delete/update events as transactions commit. Listeners are called
   * synchronously after the change and must not throw or run commands synchronously.
   * Returns the unsubscribe function. `onLost` is told when the watch ends by itself
   * (the linux host: its OVSDB connection closed); no event follows, and the subscriber
   * may subscribe again (new "initial" rows). The simulated host never loses it.
   */
  onInterfaceChange(listener: (ev: InterfaceEvent) => void, onLost?: (err: Error) => void): () => void;
  /** Everything on the host now (copies; for tests and the port-recovery tool). */
  snapshot(): HostDevices;
  /** Simulated hosts: calls `fn` after their devices were put back from a snapshot (watchers resubscribe). */
  onRestore?(fn: () => void): () => void;
}

/**
 * A command that failed as the real one would: oslo.concurrency's
 * ProcessExecutionError, with its message text.
 */
export class CommandFailed extends Error {
  readonly argv: readonly string[];
  readonly exitCode: number;
  readonly stderr: string;
  readonly stdout: string;

  constructor(argv: readonly string[], exitCode: number, stderr: string, stdout = '') {
    // Failed existence checks are frequent: no stack trace (the argv says where), and the
    // message is built only when read (below).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super();
    Error.stackTraceLimit = limit;
    this.name = 'ProcessExecutionError';
    this.argv = argv;
    this.exitCode = exitCode;
    this.stderr = stderr;
    this.stdout = stdout;
  }
}
Object.defineProperty(CommandFailed.prototype, 'message', {
  get(this: CommandFailed): string {
    return `Unexpected error while running command.\nCommand: ${this.argv.join(' ')}\nExit code: ${this.exitCode}\nStdout: ${pyRepr(this.stdout)}\nStderr: ${pyRepr(this.stderr)}`;
  },
});

/** Python's repr() of a str, as ProcessExecutionError prints stdout and stderr. */
export function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === quote) out += '\\' + ch;
    else out += ch;
  }
  return quote + out + quote;
}
