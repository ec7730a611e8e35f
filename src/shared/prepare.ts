/**
 * Turns what a caller sent into the document that is stored: checks every
 * field, fills defaults, computes the diff, redacts, and enforces the size
 * limit. The component runs this for every event, so no caller can skip it;
 * the client runs `validateEventInput` first so that unstorable values get
 * the same typed error before serialisation.
 */
import { lookupAction } from "./catalog.js";
import { diffValues, renderChanges, stripSystemFields } from "./diff.js";
import { auditError } from "./errors.js";
import { createRedactor, type Redactor } from "./redact.js";
import { checkId, checkString, checkTimestamp, isPrintable, oneOf } from "./checks.js";
import {
  ACTOR_TYPES,
  CATEGORIES,
  LIMITS,
  SEVERITIES,
  STATUSES,
  vActor,
  vEventInput,
  vRequestContext,
  type ActorType,
  type Category,
  type EventDoc,
  type EventInput,
  type LogOptions,
  type Severity,
  type Status,
} from "./validators.js";
import { assertStorable, encodedSize } from "./values.js";

// Printable text without control characters, so actions render and index cleanly.
const ACTION_PATTERN = /^[^\s\p{Cc}][^\p{Cc}]*$/u;

const EVENT_KEYS = new Set([...Object.keys(vEventInput.fields), "generateDiff"]);
const ACTOR_KEYS = new Set(["id", ...Object.keys(vActor.fields)]);
const CONTEXT_KEYS = new Set(Object.keys(vRequestContext.fields));

/**
 * What a caller passed, before anything reads it: an object whose fields
 * are all fields of an event (actor and context likewise), with a boolean
 * `generateDiff`. The client runs this first, so a typo or a wrong type is a
 * typed INVALID_ARGUMENT rather than Convex's argument validation error.
 */
export function checkEventShape(raw: unknown, at = ""): void {
  const p = (f: string) => (at ? `${at}.${f}` : f);
  const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
  if (!isObject(raw)) throw auditError("INVALID_ARGUMENT", `${at || "an event"} must be an object`, at || "event");
  const unknownKey = (obj: Record<string, unknown>, known: Set<string>) => Object.keys(obj).find((k) => !known.has(k) && obj[k] !== undefined);
  const extra = unknownKey(raw, EVENT_KEYS);
  if (extra !== undefined) throw auditError("INVALID_ARGUMENT", `${JSON.stringify(extra.slice(0, 64))} is not a field of an event`, p(extra));
  for (const [field, known] of [["actor", ACTOR_KEYS], ["context", CONTEXT_KEYS]] as const) {
    const value = raw[field];
    if (value === undefined) continue;
    if (!isObject(value)) throw auditError("INVALID_ARGUMENT", `${field} must be an object`, p(field));
    const bad = unknownKey(value, known);
    if (bad !== undefined) throw auditError("INVALID_ARGUMENT", `${JSON.stringify(bad.slice(0, 64))} is not a field of ${field}`, p(`${field}.${bad}`));
  }
  if (raw.generateDiff !== undefined && typeof raw.generateDiff !== "boolean") {
    throw auditError("INVALID_ARGUMENT", "generateDiff must be true or false", p("generateDiff"));
  }
  if (raw.actorId !== undefined && raw.actorId !== null && typeof raw.actorId !== "string") {
    throw auditError("INVALID_ARGUMENT", "actorId must be a string", p("actorId"));
  }
}

