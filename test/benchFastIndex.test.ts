// @vitest-environment node
/**
 * The fast index (dev/fastIndex.ts) must hand convex-test exactly the
 * documents, in exactly the order, its own code would: the bench's figures
 * and the demo runtime's read counts are counted from them. Here it runs in verify mode, which runs
 * convex-test's original code beside every fast answer and throws on the
 * first difference, under random writes, index ranges, orders, limits and
 * cursors carried across commits.
 */
import { convexTest } from "convex-test";
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import { expect, test } from "vitest";
import { accelerate, CHECKED_CONVEX_TEST_VERSION } from "../dev/fastIndex.js";

const schema = defineSchema({
  items: defineTable({ a: v.string(), b: v.optional(v.number()), c: v.object({ d: v.string() }), n: v.number() })
    .index("by_a", ["a"])
    .index("by_a_b", ["a", "b"])
    .index("by_b_n", ["b", "n"])
    .index("by_c_d", ["c.d"]),
  other: defineTable({ x: v.number() }).index("by_x", ["x"]),
});

const INDEXES = {
  by_a: ["a"],
  by_a_b: ["a", "b"],
  by_b_n: ["b", "n"],
  by_c_d: ["c.d"],
  by_creation_time: ["_creationTime"],
} as const;

function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const runtime = () => convexTest({ schema, modules: { "/fast-index-test/_generated/api.ts": async () => ({}) }, transactionLimits: true });

/**
 * Random transactions on `t`; returns what each read returned (ids, in
 * order) and what each transaction cost, as convex-test counted it.
 */
