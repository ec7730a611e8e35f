/**
 * Hostile input through validateEventInput and buildEvent: each case must be
 * refused with this package's typed error, with the exact code (and where
 * useful the exact path), never a generic error or a stack overflow.
 */
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { ConvexError } from "convex/values";
import { auditError, isAuditLogError, type AuditLogErrorCode } from "./errors.js";
import { buildEvent, prepareOptions, resolveMaxEventBytes, validateEventInput } from "./prepare.js";
import { assertStorable, encodedSize } from "./values.js";
import { LIMITS, type EventInput, type LogOptions } from "./validators.js";

type ErrData = { code: AuditLogErrorCode; message: string; path?: string };

/** The typed error thrown by `f` (sync or async); fails the test if none or another kind. */
async function caught(f: () => unknown): Promise<ErrData> {
  let err: unknown;
  try {
    await f();
  } catch (e) {
    err = e;
  }
  expect(err, "expected a typed error").toBeInstanceOf(ConvexError);
  expect(isAuditLogError(err), String(err)).toBe(true);
  return (err as ConvexError<ErrData>).data;
}

const build = (input: unknown, options: LogOptions = {}, at = "") =>
  buildEvent(input as EventInput, prepareOptions(options), 1_700_000_000_000, at);

/** Refused the same way by the client-side check and by the full pipeline. */
async function expectRefused(input: unknown, code: AuditLogErrorCode, path?: string) {
  const sync = await caught(() => validateEventInput(input as EventInput));
  const full = await caught(() => build(input));
  expect(sync.code).toBe(code);
  expect(full.code).toBe(code);
  if (path !== undefined) {
    expect(sync.path).toBe(path);
    expect(full.path).toBe(path);
  }
  expect(sync.message.length).toBeGreaterThan(0);
}

function nest(levels: number, leaf: unknown = "leaf", asArray = false): unknown {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = asArray ? [v] : { d: v };
  return v;
}

// ---------------------------------------------------------------------------