/** Synchronous checks of one event; `at` prefixes paths in errors (e.g. "events[3]"). */
export function validateEventInput(input: EventInput, at = ""): void {
  const p = (f: string) => (at ? `${at}.${f}` : f);
  if (typeof input !== "object" || input === null) {
    throw auditError("INVALID_ARGUMENT", `${at || "event"} must be an object`, at || "event");
  }
  const action: unknown = input.action;
  if (typeof action !== "string" || action.trim().length === 0) {
    throw auditError("INVALID_ACTION", "action must be a non-empty string", p("action"));
  }
  if (action.length > LIMITS.maxActionLength) {
    throw auditError(
      "INVALID_ACTION",
      `action is ${action.length} characters; the limit is ${LIMITS.maxActionLength}`,
      p("action"),
    );
  }
  if (!ACTION_PATTERN.test(action) || action !== action.trim() || !isPrintable(action)) {
    throw auditError(
      "INVALID_ACTION",
      "action must be printable: no control characters, lone surrogates, bidi controls, line separators or surrounding spaces",
      p("action"),
    );
  }
  for (const field of ["actor", "context"] as const) {
    const val: unknown = input[field];
    if (val !== undefined && (typeof val !== "object" || val === null || Array.isArray(val))) {
      throw auditError("INVALID_ARGUMENT", `${field} must be an object`, p(field));
    }
  }
  if (input.severity !== undefined) oneOf(input.severity, SEVERITIES, p("severity"), "INVALID_SEVERITY");
  if (input.status !== undefined) oneOf(input.status, STATUSES, p("status"));
  if (input.category !== undefined) oneOf(input.category, CATEGORIES, p("category"));
  if (input.actor?.type !== undefined) oneOf(input.actor.type, ACTOR_TYPES, p("actor.type"));
  checkId(input.actorId, p("actorId"));
  checkString(input.actor?.role, p("actor.role"), LIMITS.maxIdLength);
  checkString(input.actor?.name, p("actor.name"), LIMITS.maxIdLength);
  checkString(input.actor?.email, p("actor.email"), LIMITS.maxIdLength);
  checkString(input.actor?.tokenIdentifier, p("actor.tokenIdentifier"), LIMITS.maxIdLength);
  checkId(input.tenantId, p("tenantId"));
  checkId(input.resourceType, p("resourceType"));
  checkId(input.resourceId, p("resourceId"));
  if (input.resourceId !== undefined && input.resourceType === undefined) {
    throw auditError("INVALID_ARGUMENT", "resourceId needs a resourceType", p("resourceType"));
  }
  checkString(input.summary, p("summary"), LIMITS.maxSummaryLength, { allowEmpty: true });
  checkString(input.errorMessage, p("errorMessage"), LIMITS.maxErrorMessageLength, { allowEmpty: true });
  checkId(input.idempotencyKey, p("idempotencyKey"));
  if (input.tags !== undefined) {
    if (!Array.isArray(input.tags)) throw auditError("INVALID_ARGUMENT", "tags must be an array of strings", p("tags"));
    if (input.tags.length > LIMITS.maxTags) {
      throw auditError("INVALID_ARGUMENT", `${input.tags.length} tags; the limit is ${LIMITS.maxTags}`, p("tags"));
    }
    input.tags.forEach((tag, i) => checkId(tag, p(`tags[${i}]`), LIMITS.maxTagLength));
  }
  if (input.context !== undefined) {
    for (const [k, val] of Object.entries(input.context)) {
      checkString(val as string | undefined, p(`context.${k}`), LIMITS.maxContextFieldLength, { allowEmpty: true });
    }
  }
  if (input.timestamp !== undefined) checkTimestamp(input.timestamp, p("timestamp"), 0);
  if (input.metadata !== undefined) assertStorable(input.metadata, p("metadata"));
  if (input.before !== undefined) assertStorable(input.before, p("before"));
  if (input.after !== undefined) assertStorable(input.after, p("after"));
}

const bulkTooLarge = (events: number, bytes: number) =>
  auditError(
    "BATCH_TOO_LARGE",
    `${events} events come to ${bytes} bytes; one logBulk writes at most ${LIMITS.maxBulkBytes} (split it into several calls)`,
    "events",
  );

/** One logBulk's events together, in bytes as Convex counts them: at most LIMITS.maxBulkBytes. */
export function checkBulkSize(sizes: number[]): void {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total > LIMITS.maxBulkBytes) throw bulkTooLarge(sizes.length, total);
}

/**
 * An event's severity, category and status as it will be stored: the
 * call's, else the built-in catalog's, else the defaults. One rule for the
 * component's write path and for the client's alert rules, which must match
 * what is stored.
 */
export function classify(input: Pick<EventInput, "action" | "severity" | "category" | "status" | "resourceType">): {
  severity: Severity;
  category: Category;
  status: Status;
} {
  const info = lookupAction(input.action, undefined);
  return {
    severity: (input.severity as Severity | undefined) ?? info?.severity ?? "info",
    category: (input.category as Category | undefined) ?? info?.category ?? (input.resourceType !== undefined ? "data" : "system"),
    status: (input.status as Status | undefined) ?? "success",
  };
}

/** The largest `maxEventBytes` a caller may configure (documented as "at most 1 MiB"). */
const MAX_CONFIGURABLE_EVENT_BYTES = 1024 * 1024;

export function resolveMaxEventBytes(options: LogOptions): number {
  const max = options.maxEventBytes ?? LIMITS.defaultMaxEventBytes;
  if (!Number.isInteger(max) || max < 1024 || max > MAX_CONFIGURABLE_EVENT_BYTES) {
    throw auditError(
      "INVALID_CONFIG",
      `maxEventBytes must be an integer from 1024 to ${MAX_CONFIGURABLE_EVENT_BYTES}`,
      "maxEventBytes",
    );
  }
  // Up to 1 MiB is accepted; the effective limit keeps room for system fields.
  return Math.min(max, LIMITS.maxEventBytes);
}

