/**
 * keystone-manage bootstrap plus devstack's accounts, idempotent: roles admin ⇒ member
 * ⇒ reader (immutable), projects admin/demo/service, users admin, demo and the service
 * users with their grants, and the openrc files. Existing rows are kept as they are
 * (passwords included), as keystone-manage bootstrap does.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { hexId, isoMicros, type Clock, type Random } from '../common/clock.js';
import { type Config, servicePassword } from '../common/config.js';
import type { ProjectRow, RoleRow, UserRow } from './db/schema.js';
import type { IdentityStore } from './db/store.js';
import { DEFAULT_DOMAIN } from './domain.js';
import { KeystoneConflict } from './errors.js';
import { hashPassword } from './password.js';

/** The service users nova, neutron and glance authenticate as. */
export const SERVICE_USERS = ['nova', 'neutron', 'glance'] as const;

interface Deps {
  store: IdentityStore;
  clock: Clock;
  random: Random;
}

async function ensureRole(d: Deps, name: string): Promise<RoleRow> {
  const found = await d.store.getRoleByName(name);
  if (found) return found;
  const row: RoleRow = { id: hexId(d.random), name, description: null, immutable: 1 };
  try {
    await d.store.createRole(row);
    return row;
  } catch (e) {
    if (e instanceof KeystoneConflict) return (await d.store.getRoleByName(name))!;
    throw e;
  }
}

async function ensureProject(d: Deps, name: string, description: string): Promise<ProjectRow> {
  const found = await d.store.getProjectByName(name, DEFAULT_DOMAIN.id);
  if (found) return found;
  const row: ProjectRow = {
    id: hexId(d.random),
    name,
    domain_id: DEFAULT_DOMAIN.id,
    description,
    enabled: 1,
    created_at: isoMicros(d.clock.now()),
  };
  try {
    await d.store.createProject(row);
    return row;
  } catch (e) {
    if (e instanceof KeystoneConflict) return (await d.store.getProjectByName(name, DEFAULT_DOMAIN.id))!;
    throw e;
  }
}

async function ensureUser(d: Deps, name: string, password: string): Promise<UserRow> {
  const found = await d.store.getUserByName(name, DEFAULT_DOMAIN.id);
  if (found) return found;
  const row: UserRow = {
    id: hexId(d.random),
    name,
    domain_id: DEFAULT_DOMAIN.id,
    password_hash: await hashPassword(password, d.random),
    enabled: 1,
    default_project_id: null,
    description: null,
    email: null,
    created_at: isoMicros(d.clock.now()),
  };
  try {
    await d.store.createUser(row);
    return row;
  } catch (e) {
    if (e instanceof KeystoneConflict) return (await d.store.getUserByName(name, DEFAULT_DOMAIN.id))!;
    throw e;
  }
}

/** Creates whatever of the initial accounts is missing. */
export async function bootstrap(cfg: Config, d: Deps): Promise<void> {
  const admin = await ensureRole(d, 'admin');
  const member = await ensureRole(d, 'member');
  const reader = await ensureRole(d, 'reader');
  await d.store.addImpliedRole(admin.id, member.id);
  await d.store.addImpliedRole(member.id, reader.id);

  const adminProject = await ensureProject(d, 'admin', 'Bootstrap project for initializing the cloud.');
  const demoProject = await ensureProject(d, 'demo', '');
  const serviceProject = await ensureProject(d, 'service', '');

  const adminUser = await ensureUser(d, 'admin', cfg.identity.admin_password);
  await d.store.addAssignment({ user_id: adminUser.id, project_id: adminProject.id, role_id: admin.id });
  const demoUser = await ensureUser(d, 'demo', cfg.identity.demo_password);
  await d.store.addAssignment({ user_id: demoUser.id, project_id: demoProject.id, role_id: member.id });
  for (const name of SERVICE_USERS) {
    const u = await ensureUser(d, name, servicePassword(cfg, name));
    await d.store.addAssignment({ user_id: u.id, project_id: serviceProject.id, role_id: admin.id });
  }
}

/** Writes <data_dir>/openrc-admin and openrc-demo for the real clients. */
export function writeOpenrcFiles(cfg: Config, authUrl: string): void {
  mkdirSync(cfg.DEFAULT.data_dir, { recursive: true });
  const rc = (user: string, password: string, project: string) =>
    [
      `export OS_AUTH_URL=${authUrl}`,
      `export OS_USERNAME=${user}`,
      `export OS_PASSWORD=${password}`,
      `export OS_PROJECT_NAME=${project}`,
      'export OS_USER_DOMAIN_NAME=Default',
      'export OS_PROJECT_DOMAIN_NAME=Default',
      'export OS_IDENTITY_API_VERSION=3',
      `export OS_REGION_NAME=${cfg.DEFAULT.region}`,
      'export OS_INTERFACE=public',
      '',
    ].join('\n');
  writeFileSync(join(cfg.DEFAULT.data_dir, 'openrc-admin'), rc('admin', cfg.identity.admin_password, 'admin'), { mode: 0o600 });
  writeFileSync(join(cfg.DEFAULT.data_dir, 'openrc-demo'), rc('demo', cfg.identity.demo_password, 'demo'), { mode: 0o600 });
}
