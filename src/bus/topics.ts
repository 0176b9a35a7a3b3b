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
  /** nova. */
  conductor: 'conductor',
  scheduler: 'scheduler',
  compute: 'compute',
} as const;
