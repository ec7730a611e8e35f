/**
 * The transparency log through the client, end to end on convex-test:
 * sealing (the loop the cron drives and the on-demand step), signed
 * checkpoints, receipts checked offline, consistency proofs, the verify
 * action, and hostile input (forged notes, sizes beyond the tree, other
 * tenants' events, an edited event).
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import type { FunctionReference } from "convex/server";
import { ConvexError } from "convex/values";
import { AuditLog, generateKey, verifyConsistency, verifyReceipt, parseNote, parseCheckpoint } from "convex-audit-log";
import { api, components } from "./_generated/api";
import { initConvexTest } from "./setup.test-helper";

const keyPair = (name = "example.test/audit") => generateKey(name, crypto.getRandomValues(new Uint8Array(32)));
const KEY = keyPair();
const log = new AuditLog(components.auditLog, { integrity: { signingKey: KEY.signer, personalFields: ["metadata.email"] } });

export const codeOf = async (p: Promise<unknown>) => {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(ConvexError);
  return (e as ConvexError<{ code: string }>).data.code;
};

type Db = { patch(id: string, v: Record<string, unknown>): Promise<void>; delete(id: string): Promise<void>; get(id: string): Promise<Record<string, unknown> | null>; insert(table: string, v: Record<string, unknown>): Promise<string> };
/** The component's own tables, as a deployment admin could change them (convex-test's runInComponent, untyped in its .d.ts). */
export function inComponent<R>(t: ReturnType<typeof initConvexTest>, fn: (db: Db) => Promise<R>): Promise<R> {
  const run = (t as unknown as { runInComponent(name: string, f: (ctx: { db: Db }) => Promise<R>): Promise<R> }).runInComponent;
  return run("auditLog", (ctx) => fn(ctx.db));
}

/** The component's cron target (internal, so not in ComponentApi's types; convex-test runs it by path). */
const tick = (components.auditLog as unknown as { background: { tick: FunctionReference<"mutation", "internal", Record<string, never>> } }).background.tick;

// convex-test gives a bulk insert's documents creation times a little apart, some after
// "now": the tests run on a clock they move, so "settled" means what it says.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.UTC(2026, 5, 1));
});
afterEach(() => {
  vi.useRealTimers();
});

/** Seals everything logged so far: the clock moves past every creation time first. */
async function sealAll(t: ReturnType<typeof initConvexTest>) {
  vi.setSystemTime(Date.now() + 60_000);
  let r = await t.run((ctx) => log.seal(ctx, { settleMs: 0 }));
  while (!r.caughtUp) r = await t.run((ctx) => log.seal(ctx, { settleMs: 0 }));
  return r;
}

async function seeded(n = 20) {
  const t = initConvexTest();
  const ids: string[] = [];
  for (let from = 0; from < n; from += 500) {
    ids.push(...(await t.run((ctx) =>
    log.logBulk(
      ctx,
      Array.from({ length: Math.min(500, n - from) }, (_, j) => from + j).map((i) => ({
        action: i % 3 === 0 ? "user.login" : "record.updated",
        actorId: `user${i % 4}`,
        actor: { name: `User ${i % 4}`, email: `u${i % 4}@example.com` },
        tenantId: i % 2 === 0 ? "org1" : "org2",
        metadata: { email: `u${i}@example.com`, n: i, big: BigInt(i) },
        context: { ip: `10.0.0.${i}` },
        timestamp: 1_700_000_000_000 + i,
      })),
    ),
  )));
  }
  return { t, ids };
}

