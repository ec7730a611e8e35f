/// <reference types="vite/client" />
/**
 * Every cursor the component hands out is tamper-evident: one altered
 * anywhere (a character changed, added or removed, the payload rewritten in
 * its own format with the query tag kept) is refused with INVALID_CURSOR,
 * never read as a position.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { api } from "./_generated/api.js";
import { isAuditLogError } from "../shared/errors.js";
import { CURSOR_KINDS } from "./cursor.js";
import { initConvexTest, type T } from "./setup.test.js";

const RUNS = { numRuns: 200 };

async function logSome(t: T) {
  await t.mutation(api.log.logBulk, {
    events: Array.from({ length: 12 }, (_, i) => ({
      action: i % 2 ? "user.login" : "user.logout",
      actorId: "a1",
      resourceType: "doc",
      resourceId: "d1",
      summary: "hello world",
      severity: i % 3 ? "info" : "error",
      timestamp: 1_700_000_000_000 + (i % 5),
    })),
  });
}

/** One call per cursor kind: a function of the cursor that reads the next page. */
function pagers(t: T) {
  const page = { numItems: 2 };
  return {
    range: (cursor: string | null) =>
      t.query(api.queries.queryByResource, { resourceType: "doc", resourceId: "d1", paginationOpts: { ...page, cursor } }),
    merged: (cursor: string | null) =>
      t.query(api.queries.queryByActor, { actorId: "a1", actions: ["user.login", "user.logout"], paginationOpts: { ...page, cursor } }),
    search: (cursor: string | null) => t.query(api.search.search, { filters: { actorIds: ["a1"], resourceType: "doc" }, paginationOpts: { ...page, cursor } }),
    text: (cursor: string | null) => t.query(api.search.search, { filters: { query: "hello" }, paginationOpts: { ...page, cursor } }),
    cleanup: (cursor: string | null) => t.mutation(api.retention.cleanup, { olderThanDays: 1, batchSize: 2, cursor }),
  };
}

const refusal = async (p: Promise<unknown>) => {
  try {
    await p;
    return "accepted";
  } catch (e) {
    return isAuditLogError(e, "INVALID_CURSOR") ? "refused" : `other: ${String(e)}`;
  }
};

const printable = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
/** An alteration of a cursor: a character changed, inserted or removed, or the string cut. */
const alteration = fc.oneof(
  fc.record({ op: fc.constant("set" as const), at: fc.nat(), ch: printable }),
  fc.record({ op: fc.constant("insert" as const), at: fc.nat(), ch: printable }),
  fc.record({ op: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("cut" as const), at: fc.nat() }),
);
function alter(cursor: string, a: { op: string; at: number; ch?: string }): string {
  const i = a.at % (cursor.length + (a.op === "insert" ? 1 : 0));
  switch (a.op) {
    case "set":
      return cursor.slice(0, i) + a.ch + cursor.slice(i + 1);
    case "insert":
      return cursor.slice(0, i) + a.ch + cursor.slice(i);
    case "delete":
      return cursor.slice(0, i) + cursor.slice(i + 1);
    default:
      return cursor.slice(0, i);
  }
}

describe("cursors", () => {
  test("every kind has its own prefix", () => {
    const prefixes = Object.values(CURSOR_KINDS).map((k) => k.prefix);
    expect(new Set(prefixes).size).toBe(prefixes.length);
    for (const p of prefixes) for (const q of prefixes) if (p !== q) expect(p.startsWith(q)).toBe(false);
  });

  test("random alterations of every cursor kind are refused (property, 200 per kind)", async () => {
    const t = initConvexTest();
    await logSome(t);
    await t.mutation(api.stats.rollup, { settleMs: 0 }); // a mutation other than log: the component makes its key
    const kinds = pagers(t);
    for (const [kind, next] of Object.entries(kinds)) {
      const first = (await next(null)) as { continueCursor: string };
      const cursor = first.continueCursor;
      expect(await refusal(next(cursor)), `${kind}: the real cursor works`).toBe("accepted");
      await fc.assert(
        fc.asyncProperty(alteration, async (a) => {
          const altered = alter(cursor, a);
          fc.pre(altered !== cursor);
          expect(await refusal(next(altered)), `${kind}: ${JSON.stringify(altered)}`).toBe("refused");
        }),
        RUNS,
      );
    }
  });

  test("a position rewritten in the cursor's own format, query tag kept, is refused", async () => {
    const t = initConvexTest();
    await logSome(t);
    await t.mutation(api.stats.rollup, { settleMs: 0 });
    const { merged, search } = pagers(t);
    for (const next of [merged, search]) {
      const { continueCursor } = (await next(null)) as { continueCursor: string };
      const [prefix, tag, payload, mac] = continueCursor.split(".");
      // The payload: two float64s (timestamp, creation time), base64url. Move the timestamp by a millisecond.
      const bytes = Uint8Array.from(atob(payload.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
      const view = new DataView(bytes.buffer);
      view.setFloat64(0, view.getFloat64(0) + 1);
      const moved = btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
      expect(await refusal(next(`${prefix}.${tag}.${moved}.${mac}`))).toBe("refused");
      // And with no MAC at all, as an older version wrote them.
      expect(await refusal(next(`${prefix}.${tag}.${moved}`))).toBe("refused");
    }
  });

  test("a cursor of one kind or query given to another is refused", async () => {
    const t = initConvexTest();
    await logSome(t);
    const kinds = pagers(t);
    const cursors = Object.fromEntries(
      await Promise.all(Object.entries(kinds).map(async ([k, next]) => [k, ((await next(null)) as { continueCursor: string }).continueCursor])),
    ) as Record<keyof typeof kinds, string>;
    for (const [k, next] of Object.entries(kinds)) {
      for (const [other, cursor] of Object.entries(cursors)) {
        if (other !== k) expect(await refusal(next(cursor)), `${other} cursor to ${k}`).toBe("refused");
      }
    }
  });

  test("before the component has its key, cursors work; once it has one, they are refused and start over", async () => {
    const t = initConvexTest();
    await logSome(t);
    const { range } = pagers(t);
    const early = (await range(null)).continueCursor;
    expect(await refusal(range(early))).toBe("accepted");
    expect(await t.run((ctx) => ctx.db.query("cursorKey").first())).toBeNull();
    await t.mutation(api.stats.rollup, { settleMs: 0 });
    expect(await t.run((ctx) => ctx.db.query("cursorKey").first())).not.toBeNull();
    expect(await refusal(range(early))).toBe("refused");
    expect(await refusal(range((await range(null)).continueCursor))).toBe("accepted");
  });
});