describe("huge", () => {
  test("over 64 KiB by default is EVENT_TOO_LARGE", async () => {
    for (const input of [
      { action: "x", metadata: { blob: "y".repeat(70 * 1024) } },
      { action: "x", before: { blob: "y".repeat(40 * 1024) }, after: { blob: "z".repeat(40 * 1024) } },
      { action: "x", metadata: { list: Array.from({ length: 8000 }, (_, i) => `item-${i}`) } },
    ]) {
      validateEventInput(input); // the synchronous checks pass: size is measured after redaction
      expect(await caught(() => build(input))).toMatchObject({ code: "EVENT_TOO_LARGE", path: "event" });
    }
  });

  test("the limit is exact: an event of exactly maxEventBytes is stored, one byte more is not", async () => {
    const base = await build({ action: "x", metadata: { blob: "" } });
    const room = LIMITS.defaultMaxEventBytes - encodedSize(base);
    const fits = await build({ action: "x", metadata: { blob: "y".repeat(room) } });
    expect(encodedSize(fits)).toBe(LIMITS.defaultMaxEventBytes);
    expect(await caught(() => build({ action: "x", metadata: { blob: "y".repeat(room + 1) } }))).toMatchObject({
      code: "EVENT_TOO_LARGE",
    });
  });

  test("size is counted in UTF-8 bytes, not characters", async () => {
    // 40,000 characters but 80,000 (é) or 160,000 (emoji) bytes.
    expect((await caught(() => build({ action: "x", metadata: { s: "é".repeat(40_000) } }))).code).toBe("EVENT_TOO_LARGE");
    expect((await caught(() => build({ action: "x", metadata: { s: "😀".repeat(20_000) } }))).code).toBe("EVENT_TOO_LARGE");
    await build({ action: "x", metadata: { s: "a".repeat(60_000) } });
  });

  test("size is measured after redaction", async () => {
    const input = { action: "x", metadata: { password: "p".repeat(100 * 1024), apiKey: "k".repeat(100 * 1024) } };
    const doc = await build(input);
    expect(doc.metadata).toEqual({ password: "[REDACTED]", apiKey: "[REDACTED]" });
    expect((await caught(() => build(input, { redactDefaults: false }))).code).toBe("EVENT_TOO_LARGE");
  });

  test("a configured 1 MiB limit accepts a 500 KiB event (regression: 1 MiB was refused)", async () => {
    const input = { action: "x", metadata: { blob: "y".repeat(500 * 1024) } };
    expect((await caught(() => build(input))).code).toBe("EVENT_TOO_LARGE");
    const doc = await build(input, { maxEventBytes: 1024 * 1024 });
    expect((doc.metadata as { blob: string }).blob).toHaveLength(500 * 1024);
    expect(resolveMaxEventBytes({ maxEventBytes: 1024 * 1024 })).toBe(LIMITS.maxEventBytes);
    expect(resolveMaxEventBytes({ maxEventBytes: 512 * 1024 })).toBe(512 * 1024);
    expect(resolveMaxEventBytes({})).toBe(64 * 1024);
    // Up to 1 MiB is accepted; what is stored still leaves room for Convex's system fields.
    expect((await caught(() => build({ action: "x", metadata: { blob: "y".repeat(LIMITS.maxEventBytes) } }, { maxEventBytes: 1024 * 1024 }))).code).toBe(
      "EVENT_TOO_LARGE",
    );
  });

  test("over-limit and malformed maxEventBytes are INVALID_CONFIG", async () => {
    for (const maxEventBytes of [1024 * 1024 + 1, 2 * 1024 * 1024, 1023, 0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "65536" as unknown as number]) {
      expect(await caught(() => prepareOptions({ maxEventBytes }))).toMatchObject({ code: "INVALID_CONFIG", path: "maxEventBytes" });
    }
    expect(resolveMaxEventBytes({ maxEventBytes: 1024 })).toBe(1024);
  });

  test("a diff with more than LIMITS.maxChanges entries is EVENT_TOO_LARGE, not a failed insert (regression)", async () => {
    const n = LIMITS.maxChanges + 1;
    const before = { a: Array.from({ length: n }, (_, i) => i) };
    const after = { a: Array.from({ length: n }, (_, i) => i + 1) };
    expect(await caught(() => build({ action: "x", before, after }, { maxEventBytes: 1024 * 1024 }, "events[2]"))).toMatchObject({
      code: "EVENT_TOO_LARGE",
      path: "events[2].changes",
    });
    const ok = await build({ action: "x", before, after, generateDiff: false }, { maxEventBytes: 1024 * 1024 });
    expect(ok.changes).toBeUndefined();
    const atLimit = await build(
      { action: "x", before: { a: before.a.slice(1) }, after: { a: after.a.slice(1) } },
      { maxEventBytes: 1024 * 1024 },
    );
    expect(atLimit.changes).toHaveLength(LIMITS.maxChanges);
  });

  test("over-long arrays and objects are INVALID_VALUE", async () => {
    await expectRefused({ action: "x", metadata: { a: new Array(LIMITS.maxArrayLength + 1).fill(0) } }, "INVALID_VALUE", "metadata.a");
    const wide = Object.fromEntries(Array.from({ length: LIMITS.maxObjectEntries + 1 }, (_, i) => [`k${i}`, i]));
    await expectRefused({ action: "x", before: wide }, "INVALID_VALUE", "before");
    expect(() => assertStorable(new Array(LIMITS.maxArrayLength).fill(0), "m")).not.toThrow();
  });
});

describe("deep", () => {
  test("exactly LIMITS.maxPayloadDepth levels are stored; one more is TOO_DEEP", async () => {
    const ok = nest(LIMITS.maxPayloadDepth);
    await build({ action: "x", metadata: ok, before: ok, after: nest(LIMITS.maxPayloadDepth, "other") });
    await expectRefused({ action: "x", metadata: nest(LIMITS.maxPayloadDepth + 1) }, "TOO_DEEP");
    await expectRefused({ action: "x", metadata: nest(LIMITS.maxPayloadDepth + 1, 1, true) }, "TOO_DEEP");
  });

  test("1000 levels (objects, arrays, mixed) are TOO_DEEP without overflowing the stack", async () => {
    const mixed = (() => {
      let v: unknown = 0;
      for (let i = 0; i < 1000; i++) v = i % 2 ? [v] : { m: v };
      return v;
    })();
    for (const field of ["metadata", "before", "after"] as const) {
      await expectRefused({ action: "x", [field]: nest(1000) }, "TOO_DEEP");
      await expectRefused({ action: "x", [field]: nest(1000, 0, true) }, "TOO_DEEP");
      await expectRefused({ action: "x", [field]: mixed }, "TOO_DEEP");
    }
    const data = await caught(() => validateEventInput({ action: "x", metadata: nest(1000) }));
    expect(data.path).toBe(`metadata.${Array(LIMITS.maxPayloadDepth).fill("d").join(".")}`);
  });

  test("100,000 levels are refused just as fast", async () => {
    const start = Date.now();
    await expectRefused({ action: "x", metadata: nest(100_000) }, "TOO_DEEP");
    expect(Date.now() - start).toBeLessThan(2000);
  });
});