describe("sealing and checkpoints", () => {
  test("every event gets the next seq; a checkpoint signs the head; a receipt checks offline", async () => {
    const { t, ids } = await seeded(20);
    const r = await sealAll(t);
    expect(r).toMatchObject({ caughtUp: true, size: 20 });
    const cp = await t.run((ctx) => log.checkpoint(ctx));
    expect(cp.size).toBe(20);
    const note = parseNote(cp.note)!;
    expect(parseCheckpoint(note.text)).toMatchObject({ origin: "example.test/audit", size: 20 });
    const seqs = new Set<number>();
    for (const id of ids) {
      const receipt = await t.run((ctx) => log.proveEvent(ctx, id));
      seqs.add(receipt.seq);
      const check = verifyReceipt(receipt, [KEY.verifier]);
      expect(check.problems).toEqual([]);
      expect(check.ok).toBe(true);
      // A stored value changed after sealing: the receipt no longer checks.
      const edited = { ...receipt, event: { ...receipt.event, metadata: { ...(receipt.event.metadata as object), n: -1 } } };
      expect(verifyReceipt(edited, [KEY.verifier]).ok).toBe(false);
      // Another key: not signed by it.
      expect(verifyReceipt(receipt, [keyPair().verifier]).ok).toBe(false);
    }
    expect([...seqs].sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
  });

  test("the cron's tick starts the loop, which seals in chained steps; checkpoints at the same size replace each other", async () => {
    vi.useFakeTimers();
    try {
      const { t } = await seeded(30);
      vi.advanceTimersByTime(10_000);
      await t.mutation(tick, {});
      await t.finishAllScheduledFunctions(vi.runAllTimers);
      const status = await t.run((ctx) => log.sealStatus(ctx));
      expect(status).toMatchObject({ status: "running", size: 30 });
      expect(status.maxWaitMs).toBeGreaterThanOrEqual(10_000);
      const a = await t.run((ctx) => log.checkpoint(ctx));
      vi.advanceTimersByTime(60_000);
      const b = await t.run((ctx) => log.checkpoint(ctx));
      expect(b.size).toBe(a.size);
      expect(b.time).toBeGreaterThan(a.time);
      const page = await t.run((ctx) => log.checkpoints(ctx, { paginationOpts: { numItems: 10, cursor: null } }));
      expect(page.page.map((c) => c.time)).toEqual([b.time]);
    } finally {
      vi.useRealTimers();
    }
  });

  test("the delay between log and seal: at most one cron interval plus the settle time (measured over 10 simulated minutes)", async () => {
    vi.useFakeTimers();
    try {
      const t = initConvexTest();
      let logged = 0;
      // An event every 7 s for 10 minutes, the cron's tick every 60 s, as a deployment runs them.
      for (let second = 1; second <= 600; second++) {
        vi.advanceTimersByTime(1000);
        if (second % 7 === 0) {
          await t.run((ctx) => log.log(ctx, { action: "user.login", actorId: `u${second}` }));
          logged++;
        }
        if (second % 60 === 0) {
          await t.mutation(tick, {});
          await t.finishAllScheduledFunctions(vi.runAllTimers);
        }
      }
      const status = await t.run((ctx) => log.sealStatus(ctx));
      expect(status.size).toBeGreaterThanOrEqual(logged - 9); // the last minute's are still waiting for the next tick
      // The longest wait: an event logged just inside the settle window of a tick waits for the next one.
      expect(status.maxWaitMs).toBeGreaterThan(55_000);
      expect(status.maxWaitMs).toBeLessThanOrEqual(60_000 + 5_000 + 1_000);
      console.log(`sealing delay over 10 simulated minutes: ${logged} events, longest wait ${status.maxWaitMs} ms`);
    } finally {
      vi.useRealTimers();
    }
  });

  test("consistency proofs between any size and a checkpoint check with RFC 9162's algorithm; sizes beyond the tree are refused", async () => {
    const { t } = await seeded(10);
    await sealAll(t);
    const first = await t.run((ctx) => log.checkpoint(ctx));
    await t.run((ctx) => log.logBulk(ctx, Array.from({ length: 7 }, (_, i) => ({ action: "user.logout", actorId: `x${i}` }))));
    await sealAll(t);
    const second = await t.run((ctx) => log.checkpoint(ctx));
    expect(second.size).toBe(17);
    const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
    for (let old = 1; old <= 17; old++) {
      const p = await t.run((ctx) => log.proveConsistency(ctx, old));
      expect(verifyConsistency(old, 17, b64(p.oldRoot), b64(p.newRoot), p.proof.map(b64))).toBe(true);
    }
    const p10 = await t.run((ctx) => log.proveConsistency(ctx, 10, 17));
    expect(p10.oldRoot).toBe(first.root);
    for (const [o, n] of [[0, undefined], [18, undefined], [5, 11], [5, 18], [1.5, undefined], [-1, 17]] as const) {
      expect(await codeOf(t.run((ctx) => log.proveConsistency(ctx, o, n)))).toBe("INVALID_ARGUMENT");
    }
  });
});

describe("hostile input", () => {
  test("the exposed proveEvent gives receipts within the caller's scope only; checkpoints and consistency to anyone signed in", async () => {
    const { t, ids } = await seeded(8);
    await sealAll(t);
    await t.run((ctx) => log.checkpoint(ctx));
    const olga = t.withIdentity({ subject: "olga", role: "org-admin", orgId: "org1" } as never);
    const user0 = t.withIdentity({ subject: "user0" });
    // seeded: tenant org1 for even i, actor user(i % 4).
    expect((await olga.query(api.auditLog.proveEvent, { eventId: ids[2] })).event.tenantId).toBe("org1");
    expect(await codeOf(olga.query(api.auditLog.proveEvent, { eventId: ids[1] }))).toBe("NOT_FOUND");
    expect((await user0.query(api.auditLog.proveEvent, { eventId: ids[4] })).event.actorId).toBe("user0");
    expect(await codeOf(user0.query(api.auditLog.proveEvent, { eventId: ids[5] }))).toBe("NOT_FOUND");
    expect(await codeOf(t.query(api.auditLog.proveEvent, { eventId: ids[0] }))).toBe("UNAUTHORIZED");
    expect((await user0.query(api.auditLog.latestCheckpoint, {}))!.size).toBe(8);
    expect((await olga.query(api.auditLog.proveConsistency, { oldSize: 3 })).newSize).toBe(8);
    expect(await codeOf(olga.query(api.auditLog.proveConsistency, { oldSize: 9 }))).toBe("INVALID_ARGUMENT");
  });

  test("receipts of other tenants' events, unknown ids and unsealed events are typed errors", async () => {
    const { t, ids } = await seeded(4);
    expect(await codeOf(t.run((ctx) => log.proveEvent(ctx, ids[0])))).toBe("NOT_SEALED");
    await sealAll(t);
    expect(await codeOf(t.run((ctx) => log.proveEvent(ctx, ids[0])))).toBe("NOT_SEALED"); // no checkpoint yet
    await t.run((ctx) => log.checkpoint(ctx));
    expect((await t.run((ctx) => log.proveEvent(ctx, ids[0], { tenantId: "org1" }))).seq).toBeGreaterThanOrEqual(0);
    expect(await codeOf(t.run((ctx) => log.proveEvent(ctx, ids[1], { tenantId: "org1" })))).toBe("NOT_FOUND");
    expect(await codeOf(t.run((ctx) => log.proveEvent(ctx, ids[1], { actorId: "someone" })))).toBe("NOT_FOUND");
    for (const bad of ["", "nope", ids[0].slice(0, -1) + "x", "x".repeat(10_000)]) {
      expect(await codeOf(t.run((ctx) => log.proveEvent(ctx, bad)))).toBe("NOT_FOUND");
    }
  });

  test("the component refuses notes that are not this tree's head, not signed by the keys given, or forged", async () => {
    const { t } = await seeded(3);
    await sealAll(t);
    const good = await t.run((ctx) => log.checkpoint(ctx));
    const add = (note: string, keys = [KEY.verifier]) =>
      t.run((ctx) => ctx.runMutation(components.auditLog.integrity.addCheckpoint, { note, verifierKeys: keys }));
    const other = keyPair();
    const forged = [
      "",
      "not a note",
      good.note.replace("\n3\n", "\n4\n"),
      good.note.replace(/— (\S+) (\S+)\n$/, "— $1 AAAA$2\n"),
      good.note.slice(0, -5),
    ];
    for (const note of forged) expect(await codeOf(add(note))).toBe("INVALID_ARGUMENT");
    expect(await codeOf(add(good.note, [other.verifier]))).toBe("INVALID_ARGUMENT");
    expect(await codeOf(add(good.note, ["garbage"]))).toBe("INVALID_ARGUMENT");
    // Signed by a key the app holds, but not the tree's head: refused.
    const liar = new AuditLog(components.auditLog, { integrity: { signingKey: other.signer, origin: "example.test/audit" } });
    await t.run((ctx) => log.logBulk(ctx, [{ action: "user.login" }]));
    await t.run((ctx) => liar.checkpoint(ctx)); // a real head, another key: accepted, and that key recorded
    const latest = await t.run((ctx) => log.latestCheckpoint(ctx));
    expect(latest!.verifierKeys).toEqual([KEY.verifier, other.verifier]);
    const wrongOrigin = new AuditLog(components.auditLog, { integrity: { signingKey: other.signer, origin: "elsewhere" } });
    expect(await codeOf(t.run((ctx) => wrongOrigin.checkpoint(ctx)))).toBe("INVALID_CONFIG");
    const noKey = new AuditLog(components.auditLog);
    expect(await codeOf(t.run((ctx) => noKey.checkpoint(ctx)))).toBe("INVALID_CONFIG");
    const badKey = new AuditLog(components.auditLog, { integrity: { signingKey: KEY.verifier } });
    expect(await codeOf(t.run((ctx) => badKey.checkpoint(ctx)))).toBe("INVALID_CONFIG");
  });

  test("verify reports an edited event, a deleted one and a forged seq; an untouched log is ok", async () => {
    const { t, ids } = await seeded(600);
    await sealAll(t);
    const clean = await t.action(components.auditLog.integrity.verify, {});
    expect(clean).toMatchObject({ ok: true, checked: 600, modifiedCount: 0, missingCount: 0, expiredCount: 0 });
    await inComponent(t, async (db) => {
      await db.patch(ids[5], { summary: "nothing happened" });
      await db.delete(ids[300]);
    });
    const report = await t.action(components.auditLog.integrity.verify, {});
    expect(report.ok).toBe(false);
    expect(report.modified.map((m) => m.eventId)).toEqual([ids[5]]);
    expect(report.missingCount).toBe(1);
    expect(await codeOf(t.action(components.auditLog.integrity.verify, { toSeq: 601 }))).toBe("INVALID_ARGUMENT");
  });
});

describe("retention and erasure keep it verifiable", () => {
  test("cleanup deletes events and keeps their leaves: verify reports them as expired, the rest still proves", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const t = initConvexTest();
      const now = Date.now();
      const ids = await t.run((ctx) =>
        log.logBulk(ctx, Array.from({ length: 40 }, (_, i) => ({ action: "record.viewed", actorId: `u${i % 3}`, timestamp: now - (i < 25 ? 200 : 1) * 86_400_000 }))),
      );
      vi.setSystemTime(now + 10_000);
      await t.mutation(components.auditLog.stats.rollup, { settleMs: 0 });
      const deleted = await t.run((ctx) => log.cleanup(ctx, { olderThanDays: 90, batchSize: 1000 }));
      expect(deleted).toBe(25);
      vi.setSystemTime(now + 20_000);
      await t.run((ctx) => log.checkpoint(ctx));
      const report = await t.action(components.auditLog.integrity.verify, {});
      // 40 events, the batch's retention record and the run's summary.
      expect(report).toMatchObject({ ok: true, checked: 42, expiredCount: 25, missingCount: 0, modifiedCount: 0 });
      for (const id of ids.slice(25)) expect(verifyReceipt(await t.run((ctx) => log.proveEvent(ctx, id)), [KEY.verifier]).ok).toBe(true);
      // An event deleted by hand now is missing, not expired.
      await inComponent(t, (db) => db.delete(ids[30]));
      const after = await t.action(components.auditLog.integrity.verify, {});
      expect(after).toMatchObject({ ok: false, missingCount: 1, expiredCount: 25 });
    } finally {
      vi.useRealTimers();
    }
  });

  test("eraseSubject removes a person's values and keys; every receipt and the tree stay valid; a held subject is refused", async () => {
    const { t, ids } = await seeded(24);
    vi.setSystemTime(Date.now() + 60_000);
    await t.mutation(components.auditLog.stats.rollup, { settleMs: 0 });
    await sealAll(t);
    const before = await t.run((ctx) => log.checkpoint(ctx));
    // One of user1's events is not sealed yet when the erasure runs.
    const late = await t.run((ctx) => log.log(ctx, { action: "user.logout", actorId: "user1", actor: { name: "User 1" }, context: { ip: "10.9.9.9" } }));
    let r = await t.run((ctx) => log.eraseSubject(ctx, { actorId: "user1" }));
    while (!r.isDone) r = await t.run((ctx) => log.eraseSubject(ctx, { actorId: "user1", cursor: r.continueCursor }));
    const all = await inComponent(t, async (db) => Promise.all([...ids, late].map((id) => db.get(id))));
    const text = JSON.stringify(all, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
    expect(text).not.toContain("user1");
    expect(text).not.toContain("u1@example.com");
    expect(text).not.toContain("User 1");
    for (const i of [1, 5, 9]) expect(text).not.toContain(`"10.0.0.${i}"`);
    const erased = all[1] as { seal: { salt?: string; erased?: string[] }; actor: { type: string } };
    expect(erased.seal.salt).toBeUndefined();
    expect(erased.seal.erased!.length).toBeGreaterThan(0);
    expect(erased.actor.type).toBe("user");
    // The tree did not change, and every receipt, the erased ones included, still checks.
    await sealAll(t);
    const after = await t.run((ctx) => log.checkpoint(ctx));
    const p = await t.run((ctx) => log.proveConsistency(ctx, before.size));
    expect(p.oldRoot).toBe(before.root);
    for (const id of [...ids, late]) expect(verifyReceipt(await t.run((ctx) => log.proveEvent(ctx, id)), [KEY.verifier]).ok).toBe(true);
    expect(after.size).toBe(before.size + 2); // the late event and the erasure's own record
    expect((await t.action(components.auditLog.integrity.verify, {})).ok).toBe(true);
    // The statistics keep their counts under one placeholder key.
    const stats = await t.run((ctx) => log.getStats(ctx, { fromTimestamp: 0, toTimestamp: 1_800_000_000_000 }));
    expect(stats.topActors.map((a) => a.actorId)).not.toContain("user1");
    expect(stats.topActors.find((a) => a.actorId === "[erased]")?.count).toBe(6);
    // A legal hold keeps a subject's events as they are.
    await t.run((ctx) => log.placeHold(ctx, { actorId: "user2" }));
    expect(await codeOf(t.run((ctx) => log.eraseSubject(ctx, { actorId: "user2" })))).toBe("HELD");
    expect(await codeOf(t.run((ctx) => log.eraseSubject(ctx, { actorId: "user3", cursor: "g1.x.y.z" })))).toBe("INVALID_CURSOR");
  });
});
