/** The agents table (owned by src/network/agents). Times are ISO-8601 text in UTC. */
export interface AgentRow {
  id: string;
  agent_type: string;
  binary: string;
  topic: string;
  host: string;
  availability_zone: string | null;
  admin_state_up: number;
  created_at: string;
  started_at: string;
  heartbeat_timestamp: string;
  description: string | null;
  configurations: string; // JSON
  resource_versions: string | null; // JSON
  load: number;
  resources_synced: number | null;
}

export interface AgentTables {
  agents: AgentRow;
}
