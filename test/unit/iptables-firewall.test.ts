/**
 * The iptables_hybrid firewall's rules: for one port, the commands and iptables-restore
 * text are Zed's, byte for byte (golden files written by Zed's own
 * OVSHybridIptablesFirewallDriver, test/unit/fixtures/iptables-hybrid/golden.py); a
 * second apply with nothing changed sends no restore; a rule removed is one `-D`; the
 * port removed leaves no chain of it and no ipset.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CommandFailed, type HostNetwork } from '../../src/hostnet/host-network.js';
import { HybridIptablesFirewall } from '../../src/network/agents/firewall/iptables-firewall.js';
import { eui64LinkLocal } from '../../src/network/agents/firewall/iptables-firewall.js';
import { pathBetweenRules } from '../../src/network/agents/firewall/iptables-manager.js';
import type { MemberIp, SgDeviceInfo, SgRuleInfo } from '../../src/network/rpc/sg-wire.js';
import { FakeIptablesHost } from '../helpers/fake-iptables.js';

const dir = new URL('./fixtures/iptables-hybrid/', import.meta.url);
interface Spec {
  sg_id: string;
  rules: SgRuleInfo[];
  members: Record<string, Record<'IPv4' | 'IPv6', MemberIp[]>>;
  port: SgDeviceInfo;
}
const spec = (name: string): Spec => JSON.parse(readFileSync(new URL(name, dir), 'utf8'));
const golden = (name: string) => readFileSync(new URL(name, dir), 'utf8');

async function prepared(s: Spec) {
  const host = new FakeIptablesHost();
  const fw = new HybridIptablesFirewall(host as unknown as HostNetwork);
  fw.updateSecurityGroupRules(s.sg_id, s.rules);
  for (const [sg, m] of Object.entries(s.members)) await fw.updateSecurityGroupMembers(sg, m);
  fw.setPort(s.port);
  await fw.apply();
  return { host, fw };
}

describe('iptables_hybrid firewall', () => {
  it('programs a port of the default security group as Zed does (ipsets, filter and raw, IPv4 and IPv6)', async () => {
    const { host } = await prepared(spec('spec.json'));
    assert.equal(host.transcript(), golden('default-sg.txt'));
  });

  it('converts protocols, ports, ICMP types, prefixes and allowed address pairs as Zed does', async () => {
    const { host } = await prepared(spec('spec2.json'));
    assert.equal(host.transcript(), golden('rules-and-pairs.txt'));
  });

  it('sends no iptables-restore when nothing changed, and only the difference when a rule goes', async () => {
    const s = spec('spec2.json');
    const { host, fw } = await prepared(s);
    host.calls.length = 0;
    await fw.apply();
    assert.deepEqual(host.calls.map((c) => c.argv.join(' ')), ['iptables-save', 'ip6tables-save']);

    fw.updateSecurityGroupRules(s.sg_id, s.rules.filter((r) => r.protocol !== 'icmp'));
    host.calls.length = 0;
    await fw.apply();
    const restores = host.calls.filter((c) => c.argv[0]!.endsWith('-restore'));
    assert.equal(restores.length, 2);
    // IPv4: the ICMP rule was the 5th of the ingress chain; IPv6: the legacy 'icmp' (ipv6-icmp type 128) was the 7th.
    assert.match(restores[0]!.input!, /^\*filter\n-D neutron-openvswi-i3b0e7d2a-1 5\nCOMMIT$/m);
    assert.match(restores[1]!.input!, /^\*filter\n-D neutron-openvswi-i3b0e7d2a-1 7\nCOMMIT$/m);
    assert.doesNotMatch(host.save(4), /-p icmp -j RETURN/);
    // The connections the rules allowed go from the port's zone (ip_conntrack.delete_conntrack_state_by_rule).
    assert.deepEqual(host.calls.filter((c) => c.argv[0] === 'conntrack').map((c) => c.argv.join(' ')), [
      'conntrack -D -p icmp -f ipv4 -d 10.0.0.5 -w 4097',
      'conntrack -D -p ipv6-icmp -f ipv6 -d 2001:db8::1 -w 4097',
    ]);
  });

  it('leaves no chain of a removed port and destroys the ipsets nothing refers to', async () => {
    const s = spec('spec.json');
    const { host, fw } = await prepared(s);
    assert.ok(fw.unsetPort(s.port.device));
    await fw.apply();
    for (const v of [4, 6] as const) {
      const saved = host.save(v);
      assert.doesNotMatch(saved, /3b0e7d2a/);
      assert.match(saved, /:neutron-openvswi-sg-chain /);
    }
    assert.deepEqual([...host.sets.keys()], []);
  });

  it('derives the EUI-64 link-local address of a MAC as netaddr does', () => {
    assert.equal(eui64LinkLocal('FA:16:3E:12:34:56'), 'fe80::f816:3eff:fe12:3456');
    assert.equal(eui64LinkLocal('02:00:00:00:00:01'), 'fe80::ff:fe00:1');
    assert.equal(eui64LinkLocal('fa:16:3e:00:00:00'), 'fe80::f816:3eff:fe00:0');
  });

  it('diffs chains the way _generate_path_between_rules does (insert at the old index, delete backing up)', () => {
    const old = ['*filter', ':X - [0:0]', '-A X -j A', '-A X -j B', '-A X -j C', 'COMMIT'];
    const want = ['*filter', ':X - [0:0]', ':Y - [0:0]', '-A X -j A', '-A X -j D', '-A X -j C', 'COMMIT'];
    assert.deepEqual(pathBetweenRules(old, want), [':Y - [0:0]', '-D X 2', '-I X 2 -j D']);
    assert.deepEqual(pathBetweenRules(want, old), ['-D X 2', '-I X 2 -j B', '-X Y']);
  });
});

describe('iptables-restore and the xtables lock', () => {
  it('retries a restore that failed on the lock (exit 4) with -w and -W, and takes the lock from then on', async () => {
    const s = spec('spec.json');
    const host = new FakeIptablesHost();
    let failOnce = true;
    const net = {
      host: host.host,
      execute: async (argv: string[], opts?: { input?: string }) => {
        if (argv[0] === 'iptables-restore' && argv.length === 2 && failOnce) {
          failOnce = false;
          host.calls.push({ argv });
          throw new CommandFailed(argv, 4, 'Another app is currently holding the xtables lock.');
        }
        return host.execute(argv, opts);
      },
    } as unknown as HostNetwork;
    const fw = new HybridIptablesFirewall(net, 30);
    fw.updateSecurityGroupRules(s.sg_id, s.rules);
    fw.setPort(s.port);
    await fw.apply();
    assert.deepEqual(
      host.calls.map((c) => c.argv.join(' ')),
      ['iptables-save', 'iptables-restore -n', 'iptables-restore -n -w 10 -W 200000', 'ip6tables-save', 'ip6tables-restore -n -w 10 -W 200000'],
    );
  });
});

describe('stateless security groups', () => {
  it('untrack the port in the raw table as Zed does (the filter rules are the stateful ones)', async () => {
    const { host } = await prepared(spec('spec-stateless.json'));
    assert.equal(host.transcript(), golden('stateless.txt'));
  });
});
