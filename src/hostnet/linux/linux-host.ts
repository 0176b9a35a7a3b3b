/**
 * The `linux` host driver: the HostNetwork commands run for real, as root, with
 * execFile (no shell, no rootwrap), against the kernel's devices and an Open vSwitch
 * whose ovsdb-server answers at `db` (ovs-vsctl's default socket when null).
 *
 * open() is the start-up check: root, `ip`, `ovs-vsctl` and a reachable
 * ovsdb-server, each missing one a HostDriverUnavailable naming it; then the integration
 * bridge is made when missing (fail_mode secure, the configured datapath type: only
 * "netdev" works without the openvswitch kernel module).
 *
 * Interface events come from an OVSDB monitor of the Interface, Port and Bridge tables
 * (RFC 7047 over the `db` socket, ovsdb/client.ts: no process, and each interface's
 * bridge read from the same rows), one connection per subscriber so each gets its own
 * "initial" rows, as with the simulated host; events are delivered in order, asynchronously.
 */
import type { Logger } from '../../common/log.js';
import { closeSync, constants, existsSync, openSync, writeSync } from 'node:fs';
import { CommandFailed, type ExecuteOptions, type HostDevices, type HostNetwork, type InterfaceEvent, type SequencedCommand } from '../host-network.js';
import { type HostRequirement, HostDriverUnavailable } from './errors.js';
import { realArgv, realEnv, run } from './exec.js';
import { INTERFACE_MONITOR, InterfaceMonitorState } from './interface-monitor.js';
import { OvsdbClient, type TableUpdates } from './ovsdb/client.js';
import { OvsdbConnectionClosed } from './ovsdb/errors.js';
import { inHostNamespace, namespaceHasLink, rundirOf } from './netns.js';
import { type Step, planSequence, planWithoutSysfs } from './plan.js';
import { readDevices } from './snapshot.js';

export interface LinuxHostOptions {
  /** ovsdb-server's socket as ovs-vsctl's --db takes it (unix:PATH); null = ovs-vsctl's default. */
  db?: string | null;
  integrationBridge?: string;
  /** Datapath type of a bridge made at start (default "netdev"). */
  datapathType?: string;
  log?: Logger;
  /** The uid the check compares with 0 (tests pass another to see the refusal). */
  uid?: number;
  /**
   * The network namespace the host is (several hosts on one machine, scripts/host-netns.sh);
   * null = the root namespace. Its ovsdb-server answers at `db`, whose directory is the
   * run directory of its ovs-vswitchd.
   */
  netns?: string | null;
}

/**
 * Writes a kernel knob (an existing file under /sys or /proc/sys) as tee would: one
 * write of the data, the file opened without O_CREAT so nothing is ever made. False when
 * it failed (nothing written): the caller runs the real command for its error.
 */
function writeKnob(file: string, data: string): boolean {
  try {
    const fd = openSync(file, constants.O_WRONLY);
    try {
      writeSync(fd, data);
    } finally {
      closeSync(fd);
    }
    return true;
  } catch {
    return false;
  }
}

/** ovs-vsctl's default database socket: unix:$OVS_RUNDIR/db.sock (Debian's rundir /var/run/openvswitch). */
const defaultDb = () => `unix:${process.env['OVS_RUNDIR'] ?? '/var/run/openvswitch'}/db.sock`;

export class LinuxHostNetwork implements HostNetwork {
  /** Guests are network namespaces here (vif.ts attachGuestTap moves the NIC into one). */
  readonly guestNamespaces = true;
  /** iptables and ipset act on real traffic here (the agent's iptables_hybrid firewall runs). */
  readonly packetFilter = true;
  readonly #db: string | null;
  readonly #netns: string | null;
  readonly #rundir: string | null;
  readonly #log: Logger | undefined;
  readonly #clients = new Set<OvsdbClient>();
  #closed = false;
  #spawned = 0;

  private constructor(
    readonly host: string,
    opts: LinuxHostOptions,
  ) {
    this.#db = opts.db ?? null;
    this.#netns = opts.netns || null;
    this.#rundir = rundirOf(this.#db);
    this.#log = opts.log;
  }

