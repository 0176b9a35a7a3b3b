/**
 * The `linux` host driver: the HostNetwork commands run for real, as root, with
 * execFile (no shell, no rootwrap), against the kernel's devices and an Open vSwitch
 * whose ovsdb-server answers at `db` (ovs-vsctl's default socket when null).
 *
 * open() is the start-up check: root, `ip`, `ovs-vsctl`, `ovsdb-client` and a reachable
 * ovsdb-server, each missing one a HostDriverUnavailable naming it; then the integration
 * bridge is made when missing (fail_mode secure, the configured datapath type: only
 * "netdev" works without the openvswitch kernel module).
 *
 * Interface events come from `ovsdb-client monitor Interface` (one process per
 * subscriber, so each gets its own "initial" rows, as with the simulated host); the
 * bridges of new interfaces are read with one `ovs-vsctl list` per update, so events
 * are delivered in order, asynchronously.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Logger } from '../../common/log.js';
import { existsSync } from 'node:fs';
import { CommandFailed, type ExecuteOptions, type HostDevices, type HostNetwork, type InterfaceEvent, type SequencedCommand } from '../host-network.js';
import { type HostRequirement, HostDriverUnavailable } from './errors.js';
import { realArgv, realEnv, run } from './exec.js';
import { InterfaceMonitorState } from './interface-monitor.js';
import { inHostNamespace, namespaceHasLink, rundirOf } from './netns.js';
import { LIST_OVS_ARGS, parseOvs, readDevices } from './snapshot.js';

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

export class LinuxHostNetwork implements HostNetwork {
  /** Guests are network namespaces here (vif.ts attachGuestTap moves the NIC into one). */
  readonly guestNamespaces = true;
  /** iptables and ipset act on real traffic here (the agent's iptables_hybrid firewall runs). */
  readonly packetFilter = true;
  readonly #db: string | null;
  readonly #netns: string | null;
  readonly #rundir: string | null;
  readonly #log: Logger | undefined;
  readonly #monitors = new Set<ChildProcess>();
  #closed = false;

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
    await need('ovsdb-client', ['ovsdb-client', '--version'], 'Debian: apt-get install openvswitch-switch');
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
    return run(argv, this.#real(argv), opts.input, realEnv(argv, this.#db));
  }

  /** The argv as it runs: the configured database, and the host's namespace when it has one. */
  #real(argv: readonly string[]): string[] {
    const real = realArgv(argv, this.#db);
    return this.#netns ? inHostNamespace(real, this.#netns, this.#rundir) : real;
  }

  /**
   * Runs the commands in order; each run of two or more consecutive plain `ip` commands
   * goes to one `ip -batch -` (one process instead of one each). When the batch fails at
   * line N, the N-1 before it are done and the rest run one by one from N, so the
   * failure is the command's own CommandFailed, exactly as without batching.
   */
  async executeAll(cmds: readonly SequencedCommand[]): Promise<void> {
    const batchable = (c: SequencedCommand) => c.argv[0] === 'ip' && c.input === undefined && !c.argv[1]?.startsWith('-') && c.argv.slice(1).every((a) => /^[\w.:@/-]+$/.test(a));
    for (let i = 0; i < cmds.length; ) {
      let j = i;
      while (j < cmds.length && batchable(cmds[j]!)) j++;
      if (j - i >= 2) {
        const group = cmds.slice(i, j);
        this.#log?.debug({ host: this.host, argv: group.map((c) => c.argv) }, 'Running cmd (ip -batch)');
        try {
          await run(['ip', '-batch', '-'], this.#real(['ip', '-batch', '-']), group.map((c) => c.argv.slice(1).join(' ')).join('\n') + '\n');
          i = j;
          continue;
        } catch (e) {
          const line = e instanceof CommandFailed ? /Command failed -:(\d+)/.exec(e.stderr) : null;
          if (!line) throw e;
          i += Number(line[1]) - 1;
          j = i;
        }
      }
      const end = Math.max(j, i + 1);
      for (; i < end; i++) {
        const c = cmds[i]!;
        try {
          await this.execute(c.argv, c.input === undefined ? {} : { input: c.input });
        } catch (e) {
          if (!(e instanceof CommandFailed && c.okExitCodes?.includes(e.exitCode))) throw e;
        }
      }
    }
  }

  snapshot(): HostDevices {
    return readDevices(this.host, realArgv(['ovs-vsctl'], this.#db), this.#netns);
  }

  onInterfaceChange(listener: (ev: InterfaceEvent) => void): () => void {
    const child = spawn('ovsdb-client', ['monitor', ...(this.#db ? [this.#db] : []), 'Open_vSwitch', 'Interface', 'name,ofport,external_ids', '--format=json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#monitors.add(child);
    let stopped = false;
    /** Interface name -> bridge now: one ovs-vsctl per monitor update, not one per row. */
    const bridgesByName = async (): Promise<Map<string, string>> => {
      try {
        const out = await run(['ovs-vsctl', 'list'], realArgv(['ovs-vsctl', ...LIST_OVS_ARGS], this.#db));
        return new Map(parseOvs(out).flatMap((b) => b.ports.flatMap((p) => p.interfaces.map((i) => [i.name, b.name] as const))));
      } catch {
        return new Map();
      }
    };
    const state = new InterfaceMonitorState(bridgesByName);
    let chain = Promise.resolve();
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      chain = chain.then(async () => {
        let events: InterfaceEvent[];
        try {
          events = await state.events(line);
        } catch (e) {
          // An unreadable line is skipped; the chain goes on with the next.
          this.#log?.warn({ host: this.host, err: e, line }, 'ovsdb-client monitor: unreadable update');
          return;
        }
        for (const ev of events) {
          if (stopped) return;
          listener(ev);
        }
      });
    });
    child.stderr!.on('data', (d: Buffer) => {
      if (!stopped && !this.#closed) this.#log?.warn({ host: this.host, stderr: d.toString() }, 'ovsdb-client monitor');
    });
    child.on('exit', () => this.#monitors.delete(child));
    return () => {
      stopped = true;
      child.kill();
    };
  }

  /** Stops the monitors (the devices stay: they are the host's). */
  close(): void {
    this.#closed = true;
    for (const m of this.#monitors) m.kill();
    this.#monitors.clear();
  }
}
