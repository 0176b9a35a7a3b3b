/**
 * OpenTelemetry export of recorded trace events (`[trace] otlp_endpoint`), with the
 * official SDK and OTLP/HTTP exporter (JSON), so Jaeger or any OTel backend shows a boot
 * across services. Spans keep the recorder's ids: the trace id is the request's
 * (traceIdOf), the span id the event's, the parent the event's parent, so spans written
 * by different processes join into one trace without passing span contexts around.
 */
import { ROOT_CONTEXT, TraceFlags, trace, type Attributes } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type IdGenerator } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Logger } from './log.js';
import { type TraceEvent, traceIdOf } from './trace.js';

/** Hands the SDK the ids of the event being turned into a span (set just before startSpan, synchronously). */
class GivenIds implements IdGenerator {
  next = { traceId: '', spanId: '' };
  generateTraceId(): string {
    return this.next.traceId;
  }
  generateSpanId(): string {
    return this.next.spanId;
  }
}

export class OtlpSpanExport {
  readonly #ids = new GivenIds();
  readonly #provider: BasicTracerProvider;

  constructor(url: string, serviceName: string, private readonly log: Logger) {
    this.#provider = new BasicTracerProvider({
      resource: new Resource({ [ATTR_SERVICE_NAME]: serviceName }),
      idGenerator: this.#ids,
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }), { scheduledDelayMillis: 1000, maxExportBatchSize: 512 })],
    });
  }

  /** Turns a batch into ended spans and pushes them to the endpoint; export errors are logged, never thrown. */
  async export(events: readonly TraceEvent[]): Promise<void> {
    const tracer = this.#provider.getTracer('nimbus');
    for (const e of events) {
      const traceId = traceIdOf(e.requestId);
      this.#ids.next = { traceId, spanId: e.spanId };
      const parent = e.parentId ? trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId: e.parentId, traceFlags: TraceFlags.SAMPLED, isRemote: true }) : ROOT_CONTEXT;
      const attributes: Attributes = { 'nimbus.request_id': e.requestId, 'nimbus.service': e.service, 'nimbus.step': e.step };
      if (e.instanceUuid) attributes['nimbus.instance_uuid'] = e.instanceUuid;
      for (const [k, v] of Object.entries(e.detail ?? {})) {
        if (v !== undefined && v !== null) attributes[`nimbus.${k}`] = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v);
      }
      const span = tracer.startSpan(`${e.service} ${e.step}`, { startTime: e.startedAt, attributes }, parent);
      if (e.status === 'error') span.setStatus({ code: 2, message: String(e.detail?.error ?? 'error') });
      span.end(e.startedAt + e.durationMs);
    }
    try {
      await this.#provider.forceFlush();
    } catch (err) {
      this.log.warn({ err }, 'OTLP trace export failed');
    }
  }

  async shutdown(): Promise<void> {
    await this.#provider.shutdown().catch(() => undefined);
  }
}
