/**
 * neutron's IptablesManager (agent/linux/iptables_manager.py) for the OVS agent's hybrid
 * firewall: the wanted rules of the filter and raw tables, IPv4 and IPv6, and `apply`,
 * which reads the host's current state with `iptables-save` and writes the difference
 * with one `iptables-restore -n` per address family, as _apply_synchronized does:
 *
 * - the agent's chains are wrapped with its binary name (`neutron-openvswi-`, the first
 *   16 characters of neutron-openvswitch-agent) and cut to 11 characters after it;
 *   `$name` in a rule means the wrapped chain;
 * - lines of other owners are kept; the agent's lines are rebuilt (_modify_rules) and
 *   each chain is diffed against what iptables-save printed, giving `-D chain N` and
 *   `-I chain N rule` statements (_generate_path_between_rules); chains no longer
 *   wanted are deleted with `-X`.
 *
 * Unlike Zed, the wanted state is built afresh by the caller for every apply (Zed's
 * firewall removes and re-adds every port chain in filter_defer_apply_off, which comes
 * to the same tables). Comments are on (comment_iptables_rules = True).
 */
import { CommandFailed, type HostNetwork } from '../../../hostnet/host-network.js';

/** iptables_manager.binary_name for neutron-openvswitch-agent ([:16]). */
export const WRAP_NAME = 'neutron-openvswi';
/** MAX_CHAIN_LEN_WRAP / MAX_CHAIN_LEN_NOWRAP. */
const MAX_CHAIN_LEN_WRAP = 11;
const MAX_CHAIN_LEN_NOWRAP = 28;

export type TableName = 'filter' | 'raw';
export type IpVersion = 4 | 6;

/** get_chain_name: a chain name as iptables accepts it (cut to its maximum length). */
export function chainName(name: string, wrap = true): string {
  return name.slice(0, wrap ? MAX_CHAIN_LEN_WRAP : MAX_CHAIN_LEN_NOWRAP);
}

/** comment_rule: the comment goes before the jump, as iptables-save prints it. */
export function commentRule(rule: string, comment?: string): string {
  if (!comment) return rule;
  const c = `-m comment --comment "${comment}"`;
  if (rule.startsWith('-j')) return `${c} ${rule}`;
  const j = rule.indexOf(' -j ');
  return j < 0 ? `${rule} ${c}` : `${rule.slice(0, j)} ${c} ${rule.slice(j + 1)}`;
}

interface Rule {
  chain: string;
  rule: string;
  wrap: boolean;
  top: boolean;
  comment?: string;
}

/** One table's wanted chains and rules (IptablesTable). */
export class IptablesTable {
  readonly chains = new Set<string>();
  readonly unwrappedChains = new Set<string>();
  readonly rules: Rule[] = [];

  addChain(name: string, wrap = true): void {
    (wrap ? this.chains : this.unwrappedChains).add(chainName(name, wrap));
  }

  /** Adds a rule; `$x` in it is the wrapped chain x. The chain must have been added (built-in ones are). */
  addRule(chain: string, rule: string, opts: { wrap?: boolean; top?: boolean; comment?: string } = {}): void {
    const wrap = opts.wrap ?? true;
    const expanded = rule.replace(/\$(\S+)/g, (_m, c: string) => `${WRAP_NAME}-${chainName(c)}`);
    this.rules.push({ chain: chainName(chain, wrap), rule: expanded, wrap, top: opts.top ?? false, ...(opts.comment ? { comment: opts.comment } : {}) });
  }

  /** The iptables-save line of a rule (IptablesRule.__str__). */
  static line(r: Rule): string {
    const chain = r.wrap ? `${WRAP_NAME}-${r.chain}` : r.chain;
    return commentRule(`-A ${chain} ${r.rule}`.trim(), r.comment);
  }
}

/** The built-in chains the manager wraps, per table (_configure_builtin_chains). */
const BUILTIN: Record<TableName, string[]> = { filter: ['INPUT', 'OUTPUT', 'FORWARD'], raw: ['PREROUTING', 'OUTPUT'] };