/**
 * Builds the stored document. `redactor` and `maxBytes` come from
 * `prepareOptions` so a bulk call parses its options once.
 */
export async function buildEvent(
  input: EventInput,
  { redactor, maxBytes }: { redactor: Redactor; maxBytes: number },
  now: number,
  at = "",
  /** A bulk call's running total of stored bytes: each event adds its size, and past LIMITS.maxBulkBytes the call is refused. */
  bulk?: { bytes: number; events: number },
): Promise<EventDoc> {
  validateEventInput(input, at);
  const { severity, category, status } = classify(input);
  const actorType: ActorType =
    (input.actor?.type as ActorType | undefined) ?? (input.actorId !== undefined ? "user" : "system");

  const doc: EventDoc = {
    action: input.action,
    category,
    severity,
    status,
    actor: { type: actorType },
    timestamp: input.timestamp ?? now,
  };
  if (input.actor?.role !== undefined) doc.actor.role = input.actor.role;
  if (input.actor?.name !== undefined) doc.actor.name = input.actor.name;
  if (input.actor?.email !== undefined) doc.actor.email = input.actor.email;
  if (input.actor?.tokenIdentifier !== undefined) doc.actor.tokenIdentifier = input.actor.tokenIdentifier;
  const copy = ["errorMessage", "actorId", "tenantId", "resourceType", "resourceId", "summary", "idempotencyKey"] as const;
  for (const key of copy) if (input[key] !== undefined) doc[key] = input[key];
  // Free text is where a caught exception's message or a careless summary carries a token; searchText reads the redacted summary.
  if (doc.summary !== undefined) doc.summary = redactor.redactText(doc.summary);
  if (doc.errorMessage !== undefined) doc.errorMessage = redactor.redactText(doc.errorMessage);
  if (input.tags !== undefined && input.tags.length > 0) doc.tags = [...new Set(input.tags)];
  if (input.context !== undefined) {
    const ctx = Object.fromEntries(Object.entries(input.context).filter(([, val]) => val !== undefined && val !== ""));
    if (Object.keys(ctx).length > 0) doc.context = ctx;
  }

  if (input.metadata !== undefined) {
    const metadata = await redactor.redactPayload(input.metadata);
    if (metadata !== undefined) doc.metadata = metadata;
  }
  const hasBefore = input.before !== undefined && input.before !== null;
  const hasAfter = input.after !== undefined && input.after !== null;
  const before = hasBefore ? stripSystemFields(input.before) : undefined;
  const after = hasAfter ? stripSystemFields(input.after) : undefined;
  if (before !== undefined) doc.before = await redactor.redactPayload(before);
  if (after !== undefined) doc.after = await redactor.redactPayload(after);
  if (input.generateDiff !== false && (before !== undefined || after !== undefined)) {
    // Diff the raw values, then redact each entry: a secret that changed still shows as changed.
    const raw = diffValues(before, after);
    if (raw.length > LIMITS.maxChanges) {
      // Convex caps arrays at 8192 items; refuse with a typed error rather than fail at insert.
      throw auditError(
        "EVENT_TOO_LARGE",
        `the diff has ${raw.length} changes; the limit is ${LIMITS.maxChanges} (pass generateDiff: false to store before and after only)`,
        at ? `${at}.changes` : "changes",
      );
    }
    const changes = await redactor.redactChanges(raw, { before, after });
    doc.changes = changes;
    doc.diff = renderChanges(changes);
  }

  doc.searchText = searchTextOf(doc);

  const size = encodedSize(doc);
  if (size > maxBytes) {
    throw auditError(
      "EVENT_TOO_LARGE",
      `event is ${size} bytes after redaction; the limit is ${maxBytes}`,
      at || "event",
    );
  }
  if (bulk !== undefined) {
    bulk.bytes += size;
    bulk.events += 1;
    if (bulk.bytes > LIMITS.maxBulkBytes) throw bulkTooLarge(bulk.events, bulk.bytes);
  }
  return doc;
}

export function prepareOptions(options: LogOptions = {}) {
  return { redactor: createRedactor(options), maxBytes: resolveMaxEventBytes(options) };
}

/**
 * The text a search index reads. Built only from identity and routing fields
 * and the (redacted) summary, never from payloads, so redacted values cannot
 * leak into it.
 */
export function searchTextOf(doc: EventDoc): string {
  const words = [doc.action, doc.summary, doc.resourceType, doc.resourceId, doc.actorId, doc.actor.name];
  for (const tag of doc.tags ?? []) words.push(`tag:${tag}`);
  return words.filter((w): w is string => typeof w === "string" && w.length > 0).join(" ");
}
