/**
 * The admin's os-migrateLive server action (nova/api/openstack/compute/migrate_server.py
 * _migrate_live) with schemas/migrate_server.py's body per microversion:
 *   2.0-2.24  block_migration and disk_over_commit (booleans) and host, all required;
 *   2.25-2.29 block_migration may be 'auto', disk_over_commit is gone;
 *   2.30-2.67 an optional force (a named host skips the scheduler only with force);
 *   2.68+     force is gone again.
 * Before 2.34 the conductor's pre-check errors come back here as 400s; from 2.34 the
 * request returns before they run (async) and they only show in the instance action.
 */
import { RemoteError } from '../../bus/bus.js';
import { novaContext } from '../context.js';
import {
  ComputeHostNotFound,
  ComputeServiceUnavailable,
  DestinationHypervisorTooOld,
  InstanceInvalidState,
  InstanceIsLocked,
  InvalidHypervisorType,
  MigrationPreCheckError,
  NoValidHost,
  UnableToMigrateToSelf,
} from '../errors.js';
import { LiveMigrateAPI } from '../live-migrate-api.js';
import { HttpFault, badRequest } from './faults.js';
import { atLeast } from './microversion.js';
import { authorize } from './policy.js';
import { addServerAction, invalidStateConflict } from './server-actions.js';
import { type JsonSchema, P, boolFromString } from './validation.js';

const HOST: JsonSchema = { ...(P.fqdn as object), type: ['string', 'null'] };
const BLOCK_AUTO: JsonSchema = { ...(P.boolean as object), enum: [...((P.boolean as { enum: unknown[] }).enum ?? []), 'auto'] };

function liveSchema(props: Record<string, JsonSchema>, required: string[]): JsonSchema {
  return {
    type: 'object',
    properties: { 'os-migrateLive': { type: 'object', properties: props, required, additionalProperties: false } },
    required: ['os-migrateLive'],
    additionalProperties: false,
  };
}

/** migrate_live (2.0-2.24). */
const MIGRATE_LIVE = liveSchema({ block_migration: P.boolean, disk_over_commit: P.boolean, host: HOST }, ['block_migration', 'disk_over_commit', 'host']);
/** migrate_live_v2_25 (also v2_68). */
const MIGRATE_LIVE_V225 = liveSchema({ block_migration: BLOCK_AUTO, host: HOST }, ['block_migration', 'host']);
/** migrate_live_v2_30. */
const MIGRATE_LIVE_V230 = liveSchema({ block_migration: BLOCK_AUTO, host: HOST, force: P.boolean }, ['block_migration', 'host']);

/** The errors _migrate_live answers 400 with their text (when the conductor was called). */
const BAD_REQUEST = new Set<string>([
  NoValidHost.wireType,
  ComputeServiceUnavailable.wireType,
  InvalidHypervisorType.wireType,
  'InvalidCPUInfo',
  UnableToMigrateToSelf.wireType,
  DestinationHypervisorTooOld.wireType,
  'InvalidLocalStorage',
  'InvalidSharedStorage',
  'HypervisorUnavailable',
  MigrationPreCheckError.wireType,
  'ForbiddenPortsWithAccelerator',
  ComputeHostNotFound.wireType,
]);

addServerAction('os-migrateLive', (d) => ({
  schema: (req) => (atLeast(req.mv, '2.68') ? MIGRATE_LIVE_V225 : atLeast(req.mv, '2.30') ? MIGRATE_LIVE_V230 : atLeast(req.mv, '2.25') ? MIGRATE_LIVE_V225 : MIGRATE_LIVE),
  handle: async (req, _reply, instance, body) => {
    authorize(req.ctx, 'os_compute_api:os-migrate-server:migrate_live', { project_id: instance.projectId });
    const b = (body as { 'os-migrateLive': Record<string, unknown> })['os-migrateLive'];
    const host = (b.host as string | null) ?? null;
    let force: boolean | null = null;
    if (atLeast(req.mv, '2.30')) {
      // _get_force_param_for_live_migration (2.68's schema has no force: False).
      force = boolFromString(b.force ?? false, true);
      if (force && !host) throw badRequest("Can't force to a non-provided destination");
    }
    const blockMigration = atLeast(req.mv, '2.25') && b.block_migration === 'auto' ? null : boolFromString(b.block_migration, true);
    if (!atLeast(req.mv, '2.25')) boolFromString(b.disk_over_commit, true);
    const async = atLeast(req.mv, '2.34');
    try {
      await new LiveMigrateAPI(d.compute).liveMigrate(novaContext(req.ctx), instance, { blockMigration, host, force, async });
    } catch (e) {
      if (e instanceof InstanceIsLocked) throw new HttpFault(409, e.message);
      if (e instanceof InstanceInvalidState) throw invalidStateConflict(e, 'os-migrateLive', instance.uuid);
      if (e instanceof ComputeHostNotFound) throw badRequest(e.message);
      if (e instanceof RemoteError) {
        if (e.excType === InstanceInvalidState.wireType) {
          // raise_http_conflict_for_instance_invalid_state with the remote exception's attr and state.
          const m = /in (\S+) (\S+)\. Cannot/.exec(e.value);
          throw new HttpFault(409, m ? `Cannot 'os-migrateLive' instance ${instance.uuid} while it is in ${m[1]} ${m[2]}` : `Instance ${instance.uuid} is in an invalid state for 'os-migrateLive'`);
        }
        if (BAD_REQUEST.has(e.excType)) throw badRequest(e.value);
      }
      throw e;
    }
  },
}));
