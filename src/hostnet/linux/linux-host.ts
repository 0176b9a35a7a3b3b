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
import { closeSync, constants, existsSync, openSync, writeSync } from 'node:fs';
import { CommandFailed, type ExecuteOptions, type HostDevices, type HostNetwork, type InterfaceEvent, type SequencedCommand } from '../host-network.js';
import { type HostRequirement, HostDriverUnavailable } from './errors.js';
import { realArgv, realEnv, run } from './exec.js';
import { InterfaceMonitorState } from './interface-monitor.js';
import { inHostNamespace, namespaceHasLink, rundirOf } from './netns.js';
import { type Step, planSequence, planWithoutSysfs } from './plan.js';
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
