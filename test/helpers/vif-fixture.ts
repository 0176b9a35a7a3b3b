/**
 * A port as nova's NetworkInfo holds it after neutron bound it `ovs` with the hybrid plug
 * (the VIF the tests and benchmarks of the VIF driver plug): its id, MAC, MTU and
 * datapath, the rest as Zed's binding fills it.
 */
import type { VIF } from '../../src/compute/network/model.js';
import { devName } from '../../src/compute/virt/vif.js';

export function hybridOvsVif(o: { id: string; address: string; mtu?: number | null; datapathType?: string }): VIF {
  return {
    id: o.id,
    address: o.address,
    network: { id: 'net-1', bridge: 'br-int', label: 'private', subnets: [], meta: { injected: false, tenant_id: 't', mtu: o.mtu ?? null } },
    type: 'ovs',
    details: { port_filter: true, ovs_hybrid_plug: true, datapath_type: o.datapathType ?? 'system', bridge_name: 'br-int' },
    devname: devName(o.id, 'tap'),
    ovs_interfaceid: o.id,
    qbh_params: null,
    qbg_params: null,
    active: false,
    vnic_type: 'normal',
    profile: {},
    preserve_on_delete: false,
    delegate_create: false,
    meta: {},
  };
}
