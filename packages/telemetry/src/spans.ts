import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';

export { SpanKind };

/** Span attribute names of our own, in one place so dashboards and tests agree. */
export const attributes = {
  tenantId: 'tessera.tenant_id',
  subject: 'enduser.id',
  roles: 'enduser.role',
  requestId: 'tessera.request_id',
  service: 'tessera.service',
} as const;

export interface TenantSpanInfo {
  tenantId?: string | undefined;
  subject?: string | undefined;
  roles?: readonly string[] | undefined;
  requestId?: string | undefined;
}

export function tenantAttributes(info: TenantSpanInfo): Attributes {
  const result: Attributes = {};
  if (info.tenantId) result[attributes.tenantId] = info.tenantId;
  if (info.subject) result[attributes.subject] = info.subject;
  if (info.roles) result[attributes.roles] = info.roles.join(',');
  if (info.requestId) result[attributes.requestId] = info.requestId;
  return result;
}

export function setTenantAttributes(span: Span | undefined, info: TenantSpanInfo): void {
  span?.setAttributes(tenantAttributes(info));
}

/** Runs `fn` inside a new active span, recording exceptions and ending the span either way. */
export async function withSpan<T>(
  tracerName: string,
  spanName: string,
  options: { kind?: SpanKind; attributes?: Attributes; parent?: Context },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const tracer = trace.getTracer(tracerName);
  const parent = options.parent ?? context.active();
  return tracer.startActiveSpan(spanName, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes ?? {} }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Adds W3C `traceparent`/`tracestate` for the active context to outgoing headers. */
export function injectTraceHeaders(headers: Record<string, string>, from: Context = context.active()): Record<string, string> {
  propagation.inject(from, headers);
  return headers;
}

/** The remote parent context carried by incoming request headers (or the active one if none). */
export function extractTraceContext(headers: Record<string, string | string[] | undefined>): Context {
  return propagation.extract(context.active(), headers, {
    get: (carrier, key) => {
      const value = carrier[key];
      return Array.isArray(value) ? value[0] : value;
    },
    keys: (carrier) => Object.keys(carrier),
  });
}

export function activeSpan(): Span | undefined {
  return trace.getActiveSpan();
}
