/**
 * The Migration object (nova/objects/migration.py) over nova's migrations table: one
 * record per resize, cold or live migration, a resize's status walking
 * pre-migrating → migrating → post-migrating → finished → confirming → confirmed, or
 * → reverting → reverted, or error (an evacuation's: accepted → pre-migrating → done →
 * completed, or failed). Its uuid is the placement consumer that holds the source
 * host's allocation while the move is unconfirmed (or the evacuated source not cleaned up).
 * The statements are db/migrations-store.ts's.
 */
import type { Kysely } from 'kysely';
import { isoMicros } from '../../common/clock.js';
import {
  findMigrationByIdAndInstance,
  findMigrationByUuid,
  findNewestMigrationByInstanceAndStatus,
  insertMigration,
  type MigrationRow,
  type MigrationRowFilters,
  selectMigrations,
  selectMigrationsByInstanceTypeAndStatus,
  selectMigrationsOfHostNotInStatus,
  selectMigrationsOfInstancesNotInStatus,
  updateMigration,
} from '../db/migrations-store.js';
import type { MigrationsTable, NovaDB } from '../db/schema.js';
import { MarkerNotFound, MigrationNotFoundByStatus } from '../errors.js';

export const MigrationStatus = {
  PRE_MIGRATING: 'pre-migrating',
  MIGRATING: 'migrating',
  POST_MIGRATING: 'post-migrating',
  FINISHED: 'finished',
  CONFIRMING: 'confirming',
  CONFIRMED: 'confirmed',
  REVERTING: 'reverting',
  REVERTED: 'reverted',
  ERROR: 'error',
  FAILED: 'failed',
  // A live migration's: accepted (conductor) → queued → preparing → running →
  // completed, or error / failed / cancelled. An evacuation's: accepted (API) →
  // pre-migrating (the destination's claim) → done (rebuilt there) → completed (the
  // source cleaned up on its restart), or failed.
  ACCEPTED: 'accepted',
  QUEUED: 'queued',
  PREPARING: 'preparing',
  RUNNING: 'running',
  COMPLETED: 'completed',
  CANCELLED: 'cancelled',
  DONE: 'done',
} as const;

export const MigrationType = {
  RESIZE: 'resize',
  MIGRATION: 'migration',
  LIVE_MIGRATION: 'live-migration',
  EVACUATION: 'evacuation',
} as const;
export type MigrationType = (typeof MigrationType)[keyof typeof MigrationType];

/**
 * The statuses the resource tracker no longer counts
 * (migration_get_in_progress_by_host_and_node's exclusions): everything else still
 * holds resources on its hosts, `finished` (VERIFY_RESIZE) included.
 */
export const MIGRATION_DONE_STATUSES = ['confirmed', 'reverted', 'error', 'failed', 'completed', 'cancelled', 'done'] as const;

/** The statuses of a live migration still under way (nova's in_progress lists). */
export const LIVE_MIGRATION_IN_PROGRESS = ['queued', 'preparing', 'running', 'post-migrating'] as const;

export type { MigrationRow } from '../db/migrations-store.js';

export interface Migration {
  id: number;
  uuid: string;
  instanceUuid: string;
  sourceCompute: string | null;
  destCompute: string | null;
  sourceNode: string | null;
  destNode: string | null;
  destHost: string | null;
  oldInstanceTypeId: number | null;
  newInstanceTypeId: number | null;
  status: string;
  migrationType: MigrationType;
  hidden: boolean;
  crossCellMove: boolean;
  userId: string | null;
  projectId: string | null;
  createdAt: string;
  updatedAt: string | null;
  deletedAt: string | null;
  deleted: boolean;
}

export type NewMigration = Pick<Migration, 'uuid' | 'instanceUuid' | 'sourceCompute' | 'sourceNode' | 'oldInstanceTypeId' | 'newInstanceTypeId' | 'status' | 'migrationType' | 'userId' | 'projectId'>;
export type MigrationChanges = Partial<Pick<Migration, 'status' | 'destCompute' | 'destNode' | 'destHost' | 'sourceNode'>>;

/** os-migrations' filters (nova's migration_get_all_by_filters, the ones Nimbus records). */
export type MigrationFilters = MigrationRowFilters;

function fromRow(r: MigrationRow): Migration {
  return {
    id: r.id,
    uuid: r.uuid,
    instanceUuid: r.instance_uuid,
    sourceCompute: r.source_compute,
    destCompute: r.dest_compute,
    sourceNode: r.source_node,
    destNode: r.dest_node,
    destHost: r.dest_host,
    oldInstanceTypeId: r.old_instance_type_id,
    newInstanceTypeId: r.new_instance_type_id,
    status: r.status,
    migrationType: r.migration_type as MigrationType,
    hidden: r.hidden !== 0,
    crossCellMove: r.cross_cell_move !== 0,
    userId: r.user_id,
    projectId: r.project_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    deletedAt: r.deleted_at,
    deleted: r.deleted !== 0,
  };
}

