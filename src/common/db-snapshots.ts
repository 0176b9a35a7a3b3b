/**
 * A service's database snapshots over the bus (issue 12 point 4): nova-api, which serves
 * /nimbus/v1/snapshots, cannot open neutron's database, so each neutron-server listens
 * on `q-nimbus-snapshots` and saves or loads its own (src/db/table-snapshot.ts). The
 * calls go to the topic's shared queue: any neutron-server answers, as they share one
 * database. Keystone and glance are not on the bus; a distributed cloud's snapshots
 * leave them out and say so (src/deploy/snapshots.ts).
 */
import type { Kysely } from 'kysely';
import type { Bus, Listener } from '../bus/bus.js';
import { defineTopic, listen, rpcClient } from '../bus/contract.js';
import { Topics } from '../bus/topics.js';
import { deleteTableSnapshot, listTableSnapshots, loadTables, saveTables } from '../db/table-snapshot.js';
import type { Logger } from './log.js';

/** One service's database snapshots: calls, each answered once the work is committed. */
export interface DbSnapshotTopic {
  /** Saves (replaces) `name`; the tables copied. */
  snapshot_save: { args: { name: string; created_at: string }; result: { tables: string[] } };
  /** Loads `name`; false when this database has no such snapshot. */
  snapshot_load: { args: { name: string }; result: boolean };
  snapshot_delete: { args: { name: string }; result: boolean };
}
export const NeutronSnapshotTopicDef = defineTopic<DbSnapshotTopic>(Topics.neutronSnapshots, { snapshot_save: true, snapshot_load: true, snapshot_delete: true });

/** Snapshots of a whole database take longer than an ordinary call. */
const TIMEOUT_MS = 300_000;

/** The client side: nova-api's calls to neutron's database snapshots. */
export class NeutronSnapshotRpc {
  constructor(private readonly bus: Bus) {}
  save(name: string, createdAt: string): Promise<{ tables: string[] }> {
    return rpcClient(this.bus, NeutronSnapshotTopicDef).call('snapshot_save', { name, created_at: createdAt }, { timeoutMs: TIMEOUT_MS });
  }
  load(name: string): Promise<boolean> {
    return rpcClient(this.bus, NeutronSnapshotTopicDef).call('snapshot_load', { name }, { timeoutMs: TIMEOUT_MS });
  }
  remove(name: string): Promise<boolean> {
    return rpcClient(this.bus, NeutronSnapshotTopicDef).call('snapshot_delete', { name }, { timeoutMs: TIMEOUT_MS });
  }
}

/** The name of the snapshot a reset returns to, taken by each service at its first start. */
export const FRESH_SNAPSHOT = '.fresh';

/**
 * Saves the database's `.fresh` snapshot unless it has one (its first start). Two
 * processes starting together may both save it: each save is one transaction, so one
 * whole copy remains; a failure is logged, not thrown (reset then says it is missing).
 */
export async function saveFreshTables(d: { db: Kysely<any>; skip: readonly string[]; log: Logger; now: () => string }): Promise<void> {
  if ((await listTableSnapshots(d.db)).some((s) => s.name === FRESH_SNAPSHOT)) return;
  await saveTables(d.db, FRESH_SNAPSHOT, d.now(), d.skip).catch((e: unknown) => d.log.warn({ err: e }, 'could not save the fresh snapshot (another process may have)'));
}

/**
 * Serves neutron's database snapshots as `server` (this process's host), leaving out
 * `skip` (neutron's agents: their state reports describe the running agents). Takes
 * the fresh snapshot a reset returns to when the database has none yet (its first start).
 */
export async function serveNeutronSnapshots(d: { bus: Bus; db: Kysely<any>; skip: readonly string[]; server: string; log: Logger; now: () => string }): Promise<Listener> {
  await saveFreshTables(d);
  return listen(d.bus, NeutronSnapshotTopicDef, d.server, {
    snapshot_save: async ({ name, created_at }) => {
      await saveTables(d.db, name, created_at, d.skip);
      return { tables: (await listTableSnapshots(d.db)).find((s) => s.name === name)?.tables ?? [] };
    },
    snapshot_load: ({ name }) => loadTables(d.db, name),
    snapshot_delete: ({ name }) => deleteTableSnapshot(d.db, name),
  });
}
