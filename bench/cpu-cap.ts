/**
 * CPU quotas for benchmark processes through cgroup v1's cpu controller
 * (/sys/fs/cgroup/cpu: cpu.cfs_quota_us over cpu.cfs_period_us), so each capped process
 * gets at most `cpus` cores however many the machine has. bench/distributed.ts caps its
 * worker processes with it (--worker-cpu): with one worker already saturating a 2-core
 * machine, a second worker only shows its gain when every worker has the same fixed
 * capacity and the worker tier, not the machine, is the bottleneck. Needs root and a
 * cgroup v1 cpu hierarchy; the groups are removed by release() (and on exit).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = '/sys/fs/cgroup/cpu';
/** CFS period: 100 ms, the kernel's default. */
const PERIOD_US = 100_000;

/** Why CPU caps cannot be set here (no cgroup v1 cpu controller, not root), or null. */
export function cpuCapUnavailable(): string | null {
  if (!existsSync(join(ROOT, 'cpu.cfs_quota_us'))) return `no cgroup v1 cpu controller at ${ROOT}`;
  if (process.getuid?.() !== 0) return 'capping CPU with cgroups needs root';
  return null;
}

/** One parent group holding a group per capped process, each with the same quota. */
export class CpuCaps {
  readonly #dir: string;
  readonly #quotaUs: number;
  readonly #groups: string[] = [];
  readonly #onExit = () => this.releaseSync();

  /** `cpus`: cores each capped process may use (0.3 = 30 ms per 100 ms period). `tag` names the parent group. */
  constructor(readonly cpus: number, tag: string) {
    if (!(cpus > 0)) throw new Error(`a CPU cap must be a positive number of cores, not ${cpus}`);
    const why = cpuCapUnavailable();
    if (why) throw new Error(why);
    this.#quotaUs = Math.max(1000, Math.round(cpus * PERIOD_US));
    this.#dir = join(ROOT, `${tag}-${process.pid}`);
    mkdirSync(this.#dir);
    process.once('exit', this.#onExit);
  }

  /** Moves process `pid` (all its threads, and those it starts later) into a capped group named `name`. */
  cap(name: string, pid: number): void {
    const dir = join(this.#dir, name.replace(/[^A-Za-z0-9_.-]/g, '_'));
    mkdirSync(dir);
    this.#groups.push(dir);
    writeFileSync(join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
    writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(this.#quotaUs));
    writeFileSync(join(dir, 'cgroup.procs'), String(pid));
  }

  /** Per capped group: periods in which it was throttled of those it ran, and the time held back (s). */
  throttling(): { name: string; throttledPeriods: number; periods: number; throttledS: number }[] {
    return this.#groups.map((dir) => {
      const stat = Object.fromEntries(
        readFileSync(join(dir, 'cpu.stat'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => l.split(' '))
          .map(([k, v]) => [k, Number(v)]),
      ) as Record<string, number>;
      return { name: dir.slice(this.#dir.length + 1), throttledPeriods: stat['nr_throttled'] ?? 0, periods: stat['nr_periods'] ?? 0, throttledS: (stat['throttled_time'] ?? 0) / 1e9 };
    });
  }

  /**
   * Removes the groups: any process still in one goes back to the root group first
   * (a group with members cannot be removed). Safe to call twice.
   */
  releaseSync(): void {
    process.off('exit', this.#onExit);
    if (!existsSync(this.#dir)) return;
    for (const name of readdirSync(this.#dir, { withFileTypes: true }).filter((e) => e.isDirectory())) {
      const dir = join(this.#dir, name.name);
      for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        try {
          writeFileSync(join(ROOT, 'cgroup.procs'), pid);
        } catch {
          /* exited meanwhile */
        }
      }
      rmdirSync(dir);
    }
    rmdirSync(this.#dir);
    this.#groups.length = 0;
  }
}