describe("cyclic", () => {
  test("self, mutual and array cycles are INVALID_VALUE", async () => {
    const self: Record<string, unknown> = { a: 1 };
    self.self = self;
    const a: Record<string, unknown> = {};
    const b: Record<string, unknown> = { a };
    a.b = b;
    const arr: unknown[] = [1];
    arr.push(arr);
    const viaArray: Record<string, unknown> = { list: [] };
    (viaArray.list as unknown[]).push({ back: viaArray });
    await expectRefused({ action: "x", metadata: self }, "INVALID_VALUE", "metadata.self");
    await expectRefused({ action: "x", before: a }, "INVALID_VALUE", "before.b.a");
    await expectRefused({ action: "x", after: arr }, "INVALID_VALUE", "after[1]");
    await expectRefused({ action: "x", metadata: viaArray }, "INVALID_VALUE", "metadata.list[0].back");
  });

  test("a shared (acyclic) reference is fine", async () => {
    const shared = { n: 1 };
    const doc = await build({ action: "x", metadata: { x: shared, y: shared, z: [shared, shared] } });
    expect(doc.metadata).toEqual({ x: { n: 1 }, y: { n: 1 }, z: [{ n: 1 }, { n: 1 }] });
  });
});

describe("values Convex cannot store", () => {
  class Thing {
    x = 1;
  }
  const sparse: unknown[] = [1];
  sparse[2] = 3;
  const symbolKeyed = { a: 1, [Symbol("s")]: 2 };
  const cases: Array<[string, unknown, string]> = [
    ["a function", { f: () => 1 }, "metadata.f"],
    ["a class as value", { c: Thing }, "metadata.c"],
    ["a symbol", { s: Symbol("s") }, "metadata.s"],
    ["a symbol key", symbolKeyed, "metadata"],
    ["a bigint above int64", { n: 2n ** 63n }, "metadata.n"],
    ["a bigint below int64", { n: -(2n ** 63n) - 1n }, "metadata.n"],
    ["NaN", { n: Number.NaN }, "metadata.n"],
    ["Infinity", { n: Number.POSITIVE_INFINITY }, "metadata.n"],
    ["-Infinity in an array", { a: [1, Number.NEGATIVE_INFINITY] }, "metadata.a[1]"],
    ["undefined in an array", { a: [1, undefined] }, "metadata.a[1]"],
    ["a sparse array", { a: sparse }, "metadata.a[1]"],
    ["a Date", { at: new Date(0) }, "metadata.at"],
    ["a Map", { m: new Map([["a", 1]]) }, "metadata.m"],
    ["a Set", { s: new Set([1]) }, "metadata.s"],
    ["a class instance", { t: new Thing() }, "metadata.t"],
    ["a RegExp", { r: /x/ }, "metadata.r"],
    ["an Error", { e: new Error("boom") }, "metadata.e"],
    ["a Uint8Array (not an ArrayBuffer)", { u: new Uint8Array([1]) }, "metadata.u"],
    ["a Promise", { p: Promise.resolve(1) }, "metadata.p"],
    ["a key starting with $", { $where: "1" }, "metadata.$where"],
    ["a nested $ key", { a: [{ $gt: 1 }] }, "metadata.a[0].$gt"],
    ["a non-ASCII key", { "café": 1 }, 'metadata["café"]'],
    ["a control character in a key", { "a\nb": 1 }, 'metadata["a\\nb"]'],
    ["an empty key", { "": 1 }, 'metadata[""]'],
    ["a key over 1024 characters", { ["k".repeat(1025)]: 1 }, `metadata.${"k".repeat(1025)}`],
    ["undefined at the top level of an array payload", [undefined], "metadata[0]"],
    ["a top-level function", () => 1, "metadata"],
  ];
  test.each(cases)("%s is INVALID_VALUE", async (_name, metadata, path) => {
    await expectRefused({ action: "x", metadata }, "INVALID_VALUE", path);
  });

  test("the same checks apply to before and after, with their own paths", async () => {
    await expectRefused({ action: "x", before: { $id: 1 } }, "INVALID_VALUE", "before.$id");
    await expectRefused({ action: "x", after: { at: new Date() } }, "INVALID_VALUE", "after.at");
    await expectRefused({ action: "x", before: { a: 1 }, after: { n: Number.NaN } }, "INVALID_VALUE", "after.n");
  });

  test("paths in bulk calls carry the event's prefix", async () => {
    const data = await caught(() => validateEventInput({ action: "x", metadata: { a: [Number.NaN] } }, "events[3]"));
    expect(data).toMatchObject({ code: "INVALID_VALUE", path: "events[3].metadata.a[0]" });
    const action = await caught(() => validateEventInput({ action: "" }, "events[7]"));
    expect(action).toMatchObject({ code: "INVALID_ACTION", path: "events[7].action" });
  });

  test("what Convex can store is accepted", async () => {
    const doc = await build({
      action: "x",
      metadata: {
        n: -0,
        big: 2n ** 63n - 1n,
        small: -(2n ** 63n),
        bytes: new Uint8Array([1, 2]).buffer,
        nul: null,
        skipped: undefined,
        nested: Object.assign(Object.create(null) as object, { a: 1 }),
        _underscore: "ok",
        "with space-and.dot": true,
        "~": "printable ASCII",
      },
    });
    expect(Object.keys(doc.metadata as object)).toEqual(["n", "big", "small", "bytes", "nul", "nested", "_underscore", "with space-and.dot", "~"]);
  });
});

