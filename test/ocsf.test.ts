/**
 * Every event maps to a valid OCSF 1.3 record: checked against the schema
 * itself (test/support/ocsf-1.3.0.json, extracted from ocsf/ocsf-schema at
 * tag 1.3.0), not against our own reading of it. For every catalog action,
 * with the fewest fields an event can have and with all of them, and for
 * random app actions in every category: the class is one of the four, the
 * activity is one of the class's, `type_uid` and `category_uid` follow from
 * them, every required attribute is there, every `at_least_one`
 * constraint holds (on the class and on the objects inside it), and no
 * attribute is one the class or object does not define.
 */
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { BUILTIN_ACTIONS, OCSF_OF_ACTION } from "../src/shared/catalog.js";
import { OCSF_CLASS_INFO, ocsfMapping, toOcsf, type OcsfSource } from "../src/shared/ocsf.js";
import { CATEGORIES, SEVERITIES } from "../src/shared/validators.js";
import schema from "./support/ocsf-1.3.0.json" with { type: "json" };

type Rules = { required?: string[]; constraints: { at_least_one?: string[] }; attributes: string[] };
const classes = schema.classes as Record<string, Rules & { name: string; activities: Record<string, string> }>;
const objects = schema.objects as Record<string, Rules>;

/** Which object type each attribute we emit holds, per the 1.3 dictionary. */
const OBJECT_OF: Record<string, string> = {
  user: "user",
  actor: "actor",
  entity: "managed_entity",
  api: "api",
  src_endpoint: "network_endpoint",
  metadata: "metadata",
  session: "session",
  http_request: "http_request",
  service: "service",
  product: "product",
  groups: "group",
  resources: "resource_details",
};

const present = (v: unknown) => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0);

/** Problems with `value` as an instance of `rules` (recursing into the objects it holds); empty when valid. */
function problems(value: Record<string, unknown>, rules: Rules, where: string): string[] {
  const out: string[] = [];
  for (const r of rules.required ?? []) if (!present(value[r])) out.push(`${where}: required ${r} missing`);
  const one = rules.constraints.at_least_one;
  if (one !== undefined && !one.some((k) => present(value[k]))) out.push(`${where}: none of ${one.join(", ")}`);
  for (const [k, v] of Object.entries(value)) {
    if (!rules.attributes.includes(k)) out.push(`${where}: ${k} is not an attribute`);
    const type = OBJECT_OF[k];
    if (type === undefined || v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) {
      expect(typeof item, `${where}.${k}`).toBe("object");
      out.push(...problems(item as Record<string, unknown>, objects[type], `${where}.${k}`));
    }
  }
  return out;
}

function check(e: OcsfSource) {
  const r = toOcsf(e);
  const c = classes[String(r.class_uid)];
  expect(c, `${e.action}: class ${r.class_uid}`).toBeDefined();
  expect(OCSF_CLASS_INFO[r.class_uid as keyof typeof OCSF_CLASS_INFO].name).toBe(c.name);
  // 0 (Unknown) and 99 (Other) are every class's, from the dictionary.
  expect([...Object.keys(c.activities), "99"], `${e.action}: activity ${r.activity_id}`).toContain(String(r.activity_id));
  expect(r.type_uid).toBe(r.class_uid * 100 + r.activity_id);
  expect(r.category_uid).toBe(Math.floor(r.class_uid / 1000));
  if (r.activity_id !== 99) expect(r.activity_name).toBe(c.activities[String(r.activity_id)]);
  expect(problems(r, c, e.action)).toEqual([]);
  expect(Number.isInteger(r.time) && Number.isInteger(r.severity_id)).toBe(true);
  return r;
}

const minimal = (action: string, category: OcsfSource["category"]): OcsfSource => ({
  _id: "k17abc",
  _creationTime: 1_780_000_000_000.5,
  action,
  category,
  severity: "info",
  status: "success",
  timestamp: 1_780_000_000_000,
});

