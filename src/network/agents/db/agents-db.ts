/**
 * neutron-server's agents table (agents_db.py): the upsert a heartbeat does, and the
 * reads and admin updates behind /v2.0/agents. Every function takes a connection or
 * transaction; `now` always comes from the caller's clock.
 */
import type { Kysely } from 'kysely';
import { type Random, systemRandom } from '../../../common/clock.js';
import { guardUnique, isUniqueViolation } from '../../../db/database.js';
import type { NeutronDB } from '../../db/schema.js';
import { AgentNotFound } from '../errors.js';
import type { AgentStateReport, AgentStatus } from '../types.js';
import type { AgentRow } from './tables.js';

type Db = Kysely<NeutronDB>;

/** Stored time form: ISO-8601 UTC with milliseconds. */
export const storedTime = (ms: number): string => new Date(ms).toISOString();

/** True while the last heartbeat is at most agent_down_time old (neutron's not is_agent_down). */
export function isAlive(row: Pick<AgentRow, 'heartbeat_timestamp'>, nowMs: number, agentDownTimeS: number): boolean {
  const hb = Date.parse(row.heartbeat_timestamp);
  return Number.isFinite(hb) && nowMs - hb <= agentDownTimeS * 1000;
}

/** What reportState tells the agent and the caller. */
export interface ReportResult {
  status: AgentStatus;
  id: string;
  admin_state_up: boolean;
}

/**
 * Creates or updates the reporting agent's row (create_or_update_agent): a new agent
 * gets created_at = started_at = heartbeat = now and admin_state_up true
 * (enable_new_agents); a known one keeps created_at, gets heartbeat = now and
 * started_at = now when the report carries start_flag. Status is 'revived' when the
 * agent was down before this report. A concurrent first report is retried as an update.
 */
export async function reportState(
  db: Db,
  report: AgentStateReport,
  nowMs: number,
  opts: { agentDownTime?: number; random?: Random } = {},
): Promise<ReportResult> {
  const now = storedTime(nowMs);
  const downTime = opts.agentDownTime ?? 75;
  const fields = {
    agent_type: report.agent_type,
    binary: report.binary,
    host: report.host,
    topic: report.topic,
    configurations: JSON.stringify(report.configurations ?? {}),
    ...(report.availability_zone !== undefined ? { availability_zone: report.availability_zone } : {}),
    ...(report.resource_versions && Object.keys(report.resource_versions).length
      ? { resource_versions: JSON.stringify(report.resource_versions) }
      : {}),
  };
  for (let attempt = 0; ; attempt++) {
    const existing = await db
      .selectFrom('agents')
      .selectAll()
      .where('agent_type', '=', report.agent_type)
      .where('host', '=', report.host)
      .executeTakeFirst();
    if (existing) {
      const status: AgentStatus = isAlive(existing, nowMs, downTime) ? 'alive' : 'revived';
      await db
        .updateTable('agents')
        .set({ ...fields, heartbeat_timestamp: now, ...(report.start_flag ? { started_at: now } : {}) })
        .where('id', '=', existing.id)
        .execute();
      return { status, id: existing.id, admin_state_up: existing.admin_state_up === 1 };
    }
    const id = (opts.random ?? systemRandom).uuid();
    try {
      await guardUnique(db, () =>
        db
          .insertInto('agents')
          .values({
            id,
            availability_zone: null,
            resource_versions: null,
            ...fields,
            admin_state_up: 1,
            created_at: now,
            started_at: now,
            heartbeat_timestamp: now,
            description: null,
            load: 0,
            resources_synced: null,
          })
          .execute(),
      );
      return { status: 'new', id, admin_state_up: true };
    } catch (e) {
      if (!isUniqueViolation(e) || attempt > 0) throw e;
    }
  }
}

/** List filters: each a value or a list of accepted values, as neutron's ?key=a&key=b. */
export interface AgentFilters {
  id?: string | string[];
  agent_type?: string | string[];
  binary?: string | string[];
  topic?: string | string[];
  host?: string | string[];
  availability_zone?: string | string[];
  description?: string | string[];
  admin_state_up?: boolean;
  /** Needs `liveness`; ignored without it. */
  alive?: boolean;
}

const asList = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);

/** Agents matching `filters`, ordered by host then type. */
export async function listAgents(
  db: Db,
  filters: AgentFilters = {},
  liveness?: { nowMs: number; agentDownTime: number },
): Promise<AgentRow[]> {
  let q = db.selectFrom('agents').selectAll();
  for (const key of ['id', 'agent_type', 'binary', 'topic', 'host', 'availability_zone', 'description'] as const) {
    const v = filters[key];
    if (v !== undefined) {
      const list = asList(v);
      if (list.length === 0) return [];
      q = q.where(key, 'in', list);
    }
  }
  if (filters.admin_state_up !== undefined) q = q.where('admin_state_up', '=', filters.admin_state_up ? 1 : 0);
  const rows = await q.orderBy('host').orderBy('agent_type').execute();
  if (filters.alive === undefined || !liveness) return rows;
  return rows.filter((r) => isAlive(r, liveness.nowMs, liveness.agentDownTime) === filters.alive);
}

/** One agent; throws AgentNotFound. */
export async function getAgent(db: Db, id: string): Promise<AgentRow> {
  const row = await db.selectFrom('agents').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new AgentNotFound(id);
  return row;
}

/** Changes what an admin may change (admin_state_up, description); throws AgentNotFound. */
export async function updateAgent(
  db: Db,
  id: string,
  changes: { admin_state_up?: boolean; description?: string | null },
): Promise<AgentRow> {
  const set: Partial<Pick<AgentRow, 'admin_state_up' | 'description'>> = {};
  if (changes.admin_state_up !== undefined) set.admin_state_up = changes.admin_state_up ? 1 : 0;
  if (changes.description !== undefined) set.description = changes.description;
  if (Object.keys(set).length) {
    const r = await db.updateTable('agents').set(set).where('id', '=', id).executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw new AgentNotFound(id);
  }
  return getAgent(db, id);
}

/** Deletes an agent row (it comes back with its next report); throws AgentNotFound. */
export async function deleteAgent(db: Db, id: string): Promise<void> {
  const r = await db.deleteFrom('agents').where('id', '=', id).executeTakeFirst();
  if (Number(r.numDeletedRows) === 0) throw new AgentNotFound(id);
}

/** Every agent on `host`, of any type (what port binding looks at). */
export async function agentsOnHost(db: Db, host: string): Promise<AgentRow[]> {
  return db.selectFrom('agents').selectAll().where('host', '=', host).orderBy('agent_type').execute();
}