async function exercise(t: ReturnType<typeof runtime>, seed: number): Promise<string[]> {
  const log: string[] = [];
  const seen = (what: unknown) => log.push(JSON.stringify(what));
  const cost = async (ctx: Any) => {
    const m = await ctx.meta.getTransactionMetrics();
    seen([m.documentsRead.used, m.bytesRead.used, m.documentsWritten.used, m.bytesWritten.used, m.databaseQueries.used]);
  };
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const A = ["x", "y", "é", "z", "😀"];
  const D = ["p", "q", "r"];
  const B = [undefined, 0, -0, 1, 2.5, -3, NaN];
  const value = (field: string): unknown =>
    field === "a" ? pick(A) : field === "b" ? pick(B) : field === "n" ? Math.floor(r() * 10) : field === "c.d" ? pick(D) : undefined;
  const doc = () => ({ a: pick(A), b: pick(B), c: { d: pick(D) }, n: Math.floor(r() * 10) });

  /** A random query: an index range (or a table scan), an order. */
  const randomQuery = (db: Any) => {
    if (r() < 0.1) return db.query("items").order(pick(["asc", "desc"]));
    const name = pick(Object.keys(INDEXES)) as keyof typeof INDEXES;
    const fields = INDEXES[name];
    const eqs = name === "by_creation_time" ? 0 : Math.floor(r() * (fields.length + 1));
    return db
      .query("items")
      .withIndex(name, (q: Any) => {
        let b = q;
        for (let i = 0; i < eqs; i++) b = b.eq(fields[i], value(fields[i]));
        const next = fields[eqs];
        if (next === undefined) return b;
        const bound = next === "_creationTime" ? 0 : value(next);
        if (bound !== undefined && r() < 0.4) b = r() < 0.5 ? b.gt(next, bound) : b.gte(next, bound);
        const upper = next === "_creationTime" ? Date.now() + 1e6 : value(next);
        if (upper !== undefined && r() < 0.4) b = r() < 0.5 ? b.lt(next, upper) : b.lte(next, upper);
        return b;
      })
      .order(pick(["asc", "desc"]));
  };

  const readAll = async (db: Any) => {
    for (let k = 0; k < 6; k++) {
      const q = randomQuery(db);
      const how = Math.floor(r() * 4);
      const ids = (docs: Any[]) => docs.map((d) => d._id);
      if (how === 0) seen(ids(await q.take(Math.floor(r() * 8))));
      else if (how === 1) seen((await q.first())?._id ?? null);
      else if (how === 2) seen(ids(await q.collect()));
      else {
        const got: string[] = [];
        for await (const d of q) {
          got.push(d._id);
          if (r() < 0.2) break;
        }
        seen(got);
      }
    }
  };

  const ids: string[] = [];
  const write = async (db: Any) => {
    const op = r();
    if (op < 0.5 || ids.length < 5) ids.push(await db.insert("items", doc()));
    else if (op < 0.8) await db.patch(pick(ids), { a: pick(A), b: pick(B), n: Math.floor(r() * 10) });
    else await db.delete(ids.splice(Math.floor(r() * ids.length), 1)[0]);
    if (r() < 0.3) await db.insert("other", { x: r() });
  };
  const walks: Array<{ make: (db: Any) => Any; cursor: string | null }> = [];
  for (let round = 0; round < 120; round++) {
    await t.run(async (ctx: Any) => {
      await readAll(ctx.db);
      // Writes, then reads that must see them.
      for (let k = Math.floor(r() * 6); k > 0; k--) await write(ctx.db);
      await readAll(ctx.db);
      await cost(ctx);
    });
    // One paginated query per transaction: a new walk, or the next page of
    // an older one, whose cursor may predate several commits.
    await t.run(async (ctx: Any) => {
      if (walks.length === 0 || r() < 0.3) {
        const seed = Math.floor(r() * 1e9);
        walks.push({
          make: (db) => {
            const local = rng(seed);
            const lp = <T>(xs: readonly T[]): T => xs[Math.floor(local() * xs.length)];
            const name = lp(Object.keys(INDEXES)) as keyof typeof INDEXES;
            const fields = INDEXES[name];
            const eq = name === "by_creation_time" ? 0 : Math.floor(local() * fields.length);
            return db
              .query("items")
              .withIndex(name, (q: Any) => {
                let b = q;
                for (let i = 0; i < eq; i++) b = b.eq(fields[i], fields[i] === "a" ? lp(A) : fields[i] === "b" ? lp(B) : lp(D));
                return b;
              })
              .order(lp(["asc", "desc"]));
          },
          cursor: null,
        });
      }
      // Sometimes after writes of its own, which the page must include.
      for (let k = r() < 0.5 ? Math.floor(r() * 4) : 0; k > 0; k--) await write(ctx.db);
      const w = pick(walks);
      const page = await w.make(ctx.db).paginate({ numItems: 1 + Math.floor(r() * 4), cursor: w.cursor });
      w.cursor = page.isDone ? null : page.continueCursor;
      seen([page.page.map((d: Any) => d._id), page.isDone, page.pageStatus ?? null]);
      await cost(ctx);
    });
  }
  return log;
}

test("fast index answers exactly as convex-test under random writes and ranges (verify mode)", async () => {
  const t = runtime();
  const stats = accelerate(t, { verify: true });
  expect(stats, `convex-test ${CHECKED_CONVEX_TEST_VERSION} expected`).not.toBeNull();
  await exercise(t, 7);

  expect(stats!.served).toBeGreaterThan(500);
  expect(stats!.verified).toBeGreaterThan(500);
  expect(stats!.withPendingWrites).toBeGreaterThan(50);
  expect(stats!.merges + stats!.builds).toBeGreaterThan(20);
});

test("the same reads, rows and costs with and without the fast index", async () => {
  for (const seed of [1, 2, 3]) {
    const fast = runtime();
    expect(accelerate(fast)).not.toBeNull();
    const fastLog = await exercise(fast, seed);
    const exactLog = await exercise(runtime(), seed);
    expect(fastLog.length).toBeGreaterThan(1000);
    expect(fastLog).toEqual(exactLog);
  }
});
