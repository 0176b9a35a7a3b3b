/**
 * nova's neutron API (src/compute/network/neutron.ts) against the embedded neutron over
 * HTTP: allocation with a network, a fixed IP, a user's port and two networks; every
 * error nova maps (transcripts 40-54) and the rollback that leaves neither a port nova
 * created nor a bound user port; deallocation; re-pointing bindings on reschedule; and
 * the order and identity (user or service user) of the calls, checked through a small
 * recording proxy in front of neutron.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import pino from 'pino';
import { silentLogger } from '../../src/common/log.js';
import { ServiceSession } from '../../src/common/rest-client.js';
import type { NovaContext } from '../../src/compute/context.js';
import {
  ExternalNetworkAttachForbidden,
  FixedIpAlreadyInUse,
  InvalidInput,
  NetworkAmbiguous,
  NetworkNotFound,
  NoUniqueMatch,
  PortBindingFailed,
  PortInUse,
  PortLimitExceeded,
  PortNotFound,
  PortNotUsable,
  SecurityGroupNotFound,
} from '../../src/compute/errors.js';
import type { NetworkInfo } from '../../src/compute/network/model.js';
import { type AllocateOptions, NeutronAPI } from '../../src/compute/network/neutron.js';
import type { Instance } from '../../src/compute/objects/instance.js';
import { type TestCloud, startTestCloud } from '../helpers/cloud.js';
import { assertStatus, neutron } from '../helpers/neutron.js';

let cloud: TestCloud;
let n: ReturnType<typeof neutron>;
let api: NeutronAPI;
let demoProject: string;
let adminProject: string;
let demoToken: string;
let adminToken: string;
let net1: any;
let net2: any;
let subnet1: any;
let flatNet: any;
let proxy: ReturnType<typeof createServer>;
/** Every call that went through the proxy: who made it (demo, admin or service) and what. */
const calls: string[] = [];

/** A session whose catalog answer is the recording proxy instead of neutron itself. */
class ProxiedSession extends ServiceSession {
  proxyUrl = '';
  override async endpoint(_type: string): Promise<string> {
    return this.proxyUrl;
  }
}

