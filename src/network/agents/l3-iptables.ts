/**
 * The NAT of a legacy router's namespace, as Zed's L3 agent builds it with its
 * IptablesManager (binary name neutron-l3-agent) and router_info.py:
 *
 * - nat: the wrapped chains neutron-l3-agent-{PREROUTING,OUTPUT,POSTROUTING,snat,float-snat}
 *   jumped to from the built-in ones, neutron-postrouting-bottom last in POSTROUTING
 *   jumping to snat ("Perform source NAT on outgoing traffic."), snat jumping first to
 *   float-snat; with a gateway: `POSTROUTING ! -o qg-X -m conntrack ! --ctstate DNAT -j
 *   ACCEPT` (no SNAT for internal traffic), `snat -o qg-X -j SNAT --to-source GWIP` when
 *   enable_snat, `snat -m mark ! --mark 0x2/0xffff -m conntrack --ctstate DNAT -j SNAT
 *   --to-source GWIP`; per floating IP: `PREROUTING/OUTPUT -d FIP/32 -j DNAT
 *   --to-destination FIXED` and `float-snat -s FIXED/32 -j SNAT --to-source FIP`.
 * - mangle: neutron-l3-agent-mark marks what enters the gateway (`-i qg-X -j MARK
 *   --set-xmark 0x2/0xffff`, external_ingress_mark), jumped to from PREROUTING.
 *
 * The namespace is the router's alone, so the tables are written whole with
 * iptables-restore (the agent's IptablesManager diffs; the result is the same rules).
 * Pure: unit-tested against the rule text of router_info.py.
 */

/** IptablesManager's wrap name: the binary name, at most 16 characters. */
export const L3_WRAP = 'neutron-l3-agent';
/** l3 config external_ingress_mark / neutron_lib ROUTER_MARK_MASK. */
export const EXTERNAL_INGRESS_MARK = '0x2';
export const ROUTER_MARK_MASK = '0xffff';
const SNAT_OUT = 'Perform source NAT on outgoing traffic.';

/** What the router's NAT depends on. */
export interface RouterNat {
  /** The gateway device (qg-…) and its IPv4 address; null without a gateway. */
  gateway: { device: string; ip: string; enableSnat: boolean } | null;
  floatingIps: { floatingIp: string; fixedIp: string }[];
}

/** The wrapped rules of each nat chain, in order (what a test compares with router_info.py). */
export function natRules(n: RouterNat): { chain: string; rule: string }[] {
  const out: { chain: string; rule: string }[] = [];
  // floating IPs come first (process_floating_ip_nat_rules), then the gateway's rules.
  for (const f of n.floatingIps) {
    out.push({ chain: 'PREROUTING', rule: `-d ${f.floatingIp}/32 -j DNAT --to-destination ${f.fixedIp}` });
    out.push({ chain: 'OUTPUT', rule: `-d ${f.floatingIp}/32 -j DNAT --to-destination ${f.fixedIp}` });
    out.push({ chain: 'float-snat', rule: `-s ${f.fixedIp}/32 -j SNAT --to-source ${f.floatingIp}` });
  }
  out.push({ chain: 'snat', rule: `-j ${L3_WRAP}-float-snat` });
  const g = n.gateway;
  if (g) {
    if (g.enableSnat) out.push({ chain: 'snat', rule: `-o ${g.device} -j SNAT --to-source ${g.ip}` });
    out.push({ chain: 'POSTROUTING', rule: `! -o ${g.device} -m conntrack ! --ctstate DNAT -j ACCEPT` });
    out.push({ chain: 'snat', rule: `-m mark ! --mark ${EXTERNAL_INGRESS_MARK}/${ROUTER_MARK_MASK} -m conntrack --ctstate DNAT -j SNAT --to-source ${g.ip}` });
  }
  return out;
}

const NAT_BUILTIN = ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'] as const;
const NAT_WRAPPED = ['OUTPUT', 'POSTROUTING', 'PREROUTING', 'float-snat', 'snat'] as const;
const MANGLE_BUILTIN = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'] as const;

/** iptables-restore input for the namespace's nat and mangle tables (iptables-save's layout). */
export function natRestoreInput(n: RouterNat): string {
  const lines: string[] = ['*nat'];
  for (const c of NAT_BUILTIN) lines.push(`:${c} ACCEPT [0:0]`);
  for (const c of NAT_WRAPPED) lines.push(`:${L3_WRAP}-${c} - [0:0]`);
  lines.push(':neutron-postrouting-bottom - [0:0]');
  lines.push(`-A PREROUTING -j ${L3_WRAP}-PREROUTING`);
  lines.push(`-A OUTPUT -j ${L3_WRAP}-OUTPUT`);
  lines.push(`-A POSTROUTING -j ${L3_WRAP}-POSTROUTING`);
  lines.push('-A POSTROUTING -j neutron-postrouting-bottom');
  lines.push(`-A neutron-postrouting-bottom -m comment --comment "${SNAT_OUT}" -j ${L3_WRAP}-snat`);
  for (const r of natRules(n)) lines.push(`-A ${L3_WRAP}-${r.chain} ${r.rule}`);
  lines.push('COMMIT', '*mangle');
  for (const c of MANGLE_BUILTIN) lines.push(`:${c} ACCEPT [0:0]`);
  lines.push(`:${L3_WRAP}-PREROUTING - [0:0]`, `:${L3_WRAP}-mark - [0:0]`);
  lines.push(`-A PREROUTING -j ${L3_WRAP}-PREROUTING`, `-A ${L3_WRAP}-PREROUTING -j ${L3_WRAP}-mark`);
  if (n.gateway) lines.push(`-A ${L3_WRAP}-mark -i ${n.gateway.device} -j MARK --set-xmark ${EXTERNAL_INGRESS_MARK}/${ROUTER_MARK_MASK}`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}
