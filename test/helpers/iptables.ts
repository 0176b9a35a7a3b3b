/**
 * Cleaning up after the real-host firewall tests: the OVS agent's iptables chains
 * (neutron-*, in the filter and raw tables of the root namespace, IPv4 and IPv6) and its
 * ipsets (NIPv4* / NIPv6*). Zed's agent leaves its base chains in place while it runs;
 * a test must leave the machine as it found it.
 */
import { execFileSync } from 'node:child_process';

const run = (argv: string[]) => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** The neutron chains and the jumps to them now, per family and table. */
export function neutronIptables(): { chains: string[]; sets: string[] } {
  const chains: string[] = [];
  for (const save of ['iptables-save', 'ip6tables-save']) {
    for (const line of run([save]).split('\n')) if (/^:neutron-/.test(line)) chains.push(`${save}:${line.slice(1).split(' ')[0]}`);
  }
  const sets = run(['ipset', 'list', '-n']).split('\n').filter((s) => /^NIPv[46]/.test(s));
  return { chains, sets };
}

/** Deletes every neutron-* chain (and the built-in chains' jumps to them) and every NIPv4/NIPv6 ipset. */
export function removeNeutronIptables(): void {
  for (const [save, cmd] of [['iptables-save', 'iptables'], ['ip6tables-save', 'ip6tables']] as const) {
    let table = '';
    const jumps: string[][] = [];
    const chains: [string, string][] = [];
    for (const line of run([save]).split('\n')) {
      if (line.startsWith('*')) table = line.slice(1);
      else if (/^:neutron-/.test(line)) chains.push([table, line.slice(1).split(' ')[0]!]);
      else if (/^-A [A-Z]+ -j neutron-\S+$/.test(line)) jumps.push(['-t', table, '-D', ...line.slice(3).split(' ')]);
    }
    for (const j of jumps) run([cmd, ...j]);
    for (const [t, c] of chains) run([cmd, '-t', t, '-F', c]);
    for (const [t, c] of chains) run([cmd, '-t', t, '-X', c]);
  }
  for (const s of neutronIptables().sets) run(['ipset', 'destroy', s]);
}
