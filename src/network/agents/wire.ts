/** The one place an agents row becomes neutron's agent JSON (_make_agent_dict). */
import { isAlive } from './db/agents-db.js';
import type { AgentRow } from './db/tables.js';
import type { AgentWire } from './types.js';

/** Neutron's agent time form: "2026-11-23 23:38:50" (space, seconds, no zone). */
export function agentTime(stored: string): string {
  const ms = Date.parse(stored);
  if (!Number.isFinite(ms)) return stored;
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '');
}

function parseObject(text: string | null): Record<string, unknown> {
  if (!text) return {};
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The agent as GET /v2.0/agents shows it; `alive` is computed against nowMs and agent_down_time. */
export function agentToWire(row: AgentRow, nowMs: number, agentDownTimeS: number): AgentWire {
  return {
    id: row.id,
    agent_type: row.agent_type,
    binary: row.binary,
    topic: row.topic,
    host: row.host,
    admin_state_up: row.admin_state_up === 1,
    created_at: agentTime(row.created_at),
    started_at: agentTime(row.started_at),
    heartbeat_timestamp: agentTime(row.heartbeat_timestamp),
    description: row.description,
    alive: isAlive(row, nowMs, agentDownTimeS),
    configurations: parseObject(row.configurations),
    resource_versions: parseObject(row.resource_versions),
    availability_zone: row.availability_zone,
    resources_synced: row.resources_synced === null ? null : row.resources_synced === 1,
  };
}
