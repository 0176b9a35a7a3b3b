/**
 * Acceptance helpers: run the real OpenStack clients (Debian's python3-openstackclient
 * and python3-neutronclient) against a test cloud and parse what they print.
 *
 * The expected layouts below were copied from the real Zed transcripts in
 * reference/openstack-zed/transcripts (named next to each constant), so the tests do
 * not need that directory at run time.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { TestCloud } from '../helpers/cloud.js';
import { waitFor as poll } from '../helpers/wait.js';

export const OPENSTACK = '/usr/bin/openstack';
export const NEUTRON = '/usr/bin/neutron';
export const NOVA = '/usr/bin/nova';

/** Why the acceptance tests cannot run here, or undefined when the clients are installed. */
export const clientsMissing: string | undefined = [OPENSTACK, NEUTRON].every((p) => existsSync(p))
  ? undefined
  : `real clients not installed (${OPENSTACK}, ${NEUTRON}); run npm test as root to install them`;

/** Why the compute acceptance tests cannot run here (they also need novaclient). */
export const novaMissing: string | undefined = [OPENSTACK, NEUTRON, NOVA].every((p) => existsSync(p))
  ? undefined
  : `real clients not installed (${OPENSTACK}, ${NEUTRON}, ${NOVA}); run npm test as root to install them`;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a client as `user`; never rejects (the exit code is in the result). */