const full = (action: string, category: OcsfSource["category"]): OcsfSource => ({
  ...minimal(action, category),
  severity: "critical",
  status: "failure",
  actorId: "user_1",
  actor: { type: "user", name: "Ada", email: "ada@example.com", role: "admin" },
  tenantId: "acme",
  resourceType: "user",
  resourceId: "user_2",
  summary: "something happened",
  errorMessage: "denied",
  tags: ["a", "b"],
  metadata: { plan: "pro", n: 3 },
  changes: { added: {}, removed: {}, changed: { role: { before: "member", after: "admin" } } },
  context: { ip: "203.0.113.9", userAgent: "Mozilla/5.0", requestId: "req_1", sessionId: "sess_1", source: "web" },
  seq: 41,
});

describe("OCSF 1.3", () => {
  test("every catalog action maps to a valid record of its row's class and activity, with few fields and with all", () => {
    const actions = Object.entries(BUILTIN_ACTIONS);
    expect(actions.length).toBeGreaterThan(80);
    for (const [action, { category }] of actions) {
      const [classUid, activityId] = OCSF_OF_ACTION[action as keyof typeof OCSF_OF_ACTION];
      for (const e of [minimal(action, category), full(action, category), { ...full(action, category), resourceType: "document", context: {} }]) {
        const r = check(e);
        expect([r.class_uid, r.activity_id]).toEqual([classUid, activityId]);
      }
    }
  });

  test("the record keeps what the event says: ids, time, sequence, tenant, status, severity", () => {
    const r = check(full("user.login.failed", "auth"));
    expect(r).toMatchObject({
      class_uid: 3002,
      activity_id: 1,
      severity_id: 5,
      status_id: 2,
      status_detail: "denied",
      time: 1_780_000_000_000,
      metadata: { uid: "k17abc", sequence: 41, tenant_uid: "acme", correlation_uid: "req_1", version: "1.3.0" },
      src_endpoint: { ip: "203.0.113.9" },
      unmapped: { tenant_id: "acme", resource_type: "user", resource_id: "user_2" },
    });
    // An admin acting on a user: the user the event is about, the admin as the actor.
    expect(r.user).toEqual({ uid: "user_2", type: "user" });
    expect((r.actor as { user: { uid: string } }).user.uid).toBe("user_1");
  });

  test("an app's own actions, in every category, with any fields: always a valid record", () => {
    const word = fc.constantFrom("created", "viewed", "updated", "deleted", "login", "logout", "exported", "approved", "x");
    const action = fc.tuple(fc.stringMatching(/^[a-z][a-z0-9_]{0,12}$/), word).map(([a, b]) => `${a}.${b}`);
    const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
    const event = fc.record({
      action,
      category: fc.constantFrom(...CATEGORIES),
      severity: fc.constantFrom(...SEVERITIES),
      status: fc.constantFrom("success" as const, "failure" as const),
      actorId: opt(fc.string({ minLength: 1, maxLength: 8 })),
      actor: opt(fc.record({ type: opt(fc.constantFrom("user", "system", "apiKey")), name: opt(fc.string({ maxLength: 6 })), role: opt(fc.string({ maxLength: 6 })) })),
      resourceType: opt(fc.constantFrom("user", "document", "invoice")),
      resourceId: opt(fc.string({ minLength: 1, maxLength: 8 })),
      ip: opt(fc.ipV4()),
      source: opt(fc.constantFrom("web", "cron", "better-auth")),
    });
    fc.assert(
      fc.property(event, ({ ip, source, ...e }) => {
        const src = { ...minimal(e.action, e.category), ...Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) } as OcsfSource;
        if (ip !== undefined || source !== undefined) src.context = { ...(ip !== undefined ? { ip } : {}), ...(source !== undefined ? { source } : {}) };
        const r = check(src);
        expect([r.class_uid, r.activity_id]).toEqual([...ocsfMapping(e.action, e.category)]);
      }),
      { numRuns: 1000 },
    );
  });

  test("the README's OCSF table is the catalog's mapping", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("### OCSF"));
    const rows = new Map<string, string>();
    for (const m of section.matchAll(/^\| `([a-z0-9._]+)` \| (\d{4}) [^|]*\| (\d+) /gm)) rows.set(m[1], `${m[2]}/${m[3]}`);
    for (const [action, [c, a]] of Object.entries(OCSF_OF_ACTION)) expect(rows.get(action), action).toBe(`${c}/${a}`);
    expect(rows.size).toBe(Object.keys(OCSF_OF_ACTION).length);
  });
});
