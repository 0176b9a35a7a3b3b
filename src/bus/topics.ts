/** Every RPC topic name, in one place (oslo.messaging's names where OpenStack has them). */
export const Topics = {
  /** neutron-server's plugin endpoint agents call (get_device_details, update_device_up...). */
  plugin: 'q-plugin',
  /** Agents' state reports to neutron-server. */
  reports: 'q-reports-plugin',
  /** neutron-server → agents: port updates and deletes (fanout). */
  agentPortUpdate: 'q-agent-notifier-port-update',
  agentPortDelete: 'q-agent-notifier-port-delete',
  agentNetworkUpdate: 'q-agent-notifier-network-update',
  /** neutron-server → agents: a port's binding on a host was (de)activated (binding-extended, fanout). */
  agentPortBindingDeactivate: 'q-agent-notifier-port_binding-deactivate',
  agentPortBindingActivate: 'q-agent-notifier-port_binding-activate',
  /** neutron-server → OVS agents: a tunnel endpoint appeared / went (type_tunnel's TunnelAgentRpcApiMixin, fanout). */
  agentTunnelUpdate: 'q-agent-notifier-tunnel-update',
  agentTunnelDelete: 'q-agent-notifier-tunnel-delete',
  /** nova. */
  conductor: 'conductor',
  scheduler: 'scheduler',
  compute: 'compute',
  /** Nimbus: the fault injection book of every process (src/common/faults.ts, fanout). */
  faults: 'nimbus-faults',
  /** Nimbus: neutron-server saves and loads its database's snapshots (src/common/db-snapshots.ts); on neutron's exchange. */
  neutronSnapshots: 'q-nimbus-snapshots',
} as const;

/** A topic's name as a union of the declared ones. */
export type Topic = (typeof Topics)[keyof typeof Topics];

/**
 * The control exchange a topic lives on, as oslo.messaging's `control_exchange` of the
 * service that owns it: nova.conf and neutron.conf set it to `nova` and `neutron`, so
 * the broker holds one topic exchange per service. Neutron's topics all start with `q-`
 * (its legacy "quantum" prefix); every other topic is nova's.
 */
export function controlExchange(topic: string): 'nova' | 'neutron' {
  return topic.startsWith('q-') ? 'neutron' : 'nova';
}
