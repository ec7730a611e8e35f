/**
 * The OTLP sink's body is an ExportLogsServiceRequest in OTLP/HTTP's JSON
 * encoding, as a collector parses it: 64-bit integers and nanosecond times
 * as decimal strings, attributes as key/value lists of typed AnyValues,
 * severity numbers from the log data model's ranges, one resource and one
 * scope, records in the order given. Checked for random events.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { OTLP_SEVERITY, otlpLogRecord, otlpRequest, type OtlpEvent } from "../src/shared/otlp.js";
import { CATEGORIES, SEVERITIES } from "../src/shared/validators.js";

type AnyValue = { stringValue?: string; intValue?: string; boolValue?: boolean; arrayValue?: { values: AnyValue[] } };

/** An AnyValue as the OTLP JSON mapping allows it: exactly one field, ints as decimal strings. */
function anyValueOk(v: AnyValue): boolean {
  const keys = Object.keys(v);
  if (keys.length !== 1) return false;
  if (v.stringValue !== undefined) return typeof v.stringValue === "string";
  if (v.intValue !== undefined) return typeof v.intValue === "string" && /^-?\d+$/.test(v.intValue);
  if (v.boolValue !== undefined) return typeof v.boolValue === "boolean";
  return Array.isArray(v.arrayValue?.values) && v.arrayValue.values.every(anyValueOk);
}

const event = fc.record({
  _id: fc.string({ minLength: 1, maxLength: 12 }),
  _creationTime: fc.double({ min: 1.6e12, max: 2e12, noNaN: true }),
  seq: fc.option(fc.nat(10_000_000), { nil: undefined }),
  action: fc.stringMatching(/^[a-z]{1,8}\.[a-z_]{1,10}$/),
  category: fc.constantFrom(...CATEGORIES),
  severity: fc.constantFrom(...SEVERITIES),
  status: fc.constantFrom("success" as const, "failure" as const),
  timestamp: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  actorId: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
  tenantId: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
  summary: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
  tags: fc.option(fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }), { nil: undefined }),
  metadata: fc.option(fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,5}$/), fc.oneof(fc.string({ maxLength: 5 }), fc.integer())), { nil: undefined }),
  context: fc.option(fc.record({ ip: fc.option(fc.ipV4(), { nil: undefined }), userAgent: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }) }), { nil: undefined }),
});

describe("OTLP/HTTP JSON", () => {
  test("a batch is one resource and one scope with every event's record, in order, each well-formed", () => {
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 20 }), fc.string({ minLength: 1, maxLength: 20 }), (events, service) => {
        const body = JSON.parse(otlpRequest(events.map((e) => otlpLogRecord(e as OtlpEvent)), service)) as {
          resourceLogs: { resource: { attributes: { key: string; value: AnyValue }[] }; scopeLogs: { scope: { name: string }; logRecords: Record<string, unknown>[] }[] }[];
        };
        expect(body.resourceLogs).toHaveLength(1);
        const [rl] = body.resourceLogs;
        expect(rl.resource.attributes).toEqual([{ key: "service.name", value: { stringValue: service } }]);
        expect(rl.scopeLogs).toHaveLength(1);
        const records = rl.scopeLogs[0].logRecords;
        expect(records).toHaveLength(events.length);
        records.forEach((r, i) => {
          const e = events[i];
          expect(r.timeUnixNano).toBe(`${e.timestamp}000000`);
          expect(r.observedTimeUnixNano).toMatch(/^\d+$/);
          expect(r.severityNumber).toBe(OTLP_SEVERITY[e.severity].number);
          expect(r.eventName).toBe(e.action);
          expect(anyValueOk(r.body as AnyValue)).toBe(true);
          const attrs = r.attributes as { key: string; value: AnyValue }[];
          expect(attrs.every((a) => typeof a.key === "string" && anyValueOk(a.value))).toBe(true);
          expect(new Set(attrs.map((a) => a.key)).size).toBe(attrs.length);
          const attr = (k: string) => attrs.find((a) => a.key === k)?.value;
          expect(attr("audit.id")).toEqual({ stringValue: e._id });
          expect(attr("audit.seq")).toEqual(e.seq === undefined ? undefined : { intValue: String(e.seq) });
          expect(attr("client.address")).toEqual(e.context?.ip === undefined ? undefined : { stringValue: e.context.ip });
        });
      }),
      { numRuns: 300 },
    );
  });

  test("severity numbers fall in the log data model's ranges (INFO 9–12, WARN 13–16, ERROR 17–20, FATAL 21–24)", () => {
    expect(Object.fromEntries(SEVERITIES.map((s) => [s, OTLP_SEVERITY[s]]))).toEqual({
      info: { number: 9, text: "INFO" },
      warning: { number: 13, text: "WARN" },
      error: { number: 17, text: "ERROR" },
      critical: { number: 21, text: "FATAL" },
    });
  });
});
