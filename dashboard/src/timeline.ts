/**
 * The Boot timeline panel: GET /nimbus/v1/traces/{server}'s timelines (one per request
 * that acted on the server, newest first) as a Gantt chart, one row per step placed by
 * its offset and sized by its duration, coloured by service, the critical path outlined
 * and failed steps red. A select picks the request; the create request is shown first
 * because the boot is what an operator opens this panel for.
 */
import { esc } from './html.js';

export interface TimelineStep {
  offset_ms: number;
  service: string;
  step: string;
  duration_ms: number;
  status: string;
  critical: boolean;
  detail?: Record<string, unknown>;
}

export interface Timeline {
  request_id: string;
  action: string | null;
  started_at: string;
  duration_ms: number;
  status: string;
  steps: TimelineStep[];
}

/** A stable colour per service name (a hash to a hue), so a service keeps its colour across requests. */
export function serviceColour(service: string): string {
  let h = 0;
  for (const c of service) h = (h * 31 + c.charCodeAt(0)) % 360;
  return `hsl(${h} 55% 55%)`;
}

/** The request shown by default: the (newest) create, else the newest. */
export function defaultTimeline(timelines: Timeline[]): number {
  const i = timelines.findIndex((t) => t.action === 'create');
  return i >= 0 ? i : 0;
}

/** A step's label: service and step, and the event's name for the event steps (network-vif-plugged). */
export function stepLabel(s: TimelineStep): string {
  const name = typeof s.detail?.name === 'string' ? ` ${s.detail.name}` : '';
  return `${s.service}: ${s.step}${name}`;
}

/** One timeline as rows of bars. */
export function renderTimelineChart(t: Timeline): string {
  const span = Math.max(1, t.duration_ms, ...t.steps.map((s) => s.offset_ms + s.duration_ms));
  const rows = t.steps
    .map((s, i) => {
      const left = (s.offset_ms / span) * 100;
      const width = Math.max(0.4, (s.duration_ms / span) * 100);
      const failed = s.status === 'error';
      const cls = `tl-step${s.critical ? ' critical' : ''}${failed ? ' failed' : ''}`;
      const label = stepLabel(s);
      return `<div class="step ${cls}" data-index="${i}" data-service="${esc(s.service)}" data-step="${esc(s.step)}" data-critical="${s.critical}" data-status="${esc(s.status)}"><span class="step-name" title="${esc(label)}">${esc(label)}</span><span class="step-track"><span class="bar" title="${esc(`${label}: +${s.offset_ms} ms, ${s.duration_ms} ms${s.critical ? ', critical path' : ''}${failed ? ', failed' : ''}`)}" style="left:${left.toFixed(2)}%;width:${width.toFixed(2)}%;background:${failed ? '#d33' : serviceColour(s.service)}"></span></span><span class="step-ms">${Math.round(s.duration_ms)} ms</span></div>`;
    })
    .join('');
  const services = [...new Set(t.steps.map((s) => s.service))]
    .map((svc) => `<span class="legend-item"><span class="swatch" style="background:${serviceColour(svc)}"></span>${esc(svc)}</span>`)
    .join('');
  return `<div class="chart timeline-chart" data-request="${esc(t.request_id)}" data-steps="${t.steps.length}">${rows}<div class="chart-total">${Math.round(span)} ms in all · <span class="legend-item"><span class="swatch critical"></span>critical path</span> <span class="legend-item"><span class="swatch" style="background:#d33"></span>failed</span> ${services}</div></div>`;
}

/** GET /nimbus/v1/traces/{server}: the request select and the chart of the one shown; undefined for another shape. */
export function renderTimelines(body: any, shown?: number): string | undefined {
  if (!body || !Array.isArray(body.timelines)) return undefined;
  const timelines = body.timelines as Timeline[];
  const warnings = Array.isArray(body.warnings) && body.warnings.length ? `<p class="muted tl-warnings">${body.warnings.map((w: unknown) => esc(w)).join('<br>')}</p>` : '';
  if (timelines.length === 0) return `<p class="muted">no trace recorded for this server</p>${warnings}`;
  const i = shown !== undefined && shown >= 0 && shown < timelines.length ? shown : defaultTimeline(timelines);
  const options = timelines
    .map((t, j) => `<option value="${j}"${j === i ? ' selected' : ''}>${esc(t.action ?? '(unknown action)')} · ${esc(t.request_id)} · ${esc(t.started_at)} · ${Math.round(t.duration_ms)} ms${t.status === 'error' ? ' · failed' : ''}</option>`)
    .join('');
  return `<label class="tl-pick">request <select class="tl-request">${options}</select></label>${warnings}<div class="tl-chart">${renderTimelineChart(timelines[i]!)}</div>`;
}
