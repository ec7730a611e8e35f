/**
 * Validators and types shared by the component and the client. Defined once so
 * the schema, the function signatures and the client's types cannot drift.
 */
import { v, type Infer } from "convex/values";

export const SEVERITIES = ["info", "warning", "error", "critical"] as const;
export const STATUSES = ["success", "failure"] as const;
export const ACTOR_TYPES = ["user", "system", "apiKey", "service"] as const;
export const CATEGORIES = [
  "auth",
  "organization",
  "member",
  "billing",
  "security",
  "admin",
  "system",
  "data",
] as const;
export const REDACTION_MODES = ["mask", "hash", "remove"] as const;
export const CHANGE_OPS = ["add", "remove", "replace"] as const;

export type Severity = (typeof SEVERITIES)[number];
export type Status = (typeof STATUSES)[number];
export type ActorType = (typeof ACTOR_TYPES)[number];
export type Category = (typeof CATEGORIES)[number];
export type RedactionMode = (typeof REDACTION_MODES)[number];
export type ChangeOp = (typeof CHANGE_OPS)[number];

/** A validator for exactly the strings of `values`: enumerations are declared once, as lists. */
export function literals<T extends string>(values: readonly T[]) {
  return v.union(...values.map((value) => v.literal(value)));
}

export const vSeverity = literals(SEVERITIES);
export const vStatus = literals(STATUSES);
export const vActorType = literals(ACTOR_TYPES);
export const vCategory = literals(CATEGORIES);
export const vChangeOp = literals(CHANGE_OPS);

/** One entry of a structured diff. `path` is the key/index path from the root. */
export const vChange = v.object({
  path: v.array(v.union(v.string(), v.number())),
  op: vChangeOp,
  before: v.optional(v.any()),
  after: v.optional(v.any()),
  /** True when the values were redacted: the field changed, its values are not stored. */
  redacted: v.optional(v.boolean()),
});
export type Change = Infer<typeof vChange>;

export const vActor = v.object({
  type: vActorType,
  role: v.optional(v.string()),
  name: v.optional(v.string()),
  email: v.optional(v.string()),
  /** The identity's `tokenIdentifier` (issuer and subject), when `actorFromIdentity` copies it. */
  tokenIdentifier: v.optional(v.string()),
});

export const vRequestContext = v.object({
  ip: v.optional(v.string()),
  userAgent: v.optional(v.string()),
  requestId: v.optional(v.string()),
  sessionId: v.optional(v.string()),
  source: v.optional(v.string()),
});
export type RequestContext = Infer<typeof vRequestContext>;

/** Fields stored as the caller sent them (after checks and redaction). */
const freeFormFields = {
  errorMessage: v.optional(v.string()),
  actorId: v.optional(v.string()),
  tenantId: v.optional(v.string()),
  resourceType: v.optional(v.string()),
  resourceId: v.optional(v.string()),
  summary: v.optional(v.string()),
  metadata: v.optional(v.any()),
  tags: v.optional(v.array(v.string())),
  before: v.optional(v.any()),
  after: v.optional(v.any()),
  context: v.optional(vRequestContext),
  idempotencyKey: v.optional(v.string()),
};

/**
 * How a sealed event's personal fields are committed in its leaf (leaf.ts):
 * the salt (deleted on erasure), the paths, and after erasure the commitments.
 */
export const vSealInfo = v.object({
  salt: v.optional(v.string()),
  paths: v.array(v.array(v.string())),
  erased: v.optional(v.array(v.string())),
});

/** The stored event, without system fields. */
export const eventFields = {
  action: v.string(),
  category: vCategory,
  severity: vSeverity,
  status: vStatus,
  actor: vActor,
  ...freeFormFields,
  changes: v.optional(v.array(vChange)),
  /** Readable rendering of `changes`, one line per change. */
  diff: v.optional(v.string()),
  /** What the search index reads: action, summary, resource, actor, and tags as "tag:<t>". */
  searchText: v.optional(v.string()),
  timestamp: v.number(),
  /** Set by the sealing loop, never on the log path: the event's leaf index in the transparency log. */
  seq: v.optional(v.number()),
  seal: v.optional(vSealInfo),
};
export const vEventDoc = v.object(eventFields);
export type EventDoc = Infer<typeof vEventDoc>;

