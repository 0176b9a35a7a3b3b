/**
 * nova's neutron client, the pure parts: query encoding as neutronclient does it, the
 * NeutronError body read into neutronclient's exception, and each call site's mapping
 * to nova's exceptions (nova/network/neutron.py _create_port_minimal, _update_port,
 * _show_port). Bodies are neutron's own, from transcript 00 and 92.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  FixedIpAlreadyInUse,
  FixedIpInvalidOnHost,
  InvalidInput,
  NeutronClientException,
  NoMoreFixedIps,
  NovaException,
  PortBindingFailed,
  PortInUse,
  PortLimitExceeded,
  PortNotFound,
} from '../../src/compute/errors.js';
import { type PortDict, clientException, encodeQuery, hasStatus, isNeutronError } from '../../src/compute/network/neutron-client.js';
import { ensureNoBindingFailure, mapCreatePortError, mapShowPortError, mapUpdatePortError } from '../../src/compute/network/neutron-errors.js';

const NET = 'f5f2fa16-fc72-4d80-95f9-47ee678916ad';
const neutronError = (status: number, type: string, message: string, detail = '') => clientException(status, { NeutronError: { type, message, detail } });

describe('neutronclient wire', () => {
  test('lists repeat the key, booleans read True/False, absent values are left out', () => {
    assert.equal(encodeQuery({ id: ['a', 'b'], shared: false, tenant_id: 'p', skip: undefined, none: null }), '?id=a&id=b&shared=False&tenant_id=p');
    assert.equal(encodeQuery({ fields: ['binding:host_id', 'binding:vif_type'] }), '?fields=binding%3Ahost_id&fields=binding%3Avif_type');
    assert.equal(encodeQuery({ fixed_ips: 'ip_address=1.2.3.10', fields: 'device_id' }), '?fixed_ips=ip_address%3D1.2.3.10&fields=device_id');
    assert.equal(encodeQuery({}), '');
  });

  test('a NeutronError body becomes the exception of its type (transcript 92)', () => {
    const e = neutronError(409, 'IpAddressAlreadyAllocated', 'IP address 1.2.3.10 already allocated in subnet bfc6405e-e404-4205-ba5b-840b670de0fe');
    assert.ok(e instanceof NeutronClientException);
    assert.equal(e.status, 409);
    assert.equal(e.neutronType, 'IpAddressAlreadyAllocated');
    assert.equal(e.message, 'IP address 1.2.3.10 already allocated in subnet bfc6405e-e404-4205-ba5b-840b670de0fe');
    assert.ok(isNeutronError(e, 'IpAddressInUse', 'IpAddressAlreadyAllocated'));
    assert.ok(!isNeutronError(e, 'PortNotFound'));
    assert.ok(hasStatus(e, 409));
  });

  test('the detail follows the message on a new line; a body without NeutronError keeps status and text', () => {
    assert.equal(neutronError(400, 'InvalidInput', 'Invalid input for operation.', 'more').message, 'Invalid input for operation.\nmore');
    const plain = clientException(404, { message: 'The resource could not be found.' });
    assert.equal(plain.neutronType, undefined);
    assert.equal(plain.message, 'The resource could not be found.');
    assert.equal(clientException(502, 'Bad Gateway').message, '502-Bad Gateway');
  });
});

describe('_create_port_minimal', () => {
  const req = { networkId: NET, fixedIp: '1.2.3.10', tenantId: '9f59dc16c29c470a9a3344d159460fb3' };

  test('IP already allocated or in use: FixedIpAlreadyInUse "Fixed IP %s is already in use." (attach answers 409)', () => {
    for (const type of ['IpAddressAlreadyAllocated', 'IpAddressInUse']) {
      const m = mapCreatePortError(neutronError(409, type, 'x'), req);
      assert.ok(m.error instanceof FixedIpAlreadyInUse);
      assert.equal(m.error.message, 'Fixed IP 1.2.3.10 is already in use.');
      assert.equal(m.warning, 'Neutron error: Fixed IP 1.2.3.10 is already in use.');
    }
  });

  test('an address outside the network: InvalidInput', () => {
    for (const type of ['InvalidIpForNetwork', 'InvalidIpForSubnet']) {
      const m = mapCreatePortError(neutronError(400, type, 'x'), { ...req, fixedIp: '9.9.9.9' });
      assert.ok(m.error instanceof InvalidInput);
      assert.equal(m.error.message, `Invalid input received: Fixed IP 9.9.9.9 is not a valid ip address for network ${NET}.`);
      assert.equal((m.error as InvalidInput).status, 400);
    }
  });

  test('quota, exhausted pool, MAC taken', () => {
    const quota = mapCreatePortError(neutronError(409, 'OverQuota', 'Quota exceeded for resources: [\'port\'].'), req);
    assert.ok(quota.error instanceof PortLimitExceeded);
    assert.equal(quota.error.message, 'Maximum number of ports exceeded');
    assert.equal(quota.warning, 'Neutron error: Port quota exceeded in tenant: 9f59dc16c29c470a9a3344d159460fb3');
    const full = mapCreatePortError(neutronError(409, 'IpAddressGenerationFailure', 'No more IP addresses available on network'), req);
    assert.ok(full.error instanceof NoMoreFixedIps);
    assert.equal(full.error.message, `No fixed IP addresses available for network: ${NET}`);
    const mac = mapCreatePortError(neutronError(409, 'MacAddressInUse', 'x'), { ...req, mac: 'fa:16:3e:00:00:01' });
    assert.ok(mac.error instanceof PortInUse);
    assert.equal(mac.error.message, 'Port fa:16:3e:00:00:01 is still in use.');
  });

  test('anything else goes through as neutronclient raised it', () => {
    const e = neutronError(404, 'NetworkNotFound', `Network ${NET} could not be found.`);
    const m = mapCreatePortError(e, req);
    assert.equal(m.error, e);
    assert.equal(m.warning, undefined);
  });
});

describe('_update_port and _show_port', () => {
  test('MacAddressInUse → PortInUse, HostNotCompatibleWithFixedIps → FixedIpInvalidOnHost, others unchanged', () => {
    const mac = mapUpdatePortError(neutronError(409, 'MacAddressInUse', 'x'), { portId: 'p', mac: 'fa:16:3e:00:00:02', networkId: NET });
    assert.ok(mac.error instanceof PortInUse);
    assert.equal(mac.warning, `Neutron error: MAC address fa:16:3e:00:00:02 is already in use on network ${NET}.`);
    const host = mapUpdatePortError(neutronError(409, 'HostNotCompatibleWithFixedIps', 'x'), { portId: 'p' });
    assert.ok(host.error instanceof FixedIpInvalidOnHost);
    assert.equal(host.error.message, 'The fixed IP associated with port p is not compatible with the host.');
    const other = neutronError(404, 'PortNotFound', 'Port p could not be found.');
    assert.equal(mapUpdatePortError(other, { portId: 'p' }).error, other);
  });

  test('PortNotFound → nova PortNotFound; another neutron error → "Failed to access port"', () => {
    const nf = mapShowPortError(neutronError(404, 'PortNotFound', 'Port 394b could not be found.'), '394b');
    assert.ok(nf instanceof PortNotFound);
    assert.equal(nf.message, 'Port id 394b could not be found.');
    const other = mapShowPortError(neutronError(500, 'HTTPInternalServerError', 'boom'), '394b');
    assert.ok(other instanceof NovaException && !(other instanceof NeutronClientException));
    assert.equal(other.message, 'Failed to access port 394b: boom');
    const plain = new Error('socket');
    assert.equal(mapShowPortError(plain, '394b'), plain);
  });

  test('binding_failed is PortBindingFailed; ovs, unbound or hidden binding are fine', () => {
    const port = (vifType?: string) => ({ id: '394b', 'binding:vif_type': vifType }) as unknown as PortDict;
    assert.throws(() => ensureNoBindingFailure(port('binding_failed')), (e) => {
      assert.ok(e instanceof PortBindingFailed);
      assert.equal(e.message, 'Binding failed for port 394b, please check neutron logs for more information.');
      return true;
    });
    for (const t of ['ovs', 'unbound', undefined]) ensureNoBindingFailure(port(t));
  });
});
