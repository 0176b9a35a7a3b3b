/**
 * What the DHCP agent writes and runs for a network, against Zed's formats
 * (neutron/agent/linux/dhcp.py and its unit tests): dnsmasq's argv, the hosts,
 * addn_hosts and opts files, and the names of the namespace, tap and DHCP port device_id.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addnHostsFile, dhcpDeviceId, dhcpDeviceName, dhcpNamespace, dnsmasqCmdline, dnsmasqDefaults, hostsFile, optsFile, uuid5 } from '../../src/network/agents/dhcp/dnsmasq.js';
import type { DhcpNetworkInfo, DhcpPort, DhcpSubnet } from '../../src/network/rpc/dhcp-wire.js';

const NET = '5b1f0c2e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
const SUB = 'aaaaaaaa-1111-2222-3333-444444444444';
const conf = dnsmasqDefaults('/state/dhcp');

const subnet = (over: Partial<DhcpSubnet> = {}): DhcpSubnet => ({
  id: SUB,
  network_id: NET,
  cidr: '10.0.0.0/24',
  ip_version: 4,
  enable_dhcp: true,
  gateway_ip: '10.0.0.1',
  dns_nameservers: [],
  host_routes: [],
  ...over,
});
const port = (id: string, mac: string, ip: string, owner: string, over: Partial<DhcpPort> = {}): DhcpPort => ({
  id,
  network_id: NET,
  mac_address: mac,
  device_id: 'dev',
  device_owner: owner,
  admin_state_up: true,
  fixed_ips: [{ subnet_id: SUB, ip_address: ip }],
  ...over,
});
const network = (subnets: DhcpSubnet[], ports: DhcpPort[]): DhcpNetworkInfo => ({ id: NET, admin_state_up: true, mtu: 1450, subnets, non_local_subnets: [], ports });

const vm = port('11111111-2222-3333-4444-555555555555', 'fa:16:3e:11:22:33', '10.0.0.5', 'compute:nova');
const dhcp = port('22222222-2222-3333-4444-555555555555', 'fa:16:3e:00:00:02', '10.0.0.2', 'network:dhcp');
const rtr = port('33333333-2222-3333-4444-555555555555', 'fa:16:3e:00:00:01', '10.0.0.1', 'network:router_interface');

describe('dnsmasq for a network (Zed Dnsmasq driver)', () => {
  it('runs dnsmasq with _build_cmdline_callback\'s arguments', () => {
    assert.deepEqual(dnsmasqCmdline(conf, network([subnet()], [vm, dhcp])), [
      'dnsmasq',
      '--no-hosts',
      '--no-resolv',
      `--pid-file=/state/dhcp/${NET}/pid`,
      `--dhcp-hostsfile=/state/dhcp/${NET}/host`,
      `--addn-hosts=/state/dhcp/${NET}/addn_hosts`,
      `--dhcp-optsfile=/state/dhcp/${NET}/opts`,
      `--dhcp-leasefile=/state/dhcp/${NET}/leases`,
      '--dhcp-match=set:ipxe,175',
      '--dhcp-userclass=set:ipxe6,iPXE',
      '--local-service',
      '--bind-dynamic',
      `--dhcp-range=set:subnet-${SUB},10.0.0.0,static,255.255.255.0,86400s`,
      '--dhcp-option-force=option:mtu,1450',
      '--dhcp-lease-max=256',
      '--conf-file=/dev/null',
      '--domain=openstacklocal',
    ]);
  });

  it('skips DHCP-disabled subnets, gives IPv6 its prefix length and an infinite lease when -1', () => {
    const v6 = subnet({ id: 'v6', cidr: 'fd00::/64', ip_version: 6, gateway_ip: 'fd00::1' });
    const off = subnet({ id: 'off', cidr: '10.1.0.0/16', enable_dhcp: false });
    const argv = dnsmasqCmdline({ ...conf, leaseDuration: -1 }, network([v6, off], []));
    assert.deepEqual(argv.filter((a) => a.startsWith('--dhcp-range') || a.startsWith('--dhcp-lease-max')), [
      '--dhcp-range=set:subnet-v6,fd00::,static,64,infinite',
      `--dhcp-lease-max=${2 ** 24}`,
    ]);
  });

  it('writes "mac,fqdn,ip" hosts and "ip<TAB>fqdn host" addn_hosts for every port but the DHCP port', () => {
    const net = network([subnet()], [vm, dhcp, rtr]);
    assert.equal(hostsFile(conf, net), 'fa:16:3e:11:22:33,host-10-0-0-5.openstacklocal,10.0.0.5\nfa:16:3e:00:00:01,host-10-0-0-1.openstacklocal,10.0.0.1\n');
    assert.equal(addnHostsFile(conf, net), '10.0.0.5\thost-10-0-0-5.openstacklocal host-10-0-0-5\n10.0.0.1\thost-10-0-0-1.openstacklocal host-10-0-0-1\n');
  });

  it('uses the port\'s dns_assignment and tags ports with extra DHCP options', () => {
    const named = { ...vm, dns_assignment: [{ hostname: 'vm1', ip_address: '10.0.0.5', fqdn: 'vm1.example.org.' }], extra_dhcp_opts: [{ opt_name: 'bootfile-name', opt_value: 'pxelinux.0', ip_version: 4 }] };
    const net = network([subnet()], [named]);
    assert.equal(hostsFile(conf, net), `fa:16:3e:11:22:33,vm1.example.org.,10.0.0.5,set:port-${vm.id}\n`);
    assert.equal(optsFile(net), `tag:subnet-${SUB},option:router,10.0.0.1\ntag:port-${vm.id},option:bootfile-name,pxelinux.0`);
  });

  it('gives an isolated subnet its router and DNS servers; a routed one the metadata route via the gateway', () => {
    assert.equal(optsFile(network([subnet({ dns_nameservers: ['8.8.8.8'] })], [vm])), `tag:subnet-${SUB},option:dns-server,8.8.8.8\ntag:subnet-${SUB},option:router,10.0.0.1`);
    const routes = '169.254.169.254/32,10.0.0.1,0.0.0.0/0,10.0.0.1';
    assert.equal(
      optsFile(network([subnet()], [vm, rtr])),
      `tag:subnet-${SUB},option:classless-static-route,${routes}\ntag:subnet-${SUB},249,${routes}\ntag:subnet-${SUB},option:router,10.0.0.1`,
    );
    assert.equal(optsFile(network([subnet({ gateway_ip: null })], [])), `tag:subnet-${SUB},option:router`);
  });

  it('names the namespace, the tap and the DHCP port\'s device_id as the agent does', () => {
    assert.equal(dhcpNamespace(NET), `qdhcp-${NET}`);
    assert.equal(dhcpDeviceName(vm.id), 'tap11111111-22');
    // Python: uuid.uuid5(uuid.NAMESPACE_DNS, 'linux1')
    assert.equal(uuid5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'linux1'), '9921fa71-298c-5a22-a2e1-d433040b4e5e');
    assert.equal(dhcpDeviceId(NET, 'linux1'), `dhcp9921fa71-298c-5a22-a2e1-d433040b4e5e-${NET}`);
  });
});