/** An event as returned by queries. */
export const vEvent = v.object({
  _id: v.string(),
  _creationTime: v.number(),
  ...eventFields,
});
export type AuditEvent = Infer<typeof vEvent>;

/**
 * What a caller sends for one event. Enumerations arrive as strings so that a
 * wrong value gets this package's typed error rather than a generic argument
 * validation failure; the component checks them.
 */
export const vEventInput = v.object({
  action: v.string(),
  category: v.optional(v.string()),
  severity: v.optional(v.string()),
  status: v.optional(v.string()),
  actor: v.optional(
    v.object({
      type: v.optional(v.string()),
      role: v.optional(v.string()),
      name: v.optional(v.string()),
      email: v.optional(v.string()),
      tokenIdentifier: v.optional(v.string()),
    }),
  ),
  ...freeFormFields,
  generateDiff: v.optional(v.boolean()),
  timestamp: v.optional(v.number()),
});
export type EventInput = Infer<typeof vEventInput>;

export const vPiiField = v.union(
  v.string(),
  v.object({ field: v.string(), mode: v.optional(v.string()) }),
);
export type PiiField = Infer<typeof vPiiField>;

/** Write-path settings, sent by the client with every call. */
export const vLogOptions = v.object({
  piiFields: v.optional(v.array(vPiiField)),
  /** Redact the built-in list of secret-looking keys. Default true. */
  redactDefaults: v.optional(v.boolean()),
  redactionMode: v.optional(v.string()),
  /** Key for `hash` mode (HMAC-SHA-256). Required when any field uses `hash`. */
  hashKey: v.optional(v.string()),
  /** Largest stored event in bytes, after redaction. Default 64 KiB, at most 1 MiB. */
  maxEventBytes: v.optional(v.number()),
});
export type LogOptions = Infer<typeof vLogOptions>;

export const vPaginationOpts = v.object({
  numItems: v.number(),
  cursor: v.union(v.string(), v.null()),
  endCursor: v.optional(v.union(v.string(), v.null())),
  id: v.optional(v.number()),
  maximumRowsRead: v.optional(v.number()),
  maximumBytesRead: v.optional(v.number()),
});

/** An optional time range, inclusive, in ms: spread into the arguments of every windowed query. */
export const vTimeRange = {
  fromTimestamp: v.optional(v.number()),
  toTimestamp: v.optional(v.number()),
};
export const vTimeWindow = v.object(vTimeRange);
export type TimeWindow = Infer<typeof vTimeWindow>;

export const vEventPage = v.object({
  page: v.array(vEvent),
  isDone: v.boolean(),
  continueCursor: v.string(),
  splitCursor: v.optional(v.union(v.string(), v.null())),
  pageStatus: v.optional(
    v.union(
      v.literal("SplitRecommended"),
      v.literal("SplitRequired"),
      v.null(),
    ),
  ),
});
export type EventPage = Infer<typeof vEventPage>;

export const LIMITS = {
  /** Default largest event after redaction. */
  defaultMaxEventBytes: 64 * 1024,
  /** Convex's document size limit; leave room for system fields and encoding. */
  maxEventBytes: 1024 * 1024 - 1024,
  maxBulk: 500,
  /** Convex allows 16 levels in a document; a payload sits up to 3 levels down (changes[i].before). */
  maxPayloadDepth: 12,
  maxActionLength: 128,
  maxIdLength: 256,
  maxSummaryLength: 1024,
  maxErrorMessageLength: 4096,
  maxTags: 32,
  maxTagLength: 64,
  maxContextFieldLength: 1024,
  maxPageSize: 1000,
  maxArrayLength: 8192,
  maxObjectEntries: 1024,
  maxFieldNameLength: 1024,
  maxChanges: 1000,
  /** Values in one list filter of `search` (severity, actions, tags, actorIds). */
  maxFilterValues: 50,
  /** Characters of `search`'s free-text query. */
  maxSearchQueryLength: 256,
  /** The largest time a Date holds, in ms (year 275760): timestamps and windows stay within ± this. */
  maxTimestamp: 8.64e15,
  /** Stored bytes of one logBulk call, all events together (Convex writes at most 16 MiB per transaction). */
  maxBulkBytes: 8 * 1024 * 1024,
} as const;