function startProxy(target: string): Promise<string> {
  proxy = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const token = req.headers['x-auth-token'];
    const who = token === demoToken ? 'demo' : token === adminToken ? 'admin' : 'service';
    calls.push(`${who} ${req.method} ${decodeURIComponent(req.url ?? '')}`);
    const headers: Record<string, string> = {};
    for (const h of ['x-auth-token', 'content-type', 'accept', 'x-openstack-request-id']) if (typeof req.headers[h] === 'string') headers[h] = req.headers[h] as string;
    const r = await fetch(`${target}${req.url}`, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
    res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
    res.end(Buffer.from(await r.arrayBuffer()));
  });
  return new Promise((resolve) => proxy.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`)));
}

function ctx(user: 'demo' | 'admin'): NovaContext {
  return {
    requestId: `req-${randomUUID()}`,
    userId: user,
    projectId: user === 'demo' ? demoProject : adminProject,
    roles: user === 'demo' ? ['member', 'reader'] : ['admin', 'member', 'reader'],
    isAdmin: user === 'admin',
    authToken: user === 'demo' ? demoToken : adminToken,
  };
}

function instance(projectId = demoProject): Instance {
  const uuid = randomUUID();
  return { uuid, projectId, hostname: `vm-${uuid.slice(0, 8)}`, availabilityZone: 'nova', systemMetadata: {}, requestedNetworks: [], securityGroups: [] } as unknown as Instance;
}

function opts(o: Partial<AllocateOptions>): AllocateOptions {
  return { requestedNetworks: [], securityGroups: [], bindHostId: 'compute1', availabilityZone: 'nova', ...o };
}

const adminView = async (portId: string) => (await n.get('admin', `ports/${portId}`)).body?.port;
const portsOf = async (uuid: string) => assertStatus(await n.get('admin', `ports?device_id=${uuid}`), 200).ports as any[];

before(async () => {
  cloud = await startTestCloud();
  n = neutron(cloud);
  demoToken = await cloud.token('demo');
  adminToken = await cloud.token('admin');
  demoProject = await cloud.projectId('demo');
  adminProject = await cloud.projectId('admin');
  net1 = await n.network('demo', { name: 'net1' });
  // Pools above .100: the fixed IPs the tests ask for (.10-.50) are never handed out at random.
  subnet1 = await n.subnet('demo', net1.id, '1.2.3.0/24', { allocation_pools: [{ start: '1.2.3.100', end: '1.2.3.254' }] });
  net2 = await n.network('demo', { name: 'net2' });
  await n.subnet('demo', net2.id, '1.1.1.0/24', { allocation_pools: [{ start: '1.1.1.100', end: '1.1.1.254' }] });
  // A flat network on a physnet no OVS agent maps: its ports never bind.
  flatNet = await n.network('admin', { name: 'flat9', shared: true, 'provider:network_type': 'flat', 'provider:physical_network': 'physnet9' });
  await n.subnet('admin', flatNet.id, '10.9.0.0/24');
  const session = new ProxiedSession({ authUrl: `${cloud.urls.identity}/v3`, username: 'neutron', password: cloud.cfg.identity.service_password, projectName: 'service' });
  session.proxyUrl = await startProxy(cloud.urls.network);
  api = new NeutronAPI({ cfg: cloud.cfg, log: silentLogger(), authUrl: `${cloud.urls.identity}/v3`, session });
});
after(async () => {
  proxy.close();
  await cloud.stop();
});
beforeEach(() => {
  calls.length = 0;
});

describe('allocate_for_instance', () => {
  test('net-id: nova creates the port as the user, binds it as admin, then reads the model back', async () => {
    const inst = instance();
    const nw = await api.allocateForInstance(ctx('demo'), inst, opts({ requestedNetworks: [{ networkId: net1.id }] }));
    assert.equal(nw.length, 1);
    const vif = nw[0]!;
    const port = await adminView(vif.id);
    assert.equal(port.device_id, inst.uuid);
    assert.equal(port.device_owner, 'compute:nova');
    assert.equal(port.tenant_id, demoProject);
    assert.equal(port['binding:host_id'], 'compute1');
    assert.equal(port['binding:vif_type'], 'ovs');
    // The VIF as nova caches it (transcript 92), with the iptables_hybrid binding of the test cloud.
    assert.deepEqual(
      { ...vif, network: { ...vif.network, subnets: undefined } },
      {
        id: port.id,
        address: port.mac_address,
        network: { id: net1.id, bridge: 'br-int', label: 'net1', subnets: undefined, meta: { injected: false, tenant_id: demoProject, mtu: 1450, physical_network: null, tunneled: true } },
        type: 'ovs',
        details: port['binding:vif_details'],
        devname: `tap${port.id}`.slice(0, 14),
        ovs_interfaceid: port.id,
        qbh_params: null,
        qbg_params: null,
        active: false,
        vnic_type: 'normal',
        profile: {},
        preserve_on_delete: false,
        delegate_create: true,
        meta: {},
      },
    );
    assert.deepEqual(vif.network.subnets, [
      {
        cidr: '1.2.3.0/24',
        dns: [],
        gateway: { address: '1.2.3.1', type: 'gateway', version: 4, meta: {} },
        ips: [{ address: port.fixed_ips[0].ip_address, type: 'fixed', version: 4, meta: {}, floating_ips: [] }],
        routes: [],
        version: 4,
        meta: { dhcp_server: '1.2.3.1' },
      },
    ]);
    assert.deepEqual(calls, [
      `demo GET /v2.0/networks?id=${net1.id}`,
      'demo POST /v2.0/ports',
      `service PUT /v2.0/ports/${port.id}`,
      `service GET /v2.0/ports?tenant_id=${demoProject}&device_id=${inst.uuid}`,
      `service GET /v2.0/floatingips?port_id=${port.id}`,
      `service GET /v2.0/subnets?id=${subnet1.id}`,
      `service GET /v2.0/ports?network_id=${net1.id}&device_owner=network:dhcp`,
      `service GET /v2.0/networks?id=${net1.id}&fields=id&fields=segments&fields=provider:physical_network&fields=provider:network_type`,
    ]);
  });

  test('net-id with a fixed IP gets that address', async () => {
    const inst = instance();
    const nw = await api.allocateForInstance(ctx('demo'), inst, opts({ requestedNetworks: [{ networkId: net1.id, address: '1.2.3.10' }] }));
    assert.deepEqual(
      nw[0]!.network.subnets[0]!.ips.map((i) => i.address),
      ['1.2.3.10'],
    );
    assert.equal((await adminView(nw[0]!.id)).fixed_ips[0].ip_address, '1.2.3.10');
  });

  test("a user's port is bound to the host and kept as the user's (preserve_on_delete); only a PUT is sent for it", async () => {
    const p1 = await n.port('demo', net1.id, { name: 'p1' });
    const inst = instance();
    const nw = await api.allocateForInstance(ctx('demo'), inst, opts({ requestedNetworks: [{ portId: p1.id }] }));
    assert.equal(nw.length, 1);
    assert.equal(nw[0]!.id, p1.id);
    assert.equal(nw[0]!.preserve_on_delete, true);
    const port = await adminView(p1.id);
    assert.equal(port.tenant_id, demoProject);
    assert.equal(port.name, 'p1');
    assert.equal(port.device_id, inst.uuid);
    assert.equal(port.device_owner, 'compute:nova');
    assert.equal(port['binding:host_id'], 'compute1');
    assert.equal(port['binding:vif_type'], 'ovs');
    assert.deepEqual(calls.slice(0, 3), [`service GET /v2.0/ports/${p1.id}`, `demo GET /v2.0/networks?id=${net1.id}`, `service PUT /v2.0/ports/${p1.id}`]);
    assert.equal(calls.filter((c) => c.includes(' POST ')).length, 0);
  });

  test('two networks give two VIFs in request order', async () => {
    const inst = instance();
    const nw = await api.allocateForInstance(ctx('demo'), inst, opts({ requestedNetworks: [{ networkId: net2.id }, { networkId: net1.id }] }));
    assert.deepEqual(
      nw.map((v) => v.network.label),
      ['net2', 'net1'],
    );
    assert.equal((await portsOf(inst.uuid)).length, 2);
    assert.deepEqual(
      calls.map((c) => c.split(' ').slice(0, 2).join(' ')),
      ['demo GET', 'demo POST', 'demo POST', 'service PUT', 'service PUT', 'service GET', 'service GET', 'service GET', 'service GET', 'service GET'],
    );
    assert.ok(calls[0]!.endsWith(`networks?id=${net2.id}&id=${net1.id}`));
  });

  test("the driver's MACs: a created port takes one, none left is PortNotFree, a given port must have one; DHCP options go on the port", async () => {
    const inst = instance();
    const dhcpOptions = [{ opt_name: 'bootfile-name', opt_value: 'pxelinux.0' }];
    const nw = await api.allocateForInstance(ctx('demo'), inst, opts({ requestedNetworks: [{ networkId: net1.id }], macs: ['fa:16:3e:00:aa:01'], dhcpOptions }));
    assert.equal(nw[0]!.address, 'fa:16:3e:00:aa:01');
    const port = await adminView(nw[0]!.id);
    assert.deepEqual(
      port.extra_dhcp_opts.map((o: any) => [o.opt_name, o.opt_value]),
      [['bootfile-name', 'pxelinux.0']],
    );
    await assert.rejects(api.allocateForInstance(ctx('demo'), instance(), opts({ requestedNetworks: [{ networkId: net1.id }], macs: [] })), (e) => {
      assert.equal((e as Error).constructor.name, 'PortNotFree');
      return true;
    });
    const p = await n.port('demo', net1.id);
    const other = instance();
    await assert.rejects(api.allocateForInstance(ctx('demo'), other, opts({ requestedNetworks: [{ portId: p.id }], macs: ['fa:16:3e:00:aa:02'] })), (e) => {
      assert.ok(e instanceof PortNotUsable);
      assert.equal(e.message, `Port ${p.id} not usable for instance ${other.uuid}.`);
      return true;
    });
  });

  test("nova's log lines: created, updated", async () => {
    const lines: { msg: string; instance?: string }[] = [];
    const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    const logged = new NeutronAPI({ cfg: cloud.cfg, log, authUrl: `${cloud.urls.identity}/v3` });
    const inst = instance();
    const [vif] = await logged.allocateForInstance(ctx('demo'), inst, opts({ requestedNetworks: [{ networkId: net1.id }] }));
    const msgs = lines.filter((l) => l.instance === inst.uuid).map((l) => l.msg);
    assert.deepEqual(msgs, ['allocate_for_instance()', `Successfully created port: ${vif!.id}`, `Successfully updated port: ${vif!.id}`]);
  });

  test('no network requested: the only one available, else NetworkAmbiguous', async () => {
    await assert.rejects(api.allocateForInstance(ctx('demo'), instance(), opts({ requestedNetworks: [] })), (e) => {
      assert.ok(e instanceof NetworkAmbiguous);
      assert.equal(e.message, 'Multiple possible networks found, use a Network ID to be more specific.');
      return true;
    });
  });
});

describe('allocate_for_instance errors', () => {
  test('fixed IP in use: FixedIpAlreadyInUse with the message attach answers with 409', async () => {
    await n.port('demo', net1.id, { fixed_ips: [{ ip_address: '1.2.3.11' }] });
    const inst = instance();
    await assert.rejects(api.allocateForInstance(ctx('demo'), inst, opts({ requestedNetworks: [{ networkId: net1.id, address: '1.2.3.11' }] })), (e) => {
      assert.ok(e instanceof FixedIpAlreadyInUse);
      assert.equal(e.message, 'Fixed IP 1.2.3.11 is already in use.');
      return true;
    });
    assert.deepEqual(await portsOf(inst.uuid), []);
  });

  test('an IP outside the network: InvalidInput', async () => {
    await assert.rejects(api.allocateForInstance(ctx('demo'), instance(), opts({ requestedNetworks: [{ networkId: net1.id, address: '9.9.9.9' }] })), (e) => {
      assert.ok(e instanceof InvalidInput);
      assert.equal(e.message, `Invalid input received: Fixed IP 9.9.9.9 is not a valid ip address for network ${net1.id}.`);
      return true;
    });
  });

  test('a port attached to another server: PortInUse', async () => {
    const p = await n.port('demo', net1.id, { device_id: randomUUID(), device_owner: 'compute:nova' });
    await assert.rejects(api.allocateForInstance(ctx('demo'), instance(), opts({ requestedNetworks: [{ portId: p.id }] })), (e) => {
      assert.ok(e instanceof PortInUse);
      assert.equal(e.message, `Port ${p.id} is still in use.`);
      return true;
    });
  });

  test("another project's port: PortNotUsable at compute (nova reads it as admin)", async () => {
    const adminNet = await n.network('admin', { name: 'adminnet' });
    await n.subnet('admin', adminNet.id, '10.20.0.0/24');
    const p = await n.port('admin', adminNet.id);
    const inst = instance();
    await assert.rejects(api.allocateForInstance(ctx('demo'), inst, opts({ requestedNetworks: [{ portId: p.id }] })), (e) => {
      assert.ok(e instanceof PortNotUsable);
      assert.equal(e.message, `Port ${p.id} not usable for instance ${inst.uuid}.`);
      return true;
    });
    assert.equal((await adminView(p.id)).device_id, '');
  });

  test("an unknown network: NetworkNotFound (boot and attach alike: real Zed's attach 500 is not reproduced)", async () => {
    const missing = '0b1e7a43-0000-4000-8000-00000000dead';
    await assert.rejects(api.allocateForInstance(ctx('demo'), instance(), opts({ requestedNetworks: [{ networkId: missing }] })), (e) => {
      assert.ok(e instanceof NetworkNotFound);
      assert.equal(e.message, `Network ${missing} could not be found.`);
      return true;
    });
  });

  test('binding failure on a created port: the port is deleted, PortBindingFailed', async () => {
    const inst = instance();
    await assert.rejects(api.allocateForInstance(ctx('demo'), inst, opts({ requestedNetworks: [{ networkId: net1.id }], bindHostId: 'nohost' })), (e) => {
      assert.ok(e instanceof PortBindingFailed);
      assert.match(e.message, /^Binding failed for port [0-9a-f-]{36}, please check neutron logs for more information\.$/);
      return true;
    });
    assert.deepEqual(await portsOf(inst.uuid), []);
    const created = calls.find((c) => c.startsWith('service PUT'))!.split('/').pop()!;
    assert.ok(calls.includes(`demo DELETE /v2.0/ports/${created}`));
  });

  test("binding failure on a user's port: the port is unbound again", async () => {
    const p = await n.port('demo', net1.id);
    const inst = instance();
    await assert.rejects(api.allocateForInstance(ctx('demo'), inst, opts({ requestedNetworks: [{ portId: p.id }], bindHostId: 'nohost' })), PortBindingFailed);
    const port = await adminView(p.id);
    assert.equal(port.device_id, '');
    assert.equal(port.device_owner, '');
    assert.equal(port['binding:host_id'], '');
    assert.equal(port['binding:vif_type'], 'unbound');
  });

  test("rollback: a user's port bound before the failure is unbound and the created port deleted", async () => {
    const p = await n.port('demo', net1.id);
    const inst = instance();
    await assert.rejects(api.allocateForInstance(ctx('demo'), inst, opts({ requestedNetworks: [{ portId: p.id }, { networkId: flatNet.id }] })), PortBindingFailed);
    assert.deepEqual(await portsOf(inst.uuid), []);
    const port = await adminView(p.id);
    assert.equal(port.device_id, '');
    assert.equal(port['binding:host_id'], '');
    assert.equal(port['binding:vif_type'], 'unbound');
  });

  test('rollback: ports created before a failing create are deleted', async () => {
    await n.port('demo', net2.id, { fixed_ips: [{ ip_address: '1.1.1.50' }] });
    const inst = instance();
    await assert.rejects(api.allocateForInstance(ctx('demo'), inst, opts({ requestedNetworks: [{ networkId: net1.id }, { networkId: net2.id, address: '1.1.1.50' }] })), FixedIpAlreadyInUse);
    assert.deepEqual(await portsOf(inst.uuid), []);
    assert.equal(calls.filter((c) => c.startsWith('demo DELETE')).length, 1);
  });

  test('port quota exceeded: PortLimitExceeded', async () => {
    const used = assertStatus(await n.get('demo', `ports?tenant_id=${demoProject}&fields=id`), 200).ports.length;
    assertStatus(await n.put('admin', `quotas/${demoProject}`, { quota: { port: used } }), 200);
    try {
      await assert.rejects(api.allocateForInstance(ctx('demo'), instance(), opts({ requestedNetworks: [{ networkId: net1.id }] })), (e) => {
        assert.ok(e instanceof PortLimitExceeded);
        assert.equal(e.message, 'Maximum number of ports exceeded');
        return true;
      });
      assert.equal(await api.validateNetworks(ctx('demo'), [{ networkId: net1.id }], 3), 0);
    } finally {
      assertStatus(await n.put('admin', `quotas/${demoProject}`, { quota: { port: 500 } }), 200);
    }
  });

  test('security groups: unknown name, ambiguous name', async () => {
    await assert.rejects(api.allocateForInstance(ctx('demo'), instance(), opts({ requestedNetworks: [{ networkId: net1.id }], securityGroups: ['nope'] })), (e) => {
      assert.ok(e instanceof SecurityGroupNotFound);
      assert.equal(e.message, 'Security group nope not found.');
      return true;
    });
    for (let i = 0; i < 2; i++) assertStatus(await n.post('demo', 'security-groups', { security_group: { name: 'web' } }), 201);
    await assert.rejects(api.allocateForInstance(ctx('demo'), instance(), opts({ requestedNetworks: [{ networkId: net1.id }], securityGroups: ['web'] })), (e) => {
      assert.ok(e instanceof NoUniqueMatch);
      assert.equal(e.message, "Multiple security groups found matching 'web'. Use an ID to be more specific.");
      return true;
    });
  });

  test('an external network that is not shared: ExternalNetworkAttachForbidden for non-admins', async () => {
    const ext = await n.network('admin', { name: 'public', 'router:external': true });
    await n.subnet('admin', ext.id, '172.24.4.0/24');
    await assert.rejects(api.allocateForInstance(ctx('demo'), instance(), opts({ requestedNetworks: [{ networkId: ext.id }] })), (e) => {
      assert.ok(e instanceof ExternalNetworkAttachForbidden);
      assert.equal(e.message, `It is not allowed to create an interface on external network ${ext.id}`);
      return true;
    });
  });
});

describe('validate_networks (the API side)', () => {
  test('a fixed IP in use names the instance using it (transcript 40)', async () => {
    const owner = randomUUID();
    await n.port('demo', net1.id, { fixed_ips: [{ ip_address: '1.2.3.12' }], device_id: owner });
    await assert.rejects(api.validateNetworks(ctx('demo'), [{ networkId: net1.id, address: '1.2.3.12' }], 1), (e) => {
      assert.ok(e instanceof FixedIpAlreadyInUse);
      assert.equal(e.message, `Fixed IP address 1.2.3.12 is already in use on instance ${owner}.`);
      return true;
    });
    assert.deepEqual(calls, [`demo GET /v2.0/ports?network_id=${net1.id}&fixed_ips=ip_address=1.2.3.12&fields=device_id`]);
  });

  test("ports: in use, another project's (invisible: PortNotFound), unknown network", async () => {
    const used = await n.port('demo', net1.id, { device_id: randomUUID() });
    await assert.rejects(api.validateNetworks(ctx('demo'), [{ portId: used.id }], 1), PortInUse);
    const adminNet = await n.network('admin', { name: 'adminnet2' });
    const theirs = await n.port('admin', adminNet.id);
    await assert.rejects(api.validateNetworks(ctx('demo'), [{ portId: theirs.id }], 1), (e) => {
      assert.ok(e instanceof PortNotFound);
      assert.equal(e.message, `Port id ${theirs.id} could not be found.`);
      return true;
    });
    await assert.rejects(api.validateNetworks(ctx('demo'), [{ networkId: randomUUID() }], 1), NetworkNotFound);
  });

  test('the port quota bounds the count; a free port needs none', async () => {
    assert.equal(await api.validateNetworks(ctx('demo'), [{ networkId: net1.id }], 4), 4);
    assert.deepEqual(calls.slice(-3), [`demo GET /v2.0/networks?id=${net1.id}`, `demo GET /v2.0/quotas/${demoProject}`, `demo GET /v2.0/ports?tenant_id=${demoProject}&fields=id`]);
    const used = assertStatus(await n.get('demo', `ports?tenant_id=${demoProject}&fields=id`), 200).ports.length;
    assertStatus(await n.put('admin', `quotas/${demoProject}`, { quota: { port: used + 4 } }), 200);
    try {
      assert.equal(await api.validateNetworks(ctx('demo'), [{ networkId: net1.id }, { networkId: net2.id }], 5), 2);
    } finally {
      assertStatus(await n.put('admin', `quotas/${demoProject}`, { quota: { port: 500 } }), 200);
    }
    const free = await n.port('demo', net1.id);
    assert.equal(await api.validateNetworks(ctx('demo'), [{ portId: free.id }], 7), 7);
  });
});

describe('deallocate, detach, reschedule', () => {
  test("deallocate deletes the ports nova created and unbinds the user's", async () => {
    const p1 = await n.port('demo', net2.id, { name: 'keep' });
    const inst = instance();
    const nw = await api.allocateForInstance(ctx('demo'), inst, opts({ requestedNetworks: [{ portId: p1.id }, { networkId: net1.id }] }));
    const created = nw.find((v) => v.id !== p1.id)!.id;
    calls.length = 0;
    await api.deallocateForInstance(ctx('demo'), inst, nw);
    assert.equal((await n.get('admin', `ports/${created}`)).status, 404);
    const kept = await adminView(p1.id);
    assert.equal(kept.device_id, '');
    assert.equal(kept.device_owner, '');
    assert.equal(kept['binding:host_id'], '');
    assert.equal(kept['binding:vif_type'], 'unbound');
    assert.deepEqual(kept['binding:vif_details'], {});
    assert.deepEqual(calls, [
      `demo GET /v2.0/ports?device_id=${inst.uuid}`,
      `demo GET /v2.0/ports/${p1.id}?fields=binding:profile&fields=network_id`,
      `service PUT /v2.0/ports/${p1.id}`,
      `demo DELETE /v2.0/ports/${created}`,
    ]);
    // Again: everything is already gone or unbound.
    await api.deallocateForInstance(ctx('demo'), inst, nw);
  });

  test('detach: a created port is deleted, a given one unbound; the rest of the model stays', async () => {
    const p1 = await n.port('demo', net2.id);
    const inst = instance();
    const nw = await api.allocateForInstance(ctx('demo'), inst, opts({ requestedNetworks: [{ networkId: net1.id }, { portId: p1.id }] }));
    const created = nw[0]!.id;
    const left = await api.deallocatePortForInstance(ctx('demo'), inst, p1.id, nw);
    assert.deepEqual(
      left.map((v) => v.id),
      [created],
    );
    assert.equal((await adminView(p1.id)).device_id, '');
    const none = await api.deallocatePortForInstance(ctx('demo'), inst, created, left);
    assert.deepEqual(none, []);
    assert.equal((await n.get('admin', `ports/${created}`)).status, 404);
  });

  test('setup_instance_network_on_host re-points binding:host_id; get_instance_nw_info follows', async () => {
    const inst = instance();
    const nw: NetworkInfo = await api.allocateForInstance(ctx('demo'), inst, opts({ requestedNetworks: [{ networkId: net1.id }, { networkId: net2.id }] }));
    await api.setupInstanceNetworkOnHost(ctx('demo'), inst, 'compute2');
    for (const v of nw) {
      const port = await adminView(v.id);
      assert.equal(port['binding:host_id'], 'compute2');
      assert.equal(port['binding:vif_type'], 'ovs');
    }
    calls.length = 0;
    await api.setupInstanceNetworkOnHost(ctx('demo'), inst, 'compute2');
    assert.deepEqual(calls, [`service GET /v2.0/ports?device_id=${inst.uuid}&tenant_id=${demoProject}`]);
    // The host the ports left (nova cleans up the source after a move): neutron has no
    // binding there (binding-extended answers 404, which nova ignores) and the ports stay.
    calls.length = 0;
    await api.cleanupInstanceNetworkOnHost(ctx('demo'), inst, 'compute1');
    assert.ok(calls.some((c) => c.includes(`DELETE /v2.0/ports/${nw[0]!.id}/bindings/compute1`)), calls.join('\n'));
    assert.equal((await portsOf(inst.uuid)).length, 2);
    const again = await api.getInstanceNwInfo(ctx('demo'), inst, nw);
    assert.deepEqual(
      again.map((v) => v.id),
      nw.map((v) => v.id),
    );
    assert.deepEqual(again, nw);
  });

  test('showPort: PortNotFound for a missing port', async () => {
    await assert.rejects(api.showPort(ctx('demo'), 'no-such-port'), (e) => {
      assert.ok(e instanceof PortNotFound);
      assert.equal(e.message, 'Port id no-such-port could not be found.');
      return true;
    });
  });
});
