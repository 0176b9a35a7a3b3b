/**
 * From the steps nova and neutron recorded for a server to its timelines: one per
 * request that acted on it (create, delete, attach...), newest first, each step with its
 * offset from the request's start and the critical path marked.
 *
 * Which request a step belongs to: its own request id, or — for steps that carry none of
 * the server's actions' ids (the OVS agent, the port going ACTIVE, the events neutron
 * posts, each under the notifier's own request) — the action under way when it happened.
 */
import type { TraceEvent } from '../../../common/trace.js';

export interface TimelineStep {
  offset_ms: number;
  service: string;
  step: string;
  duration_ms: number;
  status: 'ok' | 'error';
  critical: boolean;
  request_id: string;
  span_id: string;
  parent_id: string | null;
  detail: Record<string, unknown>;
}

export interface Timeline {
  request_id: string;
  /** The instance action (create, delete, attach_interface...), or null when the request's root was not recorded. */
  action: string | null;
  started_at: string;
  duration_ms: number;
  status: 'ok' | 'error';
  steps: TimelineStep[];
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** Groups, orders and marks the steps; `requestId` keeps only that request's timeline. */
export function buildTimelines(events: readonly TraceEvent[], requestId?: string): Timeline[] {
  const unique = [...new Map(events.map((e) => [e.spanId, e])).values()].sort((a, b) => a.startedAt - b.startedAt);
  const roots = unique.filter((e) => e.parentId === null);
  const actionIds = new Set(roots.map((r) => r.requestId));
  const groups = new Map<string, TraceEvent[]>(roots.map((r) => [r.requestId, []]));
  for (const e of unique) {
    let key = e.requestId;
    if (!actionIds.has(key)) {
      // The action under way: the last root started before this step.
      const under = roots.filter((r) => r.startedAt <= e.startedAt).pop();
      key = under?.requestId ?? e.requestId;
    }
    const g = groups.get(key);
    if (g) g.push(e);
    else groups.set(key, [e]);
  }
  const out: Timeline[] = [];
  for (const [rid, evs] of groups) {
    if (requestId && rid !== requestId) continue;
    const root = roots.find((r) => r.requestId === rid);
    const start = Math.min(...evs.map((e) => e.startedAt));
    const end = Math.max(...evs.map((e) => e.startedAt + e.durationMs));
    const critical = criticalPath(evs);
    out.push({
      request_id: rid,
      action: typeof root?.detail?.action === 'string' ? root.detail.action : null,
      started_at: new Date(start).toISOString(),
      duration_ms: round(end - start),
      status: evs.some((e) => e.status === 'error') ? 'error' : 'ok',
      steps: evs.map((e) => ({
        offset_ms: round(e.startedAt - start),
        service: e.service,
        step: e.step,
        duration_ms: round(e.durationMs),
        status: e.status,
        critical: critical.has(e.spanId),
        request_id: e.requestId,
        span_id: e.spanId,
        parent_id: e.parentId ?? null,
        detail: e.detail ?? {},
      })),
    });
  }
  return out.sort((a, b) => b.started_at.localeCompare(a.started_at));
}

/**
 * The chain of steps the request's end waited on: from the step that happened last,
 * back through the step that finished last before it started, and so on. Steps that
 * enclose others (the request itself, the whole build) are left out: their children say
 * where the time went.
 */
export function criticalPath(events: readonly TraceEvent[]): Set<string> {
  const parents = new Set(events.map((e) => e.parentId).filter((p): p is string => !!p));
  const leaves = events.filter((e) => !parents.has(e.spanId));
  const endOf = (e: TraceEvent) => e.startedAt + e.durationMs;
  const path = new Set<string>();
  // The last thing that happened (a server going ACTIVE, a port deleted) ends the path.
  let cur = leaves.reduce<TraceEvent | undefined>((best, e) => (!best || e.startedAt >= best.startedAt ? e : best), undefined);
  while (cur) {
    path.add(cur.spanId);
    const before: TraceEvent = cur;
    cur = leaves
      .filter((e) => !path.has(e.spanId) && endOf(e) <= before.startedAt + 1e-6 && e.startedAt <= before.startedAt)
      .reduce<TraceEvent | undefined>((best, e) => (!best || endOf(e) >= endOf(best) ? e : best), undefined);
  }
  return path;
}
