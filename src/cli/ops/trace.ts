/**
 * `nimbus trace SERVER [--request-id R]`: what happened to a server across services, as
 * nova-api's operator API assembles it (GET /nimbus/v1/traces/{server}): per request
 * (newest first), each step with its offset, service, duration and detail, the critical
 * path marked with `*`. Exit 1 when a step failed (or the server has no trace).
 */
import type { OpsCommand } from './command.js';
import { OpsUsageError } from './command.js';
import { Exit, json, table } from './output.js';

interface Step {
  offset_ms: number;
  service: string;
  step: string;
  duration_ms: number;
  status: 'ok' | 'error';
  critical: boolean;
  detail: Record<string, unknown>;
}
interface Timeline {
  request_id: string;
  action: string | null;
  started_at: string;
  duration_ms: number;
  status: 'ok' | 'error';
  steps: Step[];
}
interface TraceBody {
  server: string;
  timelines: Timeline[];
  warnings?: string[];
}

/** The detail a human wants in one cell: the decision, the status, the port, the commands. */
function describe(s: Step): string {
  const d = s.detail;
  const parts: string[] = [];
  if (s.step === 'select_destinations') {
    if (d.selected) parts.push(`selected ${String(d.selected)}`);
    const w = d.weights as { host: string; weight: number }[] | undefined;
    if (w?.length) parts.push(`weights ${w.map((x) => `${x.host}=${x.weight}`).join(' ')}`);
    const removed = d.removed as { host: string; filter: string }[] | undefined;
    if (removed?.length) parts.push(`removed ${removed.map((r) => `${r.host} by ${r.filter}`).join(', ')}`);
  } else if (s.step === 'task_state') {
    parts.push(`${String(d.vm_state)}/${d.task_state === null ? 'None' : String(d.task_state)}`);
  } else {
    for (const k of ['status', 'host', 'port', 'vif_type', 'name', 'tag', 'previous', 'result', 'attempt']) {
      if (d[k] !== undefined && d[k] !== null) parts.push(`${k}=${String(d[k])}`);
    }
  }
  if (d.error) parts.push(`error: ${String(d.error)}`);
  // The host commands one a line (existence checks left out), as an operator would run them.
  const cmds = ((d.commands as string[] | undefined) ?? []).filter((c) => !c.startsWith('ip link show'));
  return [parts.join(', '), ...cmds].filter(Boolean).join('\n');
}

const ms = (n: number) => n.toFixed(1);

export const traceCommand: OpsCommand = {
  summary: "the timeline of a server's boot, attach, detach, delete or move across services",
  help: [
    'usage: nimbus trace SERVER [--request-id R] [-f table|json]',
    '',
    "Prints each request that acted on SERVER (a server uuid), newest first: every step nova and",
    'neutron recorded (API request, conductor, scheduler decision, compute steps and task states,',
    "nova's neutron calls with their status, the binding, the plug commands, the OVS agent seeing",
    'the device, the port going ACTIVE, the event posted and received) with its offset and',
    'duration; `*` marks the critical path. Exits 1 when a step failed.',
    '',
    '  --request-id R   only that request (an x-openstack-request-id, req-...)',
    '  -f json          the timelines as JSON',
  ].join('\n'),
  options: { 'request-id': { type: 'string' } },
  async run({ values, positionals, format, io, client }) {
    if (positionals.length !== 1) throw new OpsUsageError('expected one SERVER');
    const server = positionals[0]!;
    const rid = values['request-id'];
    const path = `/traces/${encodeURIComponent(server)}${typeof rid === 'string' ? `?request_id=${encodeURIComponent(rid)}` : ''}`;
    const body = (await (await client()).call<TraceBody>('GET', path)).body;
    const failed = body.timelines.some((t) => t.status === 'error');
    if (format === 'json') {
      io.out(json(body));
      return failed || !body.timelines.length ? Exit.PROBLEM : Exit.OK;
    }
    for (const w of body.warnings ?? []) io.err(`warning: ${w}`);
    if (!body.timelines.length) {
      io.err(`nimbus trace: nothing recorded for ${server}${typeof rid === 'string' ? ` in request ${rid}` : ''}`);
      return Exit.PROBLEM;
    }
    for (const t of body.timelines) {
      io.out(`request ${t.request_id} (${t.action ?? 'unknown action'}) at ${t.started_at}: ${ms(t.duration_ms)} ms${t.status === 'error' ? ', FAILED' : ''}`);
      io.out(
        table(
          ['', 'Offset (ms)', 'Service', 'Step', 'Duration (ms)', 'Detail'],
          t.steps.map((s) => [s.critical ? '*' : '', ms(s.offset_ms), s.service, s.status === 'error' ? `${s.step} (failed)` : s.step, ms(s.duration_ms), describe(s)]),
        ),
      );
    }
    return failed ? Exit.PROBLEM : Exit.OK;
  },
};
