/**
 * Deterministic synthetic audit traffic. Every run with the same `--events`
 * and `--seed` produces the same events, so figures from two runs (or two
 * branches) are comparable and a wrong row can be reproduced.
 *
 * The bench seeds it and checks every answer against it (bench/run.ts and
 * its scenario groups); the demo's local runtime seeds the same events for
 * `npm run demo -- --events N` and `npm run bench:dashboard`
 * (example/local/seed.ts), so a dashboard at scale shows the bench's data.
 *
 * Events are kept as small numeric descriptors (`Row`): the full event input
 * is built only while it is being sent, so a million-event model stays small
 * next to the documents convex-test itself holds.
 */
import type { EventInput } from "../src/shared/validators.js";

/** mulberry32: tiny, fast, and good enough to shape a workload. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Picks index i with probability proportional to weights[i] by binary search
 * over the cumulative sums, so a 25,000-actor Zipf draw stays O(log n).
 */
export function sampler(weights: readonly number[]): (r: number) => number {
  const cum = new Float64Array(weights.length);
  let sum = 0;
  for (let i = 0; i < weights.length; i++) cum[i] = sum += weights[i];
  return (r) => {
    const x = r * sum;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cum[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}

const zipf = (n: number, s: number) => Array.from({ length: n }, (_, k) => 1 / Math.pow(k + 1, s));

export const SEVERITY_NAMES = ["info", "warning", "error", "critical"] as const;
export const RESOURCE_TYPES = ["user", "document", "project", "invoice", "apiKey"] as const;
type ResourceType = (typeof RESOURCE_TYPES)[number];

type ActionSpec = { action: string; weight: number; resource: ResourceType; severity: number; failure?: number };

/**
 * 26 actions weighted roughly like a SaaS product's log: sign-ins and record
 * views dominate, security events are rare. `failure` is the share of calls
 * that fail; a failure is logged one severity level higher.
 */
export const ACTIONS: readonly ActionSpec[] = [
  { action: "user.login", weight: 20, resource: "user", severity: 0, failure: 0.04 },
  { action: "user.logout", weight: 12, resource: "user", severity: 0 },
  { action: "user.login.failed", weight: 3, resource: "user", severity: 1 },
  { action: "user.signup", weight: 1, resource: "user", severity: 0 },
  { action: "user.password.changed", weight: 0.8, resource: "user", severity: 1 },
  { action: "user.password.reset_requested", weight: 0.6, resource: "user", severity: 0 },
  { action: "user.mfa.enabled", weight: 0.3, resource: "user", severity: 0 },
  { action: "user.updated", weight: 2, resource: "user", severity: 0 },
  { action: "user.role.changed", weight: 0.4, resource: "user", severity: 1 },
  { action: "record.viewed", weight: 18, resource: "document", severity: 0 },
  { action: "record.created", weight: 6, resource: "document", severity: 0, failure: 0.01 },
  { action: "record.updated", weight: 10, resource: "document", severity: 0, failure: 0.01 },
  { action: "record.deleted", weight: 1.5, resource: "document", severity: 1 },
  { action: "record.exported", weight: 1, resource: "document", severity: 1 },
  { action: "project.created", weight: 0.8, resource: "project", severity: 0 },
  { action: "project.updated", weight: 3, resource: "project", severity: 0 },
  { action: "project.archived", weight: 0.3, resource: "project", severity: 1 },
  { action: "settings.changed", weight: 0.5, resource: "project", severity: 1 },
  { action: "invoice.created", weight: 2, resource: "invoice", severity: 0 },
  { action: "invoice.paid", weight: 1.8, resource: "invoice", severity: 0 },
  { action: "invoice.payment_failed", weight: 0.4, resource: "invoice", severity: 2 },
  { action: "api_key.created", weight: 0.3, resource: "apiKey", severity: 0 },
  { action: "api_key.revoked", weight: 0.2, resource: "apiKey", severity: 1 },
  { action: "security.rate_limit_exceeded", weight: 0.6, resource: "apiKey", severity: 2 },
  { action: "security.unauthorized_access", weight: 0.5, resource: "document", severity: 2, failure: 0.25 },
  { action: "security.suspicious_activity", weight: 0.1, resource: "user", severity: 3 },
];

/** One generated event, as numbers: indexes into the dictionaries of `Workload`. */
export type Row = {
  timestamp: number;
  /** -1: a system event with no actor. */
  actor: number;
  action: number;
  /** -1: no tenant (platform-level events). */
  tenant: number;
  resourceType: number;
  resource: number;
  severity: number;
  failed: boolean;
};

export const DAY = 86_400_000;

export type Workload = {
  n: number;
  start: number;
  end: number;
  tenants: string[];
  actorIds: string[];
  /** Pool size per resource type (users are the actors themselves). */
  resourcePools: number[];
  rows: Row[];
};

/**
 * Users are global (they are the actors); other resources belong to one
 * tenant, as a document or invoice does in a multi-tenant app, so the same
 * pool index names a different resource in each tenant.
 */
export const resourceId = (w: Workload, row: Row) =>
  RESOURCE_TYPES[row.resourceType] === "user"
    ? w.actorIds[row.resource]
    : `${RESOURCE_TYPES[row.resourceType]}_${row.tenant < 0 ? "sys" : row.tenant}_${row.resource.toString(36).padStart(4, "0")}`;

/**
 * `end` is fixed rather than `Date.now()` so the data set, and therefore the
 * chosen query targets, do not change from one run to the next.
 */
export function generate(n: number, seed = 1): Workload {
  const rand = prng(seed);
  const end = Date.UTC(2026, 0, 31);
  const start = end - 30 * DAY;
  const tenants = Array.from({ length: 12 }, (_, i) => `org_${String(i + 1).padStart(2, "0")}`);
  const nActors = Math.max(50, Math.round(n / 40));
  const actorIds = Array.from({ length: nActors }, (_, i) => `user_${i.toString(36).padStart(4, "0")}`);
  // Each actor belongs to one tenant, so a popular tenant also has popular actors.
  const pickTenant = sampler(zipf(tenants.length, 1));
  const actorTenant = actorIds.map(() => pickTenant(rand()));
  const pickActor = sampler(zipf(nActors, 1.05));
  const pickAction = sampler(ACTIONS.map((a) => a.weight));
  const resourcePools = RESOURCE_TYPES.map((t) =>
    t === "user"
      ? nActors
      : Math.max(5, Math.round(n / { document: 10, project: 500, invoice: 20, apiKey: 1000 }[t])),
  );
  const pickResource = resourcePools.map((size) => sampler(zipf(size, 0.8)));

  const rows: Row[] = new Array(n);
  const span = end - start;
  let prev = start;
  for (let i = 0; i < n; i++) {
    const spec = ACTIONS[pickAction(rand())];
    const typeIndex = RESOURCE_TYPES.indexOf(spec.resource);
    const system = rand() < 0.03;
    const actor = system ? -1 : pickActor(rand());
    const tenant = actor >= 0 ? actorTenant[actor] : rand() < 0.5 ? -1 : pickTenant(rand());
    // Sign-ins and profile events are about the actor themselves.
    const resource =
      spec.resource === "user" && actor >= 0 && spec.action.startsWith("user.")
        ? actor
        : pickResource[typeIndex](rand());
    const failed = spec.failure !== undefined && rand() < spec.failure;
    let severity = spec.severity + (failed ? 1 : 0);
    if (rand() < 0.01) severity += 1;
    severity = Math.min(severity, 3);
    // Mostly chronological, like live traffic; 5% share the previous event's
    // timestamp (several events from one request) and 3% arrive late (queued
    // jobs, imports), so index order differs from insertion order.
    let timestamp: number;
    const r = rand();
    if (r < 0.05 && i > 0) timestamp = prev;
    else if (r < 0.08) timestamp = Math.max(start, start + Math.floor((i / n) * span) - Math.floor(rand() * 2 * 3600_000));
    else timestamp = start + Math.floor((i / n) * span + rand() * (span / n) * 4);
    timestamp = Math.min(timestamp, end);
    prev = timestamp;
    rows[i] = { timestamp, actor, action: ACTIONS.indexOf(spec), tenant, resourceType: typeIndex, resource, severity, failed };
  }
  addTieBlock(rows, actorIds, end);
  return { n, start, end, tenants, actorIds, resourcePools, rows };
}

export const TIE_ACTOR = "user_ties";
export const TIE_EVENTS = 120;

/**
 * The last TIE_EVENTS rows become one actor's sign-ins and sign-outs, all at
 * the same millisecond (a batch import does this). Pages of 50 then start and
 * end inside a run of equal timestamps, where a cursor that keeps only the
 * timestamp would repeat or skip rows; random traffic rarely puts a page
 * boundary there.
 */
function addTieBlock(rows: Row[], actorIds: string[], end: number) {
  const actor = actorIds.push(TIE_ACTOR) - 1;
  const login = ACTIONS.findIndex((a) => a.action === "user.login");
  const logout = ACTIONS.findIndex((a) => a.action === "user.logout");
  const timestamp = end - 3600_000;
  for (let k = 0; k < TIE_EVENTS; k++) {
    rows[rows.length - TIE_EVENTS + k] = {
      timestamp,
      actor,
      action: k % 3 === 2 ? logout : login,
      tenant: 0,
      resourceType: 0,
      resource: actor,
      severity: 0,
      failed: false,
    };
  }
}

const USER_AGENTS = [
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
  "acme-sync/2.3.1 (+https://example.com/bot)",
];

/** Tags by seeding position: 10% "sso", 10% "api"+"v2", and a rare "incident" (0.1%) for search. */
export function tagsOf(i: number): string[] {
  const tags = i % 5 === 0 ? (i % 10 === 0 ? ["sso"] : ["api", "v2"]) : [];
  if (i % 997 === 3) tags.push("incident");
  return tags;
}

/**
 * The event input a real app would send for this row: the indexed fields plus
 * a few hundred bytes of metadata and request context, and, for one update in
 * five, a small before/after pair so seeding also runs the diff path.
 */
export function toInput(w: Workload, row: Row, i: number): EventInput {
  const spec = ACTIONS[row.action];
  const input: EventInput = {
    action: spec.action,
    severity: SEVERITY_NAMES[row.severity],
    status: row.failed ? "failure" : "success",
    resourceType: RESOURCE_TYPES[row.resourceType],
    resourceId: resourceId(w, row),
    timestamp: row.timestamp,
    metadata: {
      requestPath: `/api/${RESOURCE_TYPES[row.resourceType]}s/${row.resource}`,
      method: spec.action.endsWith("viewed") ? "GET" : "POST",
      durationMs: (i * 37) % 900,
      region: ["eu-west-1", "us-east-1", "ap-southeast-2"][i % 3],
      ...(spec.resource === "apiKey" ? { keyPrefix: `sk_live_${i % 997}`, token: `tok_${i}` } : {}),
    },
    context: {
      ip: `203.0.${(i >> 8) & 255}.${i & 255}`,
      userAgent: USER_AGENTS[i % USER_AGENTS.length],
      requestId: `req_${i.toString(36)}`,
    },
  };
  if (row.actor >= 0) {
    input.actorId = w.actorIds[row.actor];
    input.actor = { type: "user" };
  } else {
    input.actor = { type: "system" };
  }
  if (row.tenant >= 0) input.tenantId = w.tenants[row.tenant];
  if (row.failed) input.errorMessage = "permission denied";
  const tags = tagsOf(i);
  if (tags.length > 0) input.tags = tags;
  if (spec.action.endsWith(".updated") && i % 5 === 0) {
    input.before = { title: `Draft ${i}`, status: "draft", owners: ["u1", "u2"], settings: { public: false } };
    input.after = { title: `Draft ${i} (rev)`, status: "review", owners: ["u1", "u2", "u3"], settings: { public: false } };
  }
  return input;
}