/** A fresh set of tables with IptablesManager(state_less=True)'s own chains and jumps. */
export function baseTables(): Record<TableName, IptablesTable> {
  const filter = new IptablesTable();
  filter.addChain('neutron-filter-top', false);
  filter.addRule('FORWARD', '-j neutron-filter-top', { wrap: false, top: true });
  filter.addRule('OUTPUT', '-j neutron-filter-top', { wrap: false, top: true });
  filter.addChain('local');
  filter.addRule('neutron-filter-top', '-j $local', { wrap: false });
  const tables = { filter, raw: new IptablesTable() };
  for (const t of ['filter', 'raw'] as const) {
    for (const chain of BUILTIN[t]) {
      tables[t].addChain(chain);
      tables[t].addRule(chain, `-j $${chain}`, { wrap: false });
    }
  }
  return tables;
}

/** _find_table: the lines of `*table` through its COMMIT, or none. */
function findTable(lines: string[], table: string): string[] {
  if (lines.length < 3) return [];
  const start = lines.indexOf(`*${table}`);
  if (start < 0) return [];
  const end = lines.indexOf('COMMIT', start);
  return lines.slice(start, end < 0 ? lines.length : end + 1);
}

/** _find_rules_index: where the chain declarations end. */
function findRulesIndex(lines: string[]): number {
  let seen = false;
  let i = 0;
  for (; i < lines.length; i++) {
    if (!seen) {
      if (lines[i]!.startsWith(':')) seen = true;
    } else if (!lines[i]!.startsWith(':')) break;
  }
  if (!seen) return 2;
  return i;
}

/** _modify_rules: the table as it should be, keeping other owners' lines. */
export function modifyRules(current: string[], table: IptablesTable): string[] {
  const ours = new Set(table.rules.map(IptablesTable.line));
  const kept = current.map((l) => l.trim()).filter((l) => !l.includes(WRAP_NAME) && !ours.has(l));
  const chains = [...table.chains].sort().map((c) => `:${WRAP_NAME}-${c}`);
  for (const c of [...table.unwrappedChains].sort()) if (!kept.some((l) => l.includes(`:${c}`))) chains.push(`:${c}`);
  const top = table.rules.filter((r) => r.top).map(IptablesTable.line);
  const bottom = table.rules.filter((r) => !r.top).map(IptablesTable.line);
  const out = [...kept];
  out.splice(findRulesIndex(kept), 0, ...chains, ...top, ...bottom);
  // _weed_out_duplicates: the last copy of a line wins.
  const seen = new Set<string>();
  const rev: string[] = [];
  for (let i = out.length - 1; i >= 0; i--) {
    if (seen.has(out[i]!)) continue;
    seen.add(out[i]!);
    rev.push(out[i]!);
  }
  return rev.reverse();
}

function rulesByChain(lines: string[]): Map<string, string[]> {
  const by = new Map<string, string[]>();
  for (const line of lines) {
    if (line.startsWith(':')) {
      const c = line.slice(1).split(' ', 1)[0]!;
      if (!by.has(c)) by.set(c, []);
    } else if (line.startsWith('-A')) {
      const c = line.slice(3).split(' ', 1)[0]!;
      (by.get(c) ?? by.set(c, []).get(c)!).push(line);
    }
  }
  return by;
}

const upperMacs = (rules: string[]) => rules.map((r) => r.replace(/(?:[0-9a-f]{2}:){5}[0-9a-f]{2}/g, (m) => m.toUpperCase()));

/** A line diff as difflib.ndiff lists it for these inputs: '  ' kept, '- ' removed, '+ ' added (removals of a gap first). */
function diffLines(a: string[], b: string[]): [' ' | '-' | '+', string][] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: [' ' | '-' | '+', string][] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push([' ', a[i]!]);
      i++;
      j++;
      continue;
    }
    // The gap up to the next common line: its removals, then its additions.
    const del: string[] = [];
    const add: string[] = [];
    while (i < n || j < m) {
      if (i < n && j < m && a[i] === b[j]) break;
      if (j >= m || (i < n && lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) del.push(a[i++]!);
      else add.push(b[j++]!);
    }
    for (const l of del) out.push(['-', l]);
    for (const l of add) out.push(['+', l]);
  }
  return out;
}