describe("wrong types", () => {
  const cases: Array<[string, unknown, AuditLogErrorCode, string]> = [
    ["event is null", null, "INVALID_ARGUMENT", "event"],
    ["event is a string", "user.login", "INVALID_ARGUMENT", "event"],
    ["action missing", {}, "INVALID_ACTION", "action"],
    ["action is a number", { action: 42 }, "INVALID_ACTION", "action"],
    ["action is null", { action: null }, "INVALID_ACTION", "action"],
    ["action is an object", { action: { toString: () => "x" } }, "INVALID_ACTION", "action"],
    ["action is an array", { action: ["x"] }, "INVALID_ACTION", "action"],
    ["severity fatal", { action: "x", severity: "fatal" }, "INVALID_SEVERITY", "severity"],
    ["severity in capitals", { action: "x", severity: "INFO" }, "INVALID_SEVERITY", "severity"],
    ["severity a number", { action: "x", severity: 3 }, "INVALID_SEVERITY", "severity"],
    ["severity null", { action: "x", severity: null }, "INVALID_SEVERITY", "severity"],
    ["status unknown", { action: "x", status: "maybe" }, "INVALID_ARGUMENT", "status"],
    ["category unknown", { action: "x", category: "finance" }, "INVALID_ARGUMENT", "category"],
    ["actor type unknown", { action: "x", actor: { type: "robot" } }, "INVALID_ARGUMENT", "actor.type"],
    ["actor a string", { action: "x", actor: "bob" }, "INVALID_ARGUMENT", "actor"],
    ["actor null", { action: "x", actor: null }, "INVALID_ARGUMENT", "actor"],
    ["actor name a number", { action: "x", actor: { name: 5 } }, "INVALID_ARGUMENT", "actor.name"],
    ["tags not an array", { action: "x", tags: "a,b" }, "INVALID_ARGUMENT", "tags"],
    ["tags an object", { action: "x", tags: { 0: "a", length: 1 } }, "INVALID_ARGUMENT", "tags"],
    ["a tag that is a number", { action: "x", tags: ["ok", 1] }, "INVALID_ARGUMENT", "tags[1]"],
    ["an empty tag", { action: "x", tags: [""] }, "INVALID_ARGUMENT", "tags[0]"],
    ["context null", { action: "x", context: null }, "INVALID_ARGUMENT", "context"],
    ["context a string", { action: "x", context: "1.2.3.4" }, "INVALID_ARGUMENT", "context"],
    ["context an array", { action: "x", context: ["1.2.3.4"] }, "INVALID_ARGUMENT", "context"],
    ["context field a number", { action: "x", context: { ip: 1234 } }, "INVALID_ARGUMENT", "context.ip"],
    ["actorId a number", { action: "x", actorId: 7 }, "INVALID_ARGUMENT", "actorId"],
    ["tenantId empty", { action: "x", tenantId: "  " }, "INVALID_ARGUMENT", "tenantId"],
    ["resourceId without resourceType", { action: "x", resourceId: "r1" }, "INVALID_ARGUMENT", "resourceType"],
    ["timestamp negative", { action: "x", timestamp: -1 }, "INVALID_ARGUMENT", "timestamp"],
    ["timestamp NaN", { action: "x", timestamp: Number.NaN }, "INVALID_ARGUMENT", "timestamp"],
    ["timestamp Infinity", { action: "x", timestamp: Number.POSITIVE_INFINITY }, "INVALID_ARGUMENT", "timestamp"],
    ["timestamp a string", { action: "x", timestamp: "now" }, "INVALID_ARGUMENT", "timestamp"],
    ["summary a number", { action: "x", summary: 1 }, "INVALID_ARGUMENT", "summary"],
  ];
  test.each(cases)("%s", async (_name, input, code, path) => {
    await expectRefused(input, code, path);
  });
});

