/**
 * The nimbus_trace_events table, one in nova's database and one in neutron's (each
 * service owns its own): the steps each service recorded for `nimbus trace`, keyed by
 * request id and instance uuid. Written in batches by the services' trace recorders
 * (src/common/trace.ts), read by the operator API, pruned by age.
 */
import type { Kysely, Migration } from 'kysely';
import type { TraceEvent } from '../common/trace.js';

/** The table's name; snapshots leave it out (a trace is history, not the cloud's state). */
export const TRACE_EVENTS_TABLE = 'nimbus_trace_events';

export interface TraceEventsTable {
  span_id: string;
  parent_id: string | null;
  request_id: string;
  instance_uuid: string | null;
  service: string;
  step: string;
  status: string;
  /** Milliseconds since the epoch, with sub-millisecond fractions. */
  started_at: number;
  duration_ms: number;
  detail: string;
}

/** The table and its two lookups (by instance, by request); portable to SQLite, PostgreSQL and MariaDB. */
export const traceEventsMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('nimbus_trace_events')
      .addColumn('span_id', 'varchar(32)', (c) => c.primaryKey())
      .addColumn('parent_id', 'varchar(32)')
      .addColumn('request_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('instance_uuid', 'varchar(36)')
      .addColumn('service', 'varchar(64)', (c) => c.notNull())
      .addColumn('step', 'varchar(128)', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('started_at', 'double precision', (c) => c.notNull())
      .addColumn('duration_ms', 'double precision', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('ix_nimbus_trace_events_instance').on('nimbus_trace_events').columns(['instance_uuid', 'started_at']).execute();
    await db.schema.createIndex('ix_nimbus_trace_events_request').on('nimbus_trace_events').columns(['request_id', 'started_at']).execute();
  },
};

type TraceDb = Kysely<{ nimbus_trace_events: TraceEventsTable }>;

/** Rows per INSERT: 10 parameters each, well under every dialect's limit on bound parameters. */
const CHUNK = 200;

/** Writes one batch, in INSERTs of CHUNK rows. */
export async function insertTraceEvents(db: Kysely<any>, events: readonly TraceEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += CHUNK) await insertChunk(db, events.slice(i, i + CHUNK));
}

async function insertChunk(db: Kysely<any>, events: readonly TraceEvent[]): Promise<void> {
  await (db as TraceDb)
    .insertInto('nimbus_trace_events')
    .values(
      events.map((e) => ({
        span_id: e.spanId,
        parent_id: e.parentId ?? null,
        request_id: e.requestId,
        instance_uuid: e.instanceUuid ?? null,
        service: e.service,
        step: e.step,
        status: e.status,
        started_at: e.startedAt,
        duration_ms: e.durationMs,
        detail: JSON.stringify(e.detail ?? {}),
      })),
    )
    .execute();
}

/** The events of an instance, plus those of `requestIds` (calls that name no instance), oldest first. */
export async function listTraceEvents(db: Kysely<any>, q: { instanceUuid: string; requestIds?: readonly string[] }): Promise<TraceEvent[]> {
  const rows = await (db as TraceDb)
    .selectFrom('nimbus_trace_events')
    .selectAll()
    .where((eb) => (q.requestIds?.length ? eb.or([eb('instance_uuid', '=', q.instanceUuid), eb('request_id', 'in', [...q.requestIds])]) : eb('instance_uuid', '=', q.instanceUuid)))
    .orderBy('started_at')
    .execute();
  return rows.map((r) => ({
    spanId: r.span_id,
    parentId: r.parent_id,
    requestId: r.request_id,
    instanceUuid: r.instance_uuid,
    service: r.service,
    step: r.step,
    status: r.status === 'error' ? 'error' : 'ok',
    startedAt: Number(r.started_at),
    durationMs: Number(r.duration_ms),
    detail: JSON.parse(r.detail) as Record<string, unknown>,
  }));
}

/** Deletes the events started before `before` (ms since the epoch). */
export async function pruneTraceEvents(db: Kysely<any>, before: number): Promise<void> {
  await (db as TraceDb).deleteFrom('nimbus_trace_events').where('started_at', '<', before).execute();
}