/** _generate_chain_diff_iptables_commands. */
function chainDiff(chain: string, oldRules: string[], newRules: string[]): string[] {
  let index = 1;
  const out: string[] = [];
  for (const [op, line] of diffLines(upperMacs(oldRules), upperMacs(newRules))) {
    if (op === '-') {
      out.push(`-D ${chain} ${index}`);
      index--;
    } else if (op === '+') {
      let rule = line.slice(3).split(' ').slice(1).join(' ');
      if (rule === chain) rule = '';
      out.push(`-I ${chain} ${index} ${rule}`);
    }
    index++;
  }
  return out;
}

/** _generate_path_between_rules: the restore statements that turn `oldLines` into `newLines`. */
export function pathBetweenRules(oldLines: string[], newLines: string[]): string[] {
  const oldBy = rulesByChain(oldLines);
  const newBy = rulesByChain(newLines);
  const out = [...newBy.keys()].filter((c) => !oldBy.has(c)).sort().map((c) => `:${c} - [0:0]`);
  const all = [...new Set([...oldBy.keys(), ...newBy.keys()])].sort();
  const ordered = [...all.filter((c) => !c.includes('-sg-')), ...all.filter((c) => c.includes('-sg-'))];
  for (const c of ordered) out.push(...chainDiff(c, oldBy.get(c) ?? [], newBy.get(c) ?? []));
  for (const c of [...oldBy.keys()].filter((c) => !newBy.has(c)).sort()) out.push(`-X ${c}`);
  return out;
}

/** The restore input for one address family (tables in sorted order), or null when nothing changes. */
export function restoreInput(saveOutput: string, tables: Record<TableName, IptablesTable>): string | null {
  const lines = saveOutput.split('\n');
  const commands: string[] = [];
  for (const name of (Object.keys(tables) as TableName[]).sort()) {
    const old = findTable(lines, name);
    const changes = pathBetweenRules(old, modifyRules(old, tables[name]));
    if (changes.length) commands.push('# Generated by iptables_manager', `*${name}`, ...changes, 'COMMIT', '# Completed by iptables_manager');
  }
  if (!commands.length) return null;
  commands.push('');
  return commands.join('\n');
}

/** XTABLES_RESOURCE_PROBLEM_CODE: iptables-restore could not take the xtables lock. */
const XTABLES_RESOURCE_PROBLEM_CODE = 4;
/** XLOCK_WAIT_INTERVAL, microseconds. */
const XLOCK_WAIT_INTERVAL = '200000';

/** How restores take the xtables lock (IptablesManager.use_table_lock, once needed always used). */
export interface XlockState {
  useTableLock: boolean;
  /** xlock_wait_time: max(report_interval / 3, 1) seconds. */
  waitSeconds: number;
}

/**
 * _apply_synchronized: `iptables-save`, then one `iptables-restore -n` with the
 * difference; the same for ip6tables. A restore that failed on the xtables lock (exit
 * 4) is retried with `-w <wait> -W 200000`, and later ones take the lock at once
 * (_run_restore). Throws CommandFailed.
 */
export async function applyTables(net: HostNetwork, want: Record<IpVersion, Record<TableName, IptablesTable>>, xlock: XlockState): Promise<void> {
  for (const [cmd, v] of [['iptables', 4], ['ip6tables', 6]] as const) {
    const saved = await net.execute([`${cmd}-save`]);
    const input = restoreInput(saved, want[v]);
    if (input === null) continue;
    const locked = [`${cmd}-restore`, '-n', '-w', String(xlock.waitSeconds), '-W', XLOCK_WAIT_INTERVAL];
    if (xlock.useTableLock) {
      await net.execute(locked, { input });
      continue;
    }
    try {
      await net.execute([`${cmd}-restore`, '-n'], { input });
    } catch (e) {
      if (!(e instanceof CommandFailed) || e.exitCode !== XTABLES_RESOURCE_PROBLEM_CODE) throw e;
      await net.execute(locked, { input });
      xlock.useTableLock = true;
    }
  }
}