  /** Checks the machine and makes the integration bridge; throws HostDriverUnavailable naming what is missing. */
  static async open(host: string, opts: LinuxHostOptions = {}): Promise<LinuxHostNetwork> {
    const uid = opts.uid ?? process.getuid?.() ?? -1;
    if (uid !== 0) throw new HostDriverUnavailable('root', `it must run as root (uid 0), not uid ${uid}: it creates network devices and namespaces`);
    const net = new LinuxHostNetwork(host, opts);
    const need = async (what: HostRequirement, argv: string[], hint: string) => {
      try {
        await run(argv, argv);
      } catch (e) {
        if (e instanceof CommandFailed && e.exitCode === 127) throw new HostDriverUnavailable(what, `\`${what}\` was not found on PATH (${hint})`);
      }
    };
    await need('ip', ['ip', '-V'], 'Debian: apt-get install iproute2');
    await need('ovs-vsctl', ['ovs-vsctl', '--version'], 'Debian: apt-get install openvswitch-switch');
    if (net.#netns) {
      const out = await run(['ip', 'netns', 'list'], ['ip', 'netns', 'list']);
      if (!out.split('\n').some((l) => l.split(' ')[0] === net.#netns)) {
        throw new HostDriverUnavailable('netns', `the host's network namespace ${net.#netns} ([linux_host] netns) does not exist; make it with its Open vSwitch (scripts/host-netns.sh start)`);
      }
    }
    try {
      await net.execute(['ovs-vsctl', '--no-wait', 'show']);
    } catch (e) {
      const why = e instanceof CommandFailed ? e.stderr.trim() : String(e);
      throw new HostDriverUnavailable('ovsdb-server', `ovsdb-server does not answer at ${net.#db ?? "ovs-vsctl's default socket"} (${why}); start it, or set [linux_host] ovsdb_socket (scripts/ovs-sandbox.sh starts a private one)`);
    }
    const br = opts.integrationBridge ?? 'br-int';
    try {
      await net.execute(['ovs-vsctl', 'br-exists', br]);
    } catch (e) {
      if (!(e instanceof CommandFailed && e.exitCode === 2)) throw e;
      await net.execute(['ovs-vsctl', '--', '--may-exist', 'add-br', br, '--', 'set', 'Bridge', br, `datapath_type=${opts.datapathType ?? 'netdev'}`, 'fail_mode=secure']);
    }
    return net;
  }

  execute(argv: string[], opts: ExecuteOptions = {}): Promise<string> {
    this.#log?.debug({ host: this.host, argv }, 'Running cmd (subprocess)');
    // `ip link show DEV` of a missing device (nova's existence check, twice per plug):
    // the answer ip would give, without a process, when sysfs has no such device.
    const dev = argv.length === 4 && argv[0] === 'ip' && argv[1] === 'link' && argv[2] === 'show' ? argv[3]! : null;
    if (dev && !dev.includes('/') && dev !== '.' && dev !== '..' && (this.#netns ? namespaceHasLink(this.#rundir, dev) === false : !existsSync(`/sys/class/net/${dev}`))) {
      return Promise.reject(new CommandFailed(argv, 1, `Device "${dev}" does not exist.\n`));
    }
    // `tee KNOB` (nova's multicast_snooping): the write itself, tee's echo as stdout; tee for real when it fails (its error).
    // Not for a namespaced host: this process's /sys is the root namespace's.
    if (!this.#netns && opts.input !== undefined && argv.length === 2 && argv[0] === 'tee' && /^\/(sys\/class\/net|proc\/sys\/net)(\/[\w.:-]+)+$/.test(argv[1]!) && writeKnob(argv[1]!, opts.input)) return Promise.resolve(opts.input);
    this.#spawned++;
    return run(argv, this.#real(argv), opts.input, realEnv(argv, this.#db));
  }

  /** The argv as it runs: the configured database, and the host's namespace when it has one. */
  #real(argv: readonly string[]): string[] {
    const real = realArgv(argv, this.#db);
    return this.#netns ? inHostNamespace(real, this.#netns, this.#rundir) : real;
  }

  /**
   * Runs the commands in order, as execute() one by one would, at far fewer processes
   * (plan.ts): runs of `ip` and translatable `brctl` commands in one `ip -batch -`, tee
   * to a kernel knob as a file write, consecutive ovs-vsctl commands as one transaction.
   * When a step fails, the steps before it are done and nothing of it is; its original
   * commands then run for real from there, so the failure is the command's own
   * CommandFailed, exactly as without batching, and the rest is planned again.
   */
  async executeAll(cmds: readonly SequencedCommand[]): Promise<void> {
    const steps = this.#netns ? planWithoutSysfs(cmds) : planSequence(cmds);
    for (let k = 0; k < steps.length; ) {
      const s = steps[k]!;
      if (s.kind === 'ip') {
        let e = k;
        while (e < steps.length && steps[e]!.kind === 'ip') e++;
        const group = steps.slice(k, e) as Extract<Step, { kind: 'ip' }>[];
        this.#log?.debug({ host: this.host, argv: cmds.slice(s.from, group.at(-1)!.to).map((c) => c.argv) }, 'Running cmd (ip -batch)');
        this.#spawned++;
        try {
          await run(['ip', '-batch', '-'], this.#real(['ip', '-batch', '-']), group.map((g) => g.line).join('\n') + '\n');
          k = e;
          continue;
        } catch (err) {
          const line = err instanceof CommandFailed ? /Command failed -:(\d+)/.exec(err.stderr) : null;
          const failed = line ? group[Number(line[1]) - 1] : undefined;
          if (!failed) throw err;
          return this.#fallBack(cmds, failed);
        }
      }
      if (s.kind === 'write') {
        this.#log?.debug({ host: this.host, argv: cmds[s.from]!.argv }, 'Running cmd (write)');
        if (!writeKnob(s.file, s.data)) return this.#fallBack(cmds, s);
      } else if (s.kind === 'ovs') {
        try {
          await this.execute(s.argv);
        } catch (err) {
          if (!(err instanceof CommandFailed)) throw err;
          return this.#fallBack(cmds, s);
        }
      } else {
        const c = cmds[s.from]!;
        await this.#runOne(c);
      }
      k++;
    }
  }

  /** A step failed and did nothing: its commands run for real (the real failure), then the rest, planned again. */
  async #fallBack(cmds: readonly SequencedCommand[], failed: Step): Promise<void> {
    for (const c of cmds.slice(failed.from, failed.to)) await this.#runOne(c);
    if (failed.to < cmds.length) await this.executeAll(cmds.slice(failed.to));
  }

  async #runOne(c: SequencedCommand): Promise<void> {
    try {
      await this.execute(c.argv, c.input === undefined ? {} : { input: c.input });
    } catch (e) {
      if (!(e instanceof CommandFailed && c.okExitCodes?.includes(e.exitCode))) throw e;
    }
  }

  /** How many processes execute() and executeAll() started so far (benchmarks; the monitors and snapshots are not counted). */
  get processesSpawned(): number {
    return this.#spawned;
  }

  snapshot(): HostDevices {
    return readDevices(this.host, realArgv(['ovs-vsctl'], this.#db), this.#netns);
  }

  /**
   * Each subscriber gets its own OVSDB connection and monitor (so its own "initial"
   * rows, as with the simulated host). Events are delivered in the database's order;
   * a lost connection is logged and reported to `onLost` (the subscriber may subscribe again).
   */
  onInterfaceChange(listener: (ev: InterfaceEvent) => void, onLost?: (err: Error) => void): () => void {
    let stopped = false;
    let client: OvsdbClient | null = null;
    let reported = false;
    const lost = (err: Error) => {
      if (stopped || this.#closed || reported) return;
      reported = true;
      this.#log?.error({ host: this.host, err }, 'OVSDB monitor of the Interface table lost');
      onLost?.(err);
    };
    const deliver = (events: InterfaceEvent[]) => {
      for (const ev of events) {
        if (stopped) return;
        listener(ev);
      }
    };
    void (async () => {
      const state = new InterfaceMonitorState();
      try {
        client = await OvsdbClient.connect(this.#db ?? defaultDb(), this.#log ? { log: this.#log } : {});
      } catch (e) {
        lost(e as Error);
        return;
      }
      if (stopped || this.#closed) return client.close();
      this.#clients.add(client);
      client.onClose((err) => {
        this.#clients.delete(client!);
        lost(err);
      });
      // Updates that arrive before the reply's initial rows are delivered wait for them.
      let queued: TableUpdates[] | null = [];
      try {
        const initial = await client.monitor('Open_vSwitch', 'interfaces', INTERFACE_MONITOR, (u) => (queued ? queued.push(u) : deliver(state.update(u))));
        deliver(state.initial(initial));
        for (const u of queued) deliver(state.update(u));
        queued = null;
      } catch (e) {
        if (!(e instanceof OvsdbConnectionClosed)) lost(e as Error);
        client.close();
      }
    })();
    return () => {
      stopped = true;
      if (client) {
        this.#clients.delete(client);
        client.close();
      }
    };
  }

  /** Stops the monitors (the devices stay: they are the host's). */
  close(): void {
    this.#closed = true;
    for (const c of this.#clients) c.close();
    this.#clients.clear();
  }
}
