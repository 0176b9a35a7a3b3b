/**
 * neutron-server → L2 agents for security groups (SecurityGroupAgentRpcApiMixin): fanout
 * casts on q-agent-notifier-security_group-update; each agent re-filters, in its next
 * loop iteration, its ports in the groups named.
 *
 * When, as Zed's securitygroups_rpc_base does: security_groups_rule_updated after a rule
 * is created or deleted (its group); security_groups_member_updated after a port with
 * groups is created or deleted, or an update changed its groups, fixed IPs or allowed
 * address pairs (the groups before and after), since rules whose remote group is one of
 * these match the members' addresses.
 */
import type { Bus } from '../../bus/bus.js';
import { rpcClient } from '../../bus/contract.js';
import type { Logger } from '../../common/log.js';
import type { Dict } from '../api/resource.js';
import type { PortEvents } from '../plugin/port-events.js';
import { AgentSecurityGroupUpdateTopicDef } from './topics.js';

const groups = (p: Dict | null | undefined) => (p?.security_groups as string[] | undefined) ?? [];
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** is_security_group_member_updated. */
export function securityGroupMemberUpdated(original: Dict, updated: Dict): boolean {
  return !same(groups(original), groups(updated)) || !same(original.fixed_ips, updated.fixed_ips) || !same(original.allowed_address_pairs, updated.allowed_address_pairs);
}

export class SecurityGroupAgentNotifier {
  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
  ) {}

  /** security_groups_rule_updated (nothing is sent for no group). */
  rulesUpdated(securityGroups: string[]): void {
    if (securityGroups.length) this.#cast('security_groups_rule_updated', securityGroups);
  }

  /** security_groups_member_updated (nothing is sent for no group). */
  membersUpdated(securityGroups: string[]): void {
    if (securityGroups.length) this.#cast('security_groups_member_updated', securityGroups);
  }

  #cast(method: 'security_groups_rule_updated' | 'security_groups_member_updated', securityGroups: string[]): void {
    rpcClient(this.bus, AgentSecurityGroupUpdateTopicDef, { fanout: true })
      .cast(method, { security_groups: securityGroups })
      .catch((e: unknown) => this.log.error({ err: e }, `${method} cast failed`));
  }

  /** Notifies after the port plugin's and the security group plugin's commits; returns the unsubscribe. */
  attach(events: PortEvents, rules: { onRulesChanged(fn: (groupIds: string[]) => void): () => void }): () => void {
    const offs = [
      events.on('afterCreate', (port) => this.membersUpdated(groups(port))),
      events.on('afterUpdate', (port, original) => {
        if (original && securityGroupMemberUpdated(original, port)) this.membersUpdated([...new Set([...groups(original), ...groups(port)])]);
      }),
      events.on('afterDelete', (port) => this.membersUpdated(groups(port))),
      rules.onRulesChanged((ids) => this.rulesUpdated(ids)),
    ];
    return () => {
      for (const off of offs) off();
    };
  }
}
