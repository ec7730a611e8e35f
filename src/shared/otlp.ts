/**
 * Events as OpenTelemetry log records, in the OTLP/HTTP JSON encoding
 * (`POST /v1/logs`, an ExportLogsServiceRequest): what the OpenTelemetry
 * Collector, Datadog, Grafana Loki, Splunk and Honeycomb accept. Times are
 * nanoseconds as decimal strings, attributes are key/value lists, severity
 * numbers follow the log data model (INFO 9, WARN 13, ERROR 17, FATAL 21).
 */
import { convexToJson, type Value } from "convex/values";
import type { Severity } from "./validators.js";
import type { DeliveredEvent } from "./delivery.js";

export const OTLP_SEVERITY: Readonly<Record<Severity, { number: number; text: string }>> = {
  info: { number: 9, text: "INFO" },
  warning: { number: 13, text: "WARN" },
  error: { number: 17, text: "ERROR" },
  critical: { number: 21, text: "FATAL" },
};

type AnyValue = { stringValue: string } | { intValue: string } | { boolValue: boolean } | { arrayValue: { values: AnyValue[] } };
type KeyValue = { key: string; value: AnyValue };

const str = (key: string, value: string | undefined): KeyValue[] => (value === undefined ? [] : [{ key, value: { stringValue: value } }]);
const int = (key: string, value: number | undefined): KeyValue[] => (value === undefined ? [] : [{ key, value: { intValue: String(value) } }]);
const nanos = (ms: number) => `${Math.round(ms)}000000`;

/** The event fields a log record is made of (delivery.ts's `DeliveredEvent`). */
export type OtlpEvent = DeliveredEvent;

/** One event as a log record: the summary as body, the event's fields as attributes (OpenTelemetry's names where they exist). */
export function otlpLogRecord(e: OtlpEvent): Record<string, unknown> {
  const sev = OTLP_SEVERITY[e.severity];
  return {
    timeUnixNano: nanos(e.timestamp),
    observedTimeUnixNano: nanos(e._creationTime),
    severityNumber: sev.number,
    severityText: sev.text,
    eventName: e.action,
    body: { stringValue: e.summary ?? e.action },
    attributes: [
      ...str("event.name", e.action),
      ...str("audit.id", e._id),
      ...int("audit.seq", e.seq),
      ...str("audit.category", e.category),
      ...str("audit.status", e.status),
      ...str("audit.severity", e.severity),
      ...str("enduser.id", e.actorId),
      ...str("audit.actor.type", e.actor?.type),
      ...str("audit.actor.name", e.actor?.name),
      ...str("audit.tenant.id", e.tenantId),
      ...str("audit.resource.type", e.resourceType),
      ...str("audit.resource.id", e.resourceId),
      ...str("error.message", e.errorMessage),
      ...str("client.address", e.context?.ip),
      ...str("user_agent.original", e.context?.userAgent),
      ...str("audit.request.id", e.context?.requestId),
      ...str("session.id", e.context?.sessionId),
      ...str("code.function", e.context?.source),
      ...(e.tags === undefined ? [] : [{ key: "audit.tags", value: { arrayValue: { values: e.tags.map((t) => ({ stringValue: t })) } } }]),
      ...(e.metadata === undefined ? [] : str("audit.metadata", JSON.stringify(convexToJson(e.metadata as Value)))),
    ],
  };
}

/** The request body for a batch: one resource (the service), one scope (this package). */
export function otlpRequest(records: Record<string, unknown>[], serviceName: string): string {
  return JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: str("service.name", serviceName) },
        scopeLogs: [{ scope: { name: "convex-audit-log" }, logRecords: records }],
      },
    ],
  });
}