describe("actions", () => {
  test.each([
    ["empty", ""],
    ["blank", "   "],
    ["a newline", "user.login\nadmin"],
    ["a NUL", "a\u0000b"],
    ["a tab", "a\tb"],
    ["a leading space", " user.login"],
    ["a trailing space", "user.login "],
    ["a trailing line separator", "user.login\u2028"],
    ["129 characters", "a".repeat(LIMITS.maxActionLength + 1)],
    ["10,000 characters", "a".repeat(10_000)],
  ])("an action with %s is INVALID_ACTION", async (_name, action) => {
    await expectRefused({ action }, "INVALID_ACTION", "action");
  });

  test("printable actions up to the limit are fine, including odd-looking ones", async () => {
    for (const action of ["a".repeat(LIMITS.maxActionLength), "x", "=cmd|' /C calc'!A0", "用户.登录", "a b", "user.login"]) {
      const doc = await build({ action });
      expect(doc.action).toBe(action);
    }
  });

  test("any generated action is either stored unchanged or refused with INVALID_ACTION", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "binary", maxLength: 140 }), async (action) => {
        let doc;
        try {
          doc = await build({ action });
        } catch (e) {
          expect(isAuditLogError(e, "INVALID_ACTION")).toBe(true);
          return;
        }
        expect(doc.action).toBe(action);
        expect(action.length).toBeLessThanOrEqual(LIMITS.maxActionLength);
        expect(action.trim()).toBe(action);
        expect(action).not.toMatch(/\p{Cc}/u);
      }),
      { numRuns: 200 },
    );
  });
});

describe("long strings beyond LIMITS", () => {
  const long: Array<[string, (n: number) => Record<string, unknown>, number, string]> = [
    ["actorId", (n) => ({ actorId: "u".repeat(n) }), LIMITS.maxIdLength, "actorId"],
    ["tenantId", (n) => ({ tenantId: "t".repeat(n) }), LIMITS.maxIdLength, "tenantId"],
    ["resourceType", (n) => ({ resourceType: "r".repeat(n) }), LIMITS.maxIdLength, "resourceType"],
    ["resourceId", (n) => ({ resourceType: "docs", resourceId: "r".repeat(n) }), LIMITS.maxIdLength, "resourceId"],
    ["idempotencyKey", (n) => ({ idempotencyKey: "k".repeat(n) }), LIMITS.maxIdLength, "idempotencyKey"],
    ["actor.role", (n) => ({ actor: { role: "r".repeat(n) } }), LIMITS.maxIdLength, "actor.role"],
    ["actor.name", (n) => ({ actor: { name: "n".repeat(n) } }), LIMITS.maxIdLength, "actor.name"],
    ["actor.email", (n) => ({ actor: { email: "e".repeat(n) } }), LIMITS.maxIdLength, "actor.email"],
    ["summary", (n) => ({ summary: "s".repeat(n) }), LIMITS.maxSummaryLength, "summary"],
    ["errorMessage", (n) => ({ errorMessage: "e".repeat(n) }), LIMITS.maxErrorMessageLength, "errorMessage"],
    ["a tag", (n) => ({ tags: ["ok", "t".repeat(n)] }), LIMITS.maxTagLength, "tags[1]"],
    ["context.userAgent", (n) => ({ context: { userAgent: "a".repeat(n) } }), LIMITS.maxContextFieldLength, "context.userAgent"],
  ];
  test.each(long)("%s: the limit is accepted, one more character is INVALID_ARGUMENT", async (_name, make, limit, path) => {
    await build({ action: "x", ...make(limit) });
    await expectRefused({ action: "x", ...make(limit + 1) }, "INVALID_ARGUMENT", path);
  });

  test("more than LIMITS.maxTags tags is INVALID_ARGUMENT; duplicates are stored once", async () => {
    const tags = Array.from({ length: LIMITS.maxTags }, (_, i) => `t${i}`);
    expect((await build({ action: "x", tags: [...tags, "t0"].slice(0, LIMITS.maxTags) })).tags).toHaveLength(LIMITS.maxTags);
    expect((await build({ action: "x", tags: ["a", "b", "a"] })).tags).toEqual(["a", "b"]);
    await expectRefused({ action: "x", tags: [...tags, "one-more"] }, "INVALID_ARGUMENT", "tags");
  });

  test("summary and errorMessage may be empty; ids may not", async () => {
    await build({ action: "x", summary: "", errorMessage: "" });
    await expectRefused({ action: "x", actorId: "" }, "INVALID_ARGUMENT", "actorId");
  });
});

