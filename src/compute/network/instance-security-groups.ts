/**
 * Adding a security group to a server and removing it (nova/network/security_group_api.py
 * add_to_instance / remove_from_instance): the group is found by name or id as
 * neutronclient's find_resourceid_by_name_or_id does, then every port of the instance
 * gets its security_groups updated through neutron's REST API, as the user. The
 * instance's list of group names (what the server view shows) follows.
 */
import type { NovaContext } from '../context.js';
import { NeutronClientException, NoUniqueMatch, SecurityGroupCannotBeApplied, SecurityGroupNotFound } from '../errors.js';
import type { Instance, InstanceStore } from '../objects/instance.js';
import type { NeutronClient, PortDict } from './neutron-client.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** neutronclient's find_resourceid_by_name_or_id for security groups: an id first, then a name within the project. */
async function findGroup(neutron: NeutronClient, nameOrId: string, projectId: string): Promise<{ id: string; name: string } | null> {
  if (UUID.test(nameOrId)) {
    const byId = await neutron.listSecurityGroups({ id: nameOrId });
    if (byId[0]) return { id: byId[0].id, name: byId[0].name };
  }
  const byName = await neutron.listSecurityGroups({ name: nameOrId, tenant_id: projectId });
  if (byName.length > 1) throw new NoUniqueMatch(`Multiple security_group matches found for name '${nameOrId}', use an ID to be more specific.`);
  return byName[0] ? { id: byName[0].id, name: byName[0].name } : null;
}

/** _has_security_group_requirements: port security on, and an address (or a deferred one). */
function hasSecurityGroupRequirements(port: PortDict): boolean {
  const p = port as PortDict & { port_security_enabled?: boolean; ip_allocation?: string };
  const hasIp = Array.isArray(p.fixed_ips) && p.fixed_ips.length > 0;
  if (hasIp || p.ip_allocation === 'deferred') return p.port_security_enabled ?? true;
  return false;
}

async function groupAndPorts(neutron: NeutronClient, ctx: NovaContext, instance: Instance, name: string) {
  const group = await findGroup(neutron, name, ctx.projectId);
  if (!group) throw new SecurityGroupNotFound(name ?? '', `Security group ${name} is not found for project ${ctx.projectId}`);
  const ports = await neutron.listPorts({ device_id: instance.uuid });
  if (ports.length === 0) throw new SecurityGroupNotFound(name ?? '', `instance_id ${instance.uuid} could not be found as device id on any ports`);
  return { group, ports };
}

/** add_to_instance: SecurityGroupNotFound, NoUniqueMatch or SecurityGroupCannotBeApplied. */
export async function addToInstance(neutron: NeutronClient, instances: InstanceStore, ctx: NovaContext, instance: Instance, name: string): Promise<void> {
  const { group, ports } = await groupAndPorts(neutron, ctx, instance, name);
  for (const port of ports) {
    if (!hasSecurityGroupRequirements(port)) throw new SecurityGroupCannotBeApplied();
    const groups = [...((port as { security_groups?: string[] }).security_groups ?? []), group.id];
    try {
      await neutron.updatePort(port.id, { security_groups: groups });
    } catch (e) {
      if (e instanceof NeutronClientException && e.status === 400) {
        const err = new SecurityGroupCannotBeApplied();
        err.message = e.message;
        throw err;
      }
      throw e;
    }
  }
  if (!instance.securityGroups.includes(group.name)) await instances.save(instance.uuid, { securityGroups: [...instance.securityGroups, group.name] });
}

/** remove_from_instance: SecurityGroupNotFound when no port had the group. */
export async function removeFromInstance(neutron: NeutronClient, instances: InstanceStore, ctx: NovaContext, instance: Instance, name: string): Promise<void> {
  const { group, ports } = await groupAndPorts(neutron, ctx, instance, name);
  let found = false;
  for (const port of ports) {
    const groups = (port as { security_groups?: string[] }).security_groups ?? [];
    if (!groups.includes(group.id)) continue;
    await neutron.updatePort(port.id, { security_groups: groups.filter((g) => g !== group.id) });
    found = true;
  }
  if (!found) throw new SecurityGroupNotFound(name ?? '', `Security group ${name} not associated with the instance ${instance.uuid}`);
  await instances.save(instance.uuid, { securityGroups: instance.securityGroups.filter((n) => n !== group.name) });
}
