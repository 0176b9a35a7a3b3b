/**
 * The L3 agent's pure pieces against Zed: the router dicts sync_routers answers
 * (l3_db.get_sync_data), the NAT rules of a router namespace (router_info.py,
 * iptables_manager.py), the provider bridge flows (br_phys.py / br_int.py
 * provision_local_vlan) and the device names.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { patchPortNames, provisionFlows, reclaimMatches } from '../../src/network/agents/br-phys.js';
import { deviceName, routerNamespace } from '../../src/network/agents/l3-agent.js';
import { natRestoreInput, natRules } from '../../src/network/agents/l3-iptables.js';
import type { SubnetRow } from '../../src/network/db/schema.js';
import { buildSyncRouters } from '../../src/network/rpc/l3-rpc.js';

const subnet = (id: string, network_id: string, cidr: string, gateway_ip: string): SubnetRow => ({
  id, project_id: 'p', network_id, name: '', ip_version: 4, cidr, gateway_ip, enable_dhcp: 1, ipv6_ra_mode: null, ipv6_address_mode: null, pool_size: '0', subnetpool_id: null,
  created_at: '', updated_at: '', revision_number: 0, description: '',
} as SubnetRow);

const port = (id: string, network_id: string, owner: string, device_id: string, ips: [string, string][]) => ({
  id, network_id, device_owner: owner, device_id, mac_address: 'fa:16:3e:00:00:01', fixed_ips: ips.map(([subnet_id, ip_address]) => ({ subnet_id, ip_address })), 'binding:host_id': 'h1',
});

describe('sync_routers router dicts (get_sync_data)', () => {
  const routers = [
    { id: 'r1', name: 'r1', admin_state_up: true, status: 'ACTIVE', external_gateway_info: { network_id: 'ext', enable_snat: true, external_fixed_ips: [{ subnet_id: 'se', ip_address: '172.24.4.10' }] }, routes: [], gw_port_id: 'gw1' },
    { id: 'r2', name: 'r2', admin_state_up: true, status: 'ACTIVE', external_gateway_info: null, routes: [], gw_port_id: null },
  ];
  const ports = [
    port('gw1', 'ext', 'network:router_gateway', 'r1', [['se', '172.24.4.10']]),
    port('if1', 'n1', 'network:router_interface', 'r1', [['s1', '10.0.1.1']]),
    port('dhcp', 'n1', 'network:dhcp', 'd', [['s1', '10.0.1.2']]),
  ];
  const out = buildSyncRouters({
    routers,
    ports,
    floatingIps: [{ id: 'f1', router_id: 'r1', floating_ip_address: '172.24.4.20', fixed_ip_address: '10.0.1.5', port_id: 'vm', status: 'DOWN' }],
    subnets: [
      { row: subnet('se', 'ext', '172.24.4.0/24', '172.24.4.1'), dns: [] },
      { row: subnet('se2', 'ext', '172.24.5.0/24', '172.24.5.1'), dns: [] },
      { row: subnet('s1', 'n1', '10.0.1.0/24', '10.0.1.1'), dns: ['8.8.8.8'] },
    ],
    mtus: new Map([['ext', 1500], ['n1', 1450]]),
  });

  it('adds gw_port, _interfaces and _floatingips, ha and distributed false, no gw_port_id', () => {
    const [r1, r2] = out;
    assert.equal(r1!.ha, false);
    assert.equal(r1!.distributed, false);
    assert.ok(!('gw_port_id' in r1!));
    assert.equal(r1!.gw_port!.id, 'gw1');
    assert.deepEqual(r1!._interfaces!.map((p) => p.id), ['if1']);
    assert.deepEqual(r1!._floatingips!.map((f) => f.id), ['f1']);
    // l3_db adds the keys only when there is something to add.
    assert.deepEqual(Object.keys(r2!).filter((k) => k.startsWith('_') || k === 'gw_port'), []);
  });

  it('populates ports as _populate_mtu_and_subnets_for_ports', () => {
    const gw = out[0]!.gw_port!;
    assert.deepEqual(gw.subnets, [{ id: 'se', cidr: '172.24.4.0/24', gateway_ip: '172.24.4.1', dns_nameservers: [], ipv6_ra_mode: null, subnetpool_id: null }]);
    assert.deepEqual(gw.extra_subnets.map((s) => s.id), ['se2']);
    assert.deepEqual(gw.address_scopes, { '4': null, '6': null });
    assert.equal(gw.mtu, 1500);
    assert.deepEqual(gw.fixed_ips, [{ subnet_id: 'se', ip_address: '172.24.4.10', prefixlen: 24 }]);
    const intf = out[0]!._interfaces![0]!;
    assert.equal(intf.mtu, 1450);
    assert.deepEqual(intf.subnets[0]!.dns_nameservers, ['8.8.8.8']);
  });

  it('does not change the dicts it was given', () => {
    assert.equal((ports[0]!.fixed_ips[0] as { prefixlen?: number }).prefixlen, undefined);
  });
});

describe('router namespace NAT (router_info.py)', () => {
  const nat = { gateway: { device: 'qg-0123456789a', ip: '172.24.4.10', enableSnat: true }, floatingIps: [{ floatingIp: '172.24.4.20', fixedIp: '10.0.1.5' }] };

  it('has the rules of floating_forward_rules and the gateway NAT, in order', () => {
    assert.deepEqual(natRules(nat), [
      { chain: 'PREROUTING', rule: '-d 172.24.4.20/32 -j DNAT --to-destination 10.0.1.5' },
      { chain: 'OUTPUT', rule: '-d 172.24.4.20/32 -j DNAT --to-destination 10.0.1.5' },
      { chain: 'float-snat', rule: '-s 10.0.1.5/32 -j SNAT --to-source 172.24.4.20' },
      { chain: 'snat', rule: '-j neutron-l3-agent-float-snat' },
      { chain: 'snat', rule: '-o qg-0123456789a -j SNAT --to-source 172.24.4.10' },
      { chain: 'POSTROUTING', rule: '! -o qg-0123456789a -m conntrack ! --ctstate DNAT -j ACCEPT' },
      { chain: 'snat', rule: '-m mark ! --mark 0x2/0xffff -m conntrack --ctstate DNAT -j SNAT --to-source 172.24.4.10' },
    ]);
  });

  it('has no SNAT rule when enable_snat is false, and no gateway rules without a gateway', () => {
    assert.ok(!natRules({ ...nat, gateway: { ...nat.gateway, enableSnat: false } }).some((r) => r.rule.startsWith('-o qg-')));
    assert.deepEqual(natRules({ gateway: null, floatingIps: [] }), [{ chain: 'snat', rule: '-j neutron-l3-agent-float-snat' }]);
  });

  it('writes iptables-restore input with the wrapped chains and the shared bottom chain', () => {
    const text = natRestoreInput(nat);
    for (const line of [
      '*nat',
      ':neutron-l3-agent-PREROUTING - [0:0]',
      ':neutron-l3-agent-float-snat - [0:0]',
      ':neutron-postrouting-bottom - [0:0]',
      '-A PREROUTING -j neutron-l3-agent-PREROUTING',
      '-A POSTROUTING -j neutron-l3-agent-POSTROUTING',
      '-A POSTROUTING -j neutron-postrouting-bottom',
      '-A neutron-postrouting-bottom -m comment --comment "Perform source NAT on outgoing traffic." -j neutron-l3-agent-snat',
      '-A neutron-l3-agent-snat -o qg-0123456789a -j SNAT --to-source 172.24.4.10',
      '-A neutron-l3-agent-mark -i qg-0123456789a -j MARK --set-xmark 0x2/0xffff',
    ]) assert.ok(text.split('\n').includes(line), `missing: ${line}`);
    assert.equal(text.split('\n').filter((l) => l === 'COMMIT').length, 2);
  });
});

describe('provider bridge flows (br_phys / br_int provision_local_vlan)', () => {
  it('flat: push the local VLAN on br-int, pop it on the physical bridge', () => {
    const f = provisionFlows({ vlan: 3, networkType: 'flat', segmentationId: null }, { int: 5, phys: 2 });
    assert.equal(f.intBr, 'table=0,priority=3,in_port=5,vlan_tci=0x0000/0x1fff,actions=push_vlan:0x8100,set_field:4099->vlan_vid,goto_table:59');
    assert.equal(f.physBr, 'table=0,priority=4,in_port=2,dl_vlan=3,actions=pop_vlan,NORMAL');
    assert.deepEqual(reclaimMatches({ vlan: 3, networkType: 'flat', segmentationId: null }, { int: 5, phys: 2 }), { intBr: 'table=0,in_port=5,vlan_tci=0x0000/0x1fff', physBr: 'table=0,in_port=2,dl_vlan=3' });
  });
  it('vlan: translate between the local VLAN and the segmentation id', () => {
    const f = provisionFlows({ vlan: 3, networkType: 'vlan', segmentationId: 1001 }, { int: 5, phys: 2 });
    assert.equal(f.intBr, 'table=0,priority=3,in_port=5,dl_vlan=1001,actions=set_field:4099->vlan_vid,goto_table:59');
    assert.equal(f.physBr, 'table=0,priority=4,in_port=2,dl_vlan=3,actions=set_field:5097->vlan_vid,NORMAL');
  });
  it('names patch ports int-/phy- within 15 characters, router devices within 14', () => {
    assert.deepEqual(patchPortNames('br-ex'), { int: 'int-br-ex', phys: 'phy-br-ex' });
    assert.equal(patchPortNames('br-very-long-name').int.length, 15);
    assert.equal(deviceName('qr-', '0123456789abcdef'), 'qr-0123456789a');
    assert.equal(routerNamespace('r1'), 'qrouter-r1');
  });
});
