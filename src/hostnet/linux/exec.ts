/** Running a host command for real: argv through execFile (no shell), stdin, CommandFailed on failure. */
import { execFileSync, spawn } from 'node:child_process';
import { CommandFailed } from '../host-network.js';

/** The argv as it is run: ovs-vsctl and ovsdb-client get the configured database and a timeout. */
export function realArgv(argv: readonly string[], db: string | null): string[] {
  const tool = argv[0] ?? '';
  const base = tool.replace(/^.*\//, '');
  // Without --timeout an ovs-vsctl waits forever for an unreachable ovsdb-server or ovs-vswitchd.
  if (base === 'ovs-vsctl') return [tool, ...(db ? [`--db=${db}`] : []), '--timeout=10', ...argv.slice(1)];
  return [...argv];
}

/**
 * The environment a command runs with: ovs-ofctl finds a bridge's OpenFlow socket
 * (BR.mgmt) in OVS_RUNDIR, which for a private ovsdb-server at unix:DIR/db.sock is DIR
 * (scripts/ovs-sandbox.sh); undefined (the inherited one) otherwise.
 */
export function realEnv(argv: readonly string[], db: string | null): NodeJS.ProcessEnv | undefined {
  if (!db?.startsWith('unix:') || (argv[0] ?? '').replace(/^.*\//, '') !== 'ovs-ofctl') return undefined;
  const dir = db.slice(5).replace(/\/[^/]*$/, '');
  return { ...process.env, OVS_RUNDIR: dir };
}

/** Runs argv (already real) and resolves to stdout; rejects with CommandFailed naming the given argv. */
export function run(shown: readonly string[], argv: readonly string[], input?: string, env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], ...(env ? { env } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(e.code === 'ENOENT' ? new CommandFailed(shown, 127, `/bin/sh: 1: ${argv[0]}: not found\n`) : e);
    });
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new CommandFailed(shown, code ?? 1, stderr, stdout))));
    if (input === undefined) return;
    // A command that exits without reading its input (tee on a missing file) must not crash us with EPIPE.
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(input);
  });
}

/** The synchronous form, for snapshot() (the HostNetwork interface's snapshot is synchronous). */
export function runSync(argv: readonly string[]): string {
  try {
    return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { status?: number | null; stderr?: string; stdout?: string };
    if (e.code === 'ENOENT') throw new CommandFailed(argv, 127, `/bin/sh: 1: ${argv[0]}: not found\n`);
    throw new CommandFailed(argv, e.status ?? 1, e.stderr ?? '', e.stdout ?? '');
  }
}