describe("the stored document for valid input", () => {
  test("defaults come from the catalog and the fields present", async () => {
    const doc = await build({
      action: "user.login.failed",
      actorId: "u1",
      tags: ["auth"],
      context: { ip: "1.2.3.4", userAgent: "" },
      metadata: { method: "password", password: "hunter2" },
    });
    expect(doc).toEqual({
      action: "user.login.failed",
      category: "auth",
      severity: "warning",
      status: "success",
      actor: { type: "user" },
      actorId: "u1",
      tags: ["auth"],
      context: { ip: "1.2.3.4" },
      metadata: { method: "password", password: "[REDACTED]" },
      searchText: "user.login.failed u1 tag:auth",
      timestamp: 1_700_000_000_000,
    });
    expect(await build({ action: "custom.thing", resourceType: "docs", resourceId: "d", timestamp: 5 })).toMatchObject({
      category: "data",
      severity: "info",
      actor: { type: "system" },
      timestamp: 5,
    });
    expect(await build({ action: "custom.thing" })).toMatchObject({ category: "system" });
  });

  test("null before/after are treated as absent", async () => {
    const doc = await build({ action: "x", before: null, after: { a: 1 } });
    expect(doc.before).toBeUndefined();
    expect(doc.changes).toEqual([{ path: ["a"], op: "add", after: 1 }]);
    expect((await build({ action: "x", before: null, after: null })).changes).toBeUndefined();
  });
});

describe("errors and sizes", () => {
  test("isAuditLogError recognises only this package's errors", () => {
    const err = auditError("TOO_DEEP", "m", "p");
    expect(err.data).toEqual({ code: "TOO_DEEP", message: "m", path: "p" });
    expect(auditError("INVALID_ACTION", "m").data).toEqual({ code: "INVALID_ACTION", message: "m" });
    expect(isAuditLogError(err)).toBe(true);
    expect(isAuditLogError(err, "TOO_DEEP")).toBe(true);
    expect(isAuditLogError(err, "INVALID_VALUE")).toBe(false);
    expect(isAuditLogError(new Error("TOO_DEEP"))).toBe(false);
    expect(isAuditLogError(new ConvexError("TOO_DEEP"))).toBe(false);
    expect(isAuditLogError(new ConvexError({ code: "SOMETHING_ELSE", message: "m" }))).toBe(false);
    expect(isAuditLogError(new ConvexError({ message: "m" }))).toBe(false);
    expect(isAuditLogError(null)).toBe(false);
    expect(isAuditLogError({ data: { code: "TOO_DEEP" } })).toBe(false);
  });

  test("encodedSize is the UTF-8 length of Convex's JSON encoding", () => {
    expect(encodedSize({ a: "é" })).toBe(new TextEncoder().encode('{"a":"é"}').length);
    expect(encodedSize({ n: 1n })).toBe(JSON.stringify({ n: { $integer: "AQAAAAAAAAA=" } }).length);
  });
});