export class MigrationStore {
  constructor(
    private readonly db: Kysely<NovaDB>,
    private readonly now: () => number,
  ) {}

  async create(m: NewMigration): Promise<Migration> {
    const t = isoMicros(this.now());
    await insertMigration(this.db, {
      uuid: m.uuid,
      instance_uuid: m.instanceUuid,
      source_compute: m.sourceCompute,
      dest_compute: null,
      source_node: m.sourceNode,
      dest_node: null,
      dest_host: null,
      old_instance_type_id: m.oldInstanceTypeId,
      new_instance_type_id: m.newInstanceTypeId,
      status: m.status,
      migration_type: m.migrationType,
      hidden: 0,
      cross_cell_move: 0,
      user_id: m.userId,
      project_id: m.projectId,
      created_at: t,
      updated_at: null,
      deleted_at: null,
      deleted: 0,
    });
    return (await this.findByUuid(m.uuid))!;
  }

  async findByUuid(uuid: string): Promise<Migration | null> {
    const r = await findMigrationByUuid(this.db, uuid);
    return r ? fromRow(r) : null;
  }

  /** Migration.save: the changed fields and updated_at. */
  async save(uuid: string, changes: MigrationChanges): Promise<Migration> {
    const set: Partial<Omit<MigrationsTable, 'id'>> = { updated_at: isoMicros(this.now()) };
    if (changes.status !== undefined) set.status = changes.status;
    if (changes.destCompute !== undefined) set.dest_compute = changes.destCompute;
    if (changes.destNode !== undefined) set.dest_node = changes.destNode;
    if (changes.destHost !== undefined) set.dest_host = changes.destHost;
    if (changes.sourceNode !== undefined) set.source_node = changes.sourceNode;
    await updateMigration(this.db, uuid, set);
    return (await this.findByUuid(uuid))!;
  }

  /** Migration.get_by_instance_and_status: the newest; MigrationNotFoundByStatus when none. */
  async getByInstanceAndStatus(instanceUuid: string, status: string): Promise<Migration> {
    const r = await findNewestMigrationByInstanceAndStatus(this.db, instanceUuid, status);
    if (!r) throw new MigrationNotFoundByStatus(instanceUuid, status);
    return fromRow(r);
  }

  /** migration_get_in_progress_by_instance: queued, preparing, running or post-migrating, of one type. */
  async inProgressByInstance(instanceUuid: string, migrationType: MigrationType): Promise<Migration[]> {
    const rows = await selectMigrationsByInstanceTypeAndStatus(this.db, instanceUuid, migrationType, LIVE_MIGRATION_IN_PROGRESS);
    return rows.map(fromRow);
  }

  /** The moves still under way (not in a done status) of any of these instances, in one query. */
  async unfinishedByInstances(instanceUuids: string[]): Promise<Migration[]> {
    return (await selectMigrationsOfInstancesNotInStatus(this.db, instanceUuids, MIGRATION_DONE_STATUSES)).map(fromRow);
  }

  /** migration_get_by_id_and_instance: null when the id is not one of the instance's migrations. */
  async findByIdAndInstance(id: number, instanceUuid: string): Promise<Migration | null> {
    const r = await findMigrationByIdAndInstance(this.db, id, instanceUuid);
    return r ? fromRow(r) : null;
  }

  /** Migrations touching a host (as source or destination) that still hold resources there. */
  async inProgressByHost(host: string): Promise<Migration[]> {
    const rows = await selectMigrationsOfHostNotInStatus(this.db, host, MIGRATION_DONE_STATUSES);
    return rows.map(fromRow);
  }

  /**
   * get_migrations_sorted / migration_get_all_by_filters: newest first (created_at, id
   * descending; by id with `unsorted`, as get_migrations before 2.59), after `marker` (a migration uuid; MarkerNotFound when unknown), at most
   * `limit`. Hidden migrations are left to the caller, as nova's API drops them.
   */
  async list(f: MigrationFilters, page: { limit?: number; marker?: string; unsorted?: boolean } = {}): Promise<Migration[]> {
    let rows = (await selectMigrations(this.db, f, !!page.unsorted)).map(fromRow);
    if (page.marker !== undefined) {
      const at = rows.findIndex((m) => m.uuid === page.marker);
      if (at < 0) throw new MarkerNotFound(page.marker);
      rows = rows.slice(at + 1);
    }
    return page.limit !== undefined ? rows.slice(0, page.limit) : rows;
  }
}