export function cli(cloud: TestCloud, user: 'admin' | 'demo', bin: string, args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(bin, args, { env: { ...process.env, ...cloud.env(user) }, timeout: 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Runs a client and fails with its output unless it exits 0. */
export async function ok(cloud: TestCloud, user: 'admin' | 'demo', bin: string, args: string[]): Promise<string> {
  const r = await cli(cloud, user, bin, args);
  if (r.code !== 0) throw new Error(`${bin} ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

export const os = (cloud: TestCloud, user: 'admin' | 'demo', ...args: string[]) => ok(cloud, user, OPENSTACK, args);
export const neutron = (cloud: TestCloud, user: 'admin' | 'demo', ...args: string[]) => ok(cloud, user, NEUTRON, args);
export const nova = (cloud: TestCloud, user: 'admin' | 'demo', ...args: string[]) => ok(cloud, user, NOVA, args);

/**
 * Polls `fn` every `every` ms until it returns something other than undefined; after
 * `ms` fails naming `what` (a function is called then, so it can describe the last state seen).
 */
/** The shared poll, at the pace of a CLI call (every 100 ms). */
export function waitFor<T>(what: string | (() => string), fn: () => Promise<T | undefined>, ms = 30_000, every = 100): Promise<T> {
  return poll(what, fn, ms, every);
}
export async function osJson(cloud: TestCloud, user: 'admin' | 'demo', ...args: string[]): Promise<any> {
  return JSON.parse(await os(cloud, user, ...args, '-f', 'json'));
}

export interface Table {
  header: string[];
  rows: string[][];
}

/**
 * Parses the last cliff/prettytable table in `text`. Continuation lines of a
 * multi-line cell (empty first column) are joined to the row above with '\n'.
 */
export function parseTable(text: string): Table {
  const lines = text.split('\n');
  let end = lines.length - 1;
  while (end >= 0 && !lines[end]!.startsWith('+')) end--;
  if (end < 0) throw new Error(`no table in output:\n${text}`);
  let start = end;
  while (start > 0 && /^[+|]/.test(lines[start - 1]!)) start--;
  const block = lines.slice(start, end + 1);
  const cells = (l: string) => l.slice(1, l.lastIndexOf('|')).split('|').map((c) => c.trim());
  const seps = block.map((l, i) => (l.startsWith('+') ? i : -1)).filter((i) => i >= 0);
  const header = cells(block[seps[0]! + 1]!);
  const rows: string[][] = [];
  for (const l of block.slice(seps[1]! + 1)) {
    if (l.startsWith('+')) continue;
    const c = cells(l);
    if (rows.length && c[0] === '' && c.some((x) => x !== '')) {
      const prev = rows[rows.length - 1]!;
      c.forEach((v, i) => {
        if (v !== '') prev[i] = prev[i] ? `${prev[i]}\n${v}` : v;
      });
    } else rows.push(c);
  }
  return { header, rows };
}

/** A Field/Value table as an ordered record. */
export function fieldTable(text: string): Record<string, string> {
  const t = parseTable(text);
  if (t.header[0] !== 'Field' || t.header[1] !== 'Value') throw new Error(`not a Field/Value table: ${t.header.join(',')}`);
  return Object.fromEntries(t.rows.map((r) => [r[0]!, r[1]!]));
}

/** A list table as records keyed by header. */
export function listTable(text: string): Record<string, string>[] {
  const t = parseTable(text);
  return t.rows.map((r) => Object.fromEntries(t.header.map((h, i) => [h, r[i]!])));
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const PROJECT_ID = /^[0-9a-f]{32}$/;
export const MAC = /^fa:16:3e(:[0-9a-f]{2}){3}$/;
export const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** Field lists of the tables real Zed printed (first column, in order). */
export const ZED = {
  /** 06-net-create-net1.txt: `neutron net-create net1` as demo. */
  neutronNetCreateDemo: ['admin_state_up', 'availability_zone_hints', 'availability_zones', 'created_at', 'description', 'id', 'ipv4_address_scope', 'ipv6_address_scope', 'mtu', 'name', 'port_security_enabled', 'project_id', 'revision_number', 'router:external', 'shared', 'status', 'subnets', 'tags', 'tenant_id', 'updated_at'],
  /** 03-admin-net-create.txt: `neutron net-create adminnet` as admin (adds provider:*). */
  neutronNetCreateAdmin: ['admin_state_up', 'availability_zone_hints', 'availability_zones', 'created_at', 'description', 'id', 'ipv4_address_scope', 'ipv6_address_scope', 'mtu', 'name', 'port_security_enabled', 'project_id', 'provider:network_type', 'provider:physical_network', 'provider:segmentation_id', 'revision_number', 'router:external', 'shared', 'status', 'subnets', 'tags', 'tenant_id', 'updated_at'],
  /** 07-subnet-create-net1.txt: `neutron subnet-create net1 1.2.3.0/24 --name sub1`. */
  neutronSubnetCreate: ['allocation_pools', 'cidr', 'created_at', 'description', 'dns_nameservers', 'enable_dhcp', 'gateway_ip', 'host_routes', 'id', 'ip_version', 'ipv6_address_mode', 'ipv6_ra_mode', 'name', 'network_id', 'project_id', 'revision_number', 'service_types', 'subnetpool_id', 'tags', 'tenant_id', 'updated_at'],
  /** 10-port-create-fixed-ip.txt: `neutron port-create net1 --fixed-ip ip_address=1.2.3.20 --name p1` as demo. */
  neutronPortCreateDemo: ['admin_state_up', 'allowed_address_pairs', 'binding:vnic_type', 'created_at', 'description', 'device_id', 'device_owner', 'extra_dhcp_opts', 'fixed_ips', 'id', 'mac_address', 'name', 'network_id', 'port_security_enabled', 'project_id', 'revision_number', 'security_groups', 'status', 'tags', 'tenant_id', 'updated_at'],
  /** 05-admin-port-create.txt: `neutron port-create adminnet --name adminport` as admin (adds binding:*). */
  neutronPortCreateAdmin: ['admin_state_up', 'allowed_address_pairs', 'binding:host_id', 'binding:profile', 'binding:vif_details', 'binding:vif_type', 'binding:vnic_type', 'created_at', 'description', 'device_id', 'device_owner', 'extra_dhcp_opts', 'fixed_ips', 'id', 'mac_address', 'name', 'network_id', 'port_security_enabled', 'project_id', 'revision_number', 'security_groups', 'status', 'tags', 'tenant_id', 'updated_at'],
  /** 20-port-list-vm3-neutron.txt: `neutron port-list ...` header. */
  neutronPortList: ['id', 'name', 'mac_address', 'fixed_ips'],
  /** 11-port-show-p1-unbound.txt and 18b-…-admin-view.txt: `openstack port show -f json` keys. */
  openstackPortShow: ['admin_state_up', 'allowed_address_pairs', 'binding_host_id', 'binding_profile', 'binding_vif_details', 'binding_vif_type', 'binding_vnic_type', 'created_at', 'data_plane_status', 'description', 'device_id', 'device_owner', 'device_profile', 'dns_assignment', 'dns_domain', 'dns_name', 'extra_dhcp_opts', 'fixed_ips', 'id', 'ip_allocation', 'mac_address', 'name', 'network_id', 'numa_affinity_policy', 'port_security_enabled', 'project_id', 'propagate_uplink_status', 'qos_network_policy_id', 'qos_policy_id', 'resource_request', 'revision_number', 'security_group_ids', 'status', 'tags', 'trunk_details', 'updated_at'],
  /** 18b-port-show-p1-bound-admin-view.txt: binding_vif_details keys of an OVS-bound port. */
  ovsVifDetailsKeys: ['connectivity', 'port_filter', 'ovs_hybrid_plug', 'datapath_type', 'bridge_name', 'bound_drivers'],
  /** 01-image-create.txt: `openstack image create --disk-format raw --container-format bare --public --file F fake-image`. */
  imageCreate: ['container_format', 'created_at', 'disk_format', 'file', 'id', 'min_disk', 'min_ram', 'name', 'owner', 'properties', 'protected', 'schema', 'status', 'tags', 'updated_at', 'visibility'],
  /** 01-image-create.txt: the properties cell. */
  imageCreateProperties: "os_hidden='False', owner_specified.openstack.md5='', owner_specified.openstack.object='images/fake-image', owner_specified.openstack.sha256=''",
  /** 54-err-neutron-port-create-ip-in-use.txt: stderr lines (without --debug), ids replaced by patterns. */
  neutronIpInUse: [
    /^neutron CLI is deprecated and will be removed in the Z cycle\. Use openstack CLI instead\.$/,
    /^IP address 1\.2\.3\.20 already allocated in subnet [0-9a-f-]{36}$/,
    /^Neutron server returns request_ids: \['req-[0-9a-f-]{36}'\]$/,
  ],
};
