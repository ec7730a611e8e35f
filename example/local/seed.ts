/**
 * Demo data for the local runtime: a short story through the example app's
 * own functions (so its tables and the audit log agree), and optionally many
 * synthetic events straight into the component, from the deterministic
 * workload the bench also seeds (dev/workload.ts).
 */
import { generate, toInput } from "../../dev/workload.js";
import { api, components } from "../convex/_generated/api.js";
import { auditLog } from "../convex/auditLog.js";
import { identityOf } from "./runtime.js";
import { DEMO_PEOPLE } from "./token.js";
import type { LocalConvex } from "./runtime.js";


/** A few users and documents, a failed mutation, an action, a webhook and a security event. */
export async function seedDemo({ t }: LocalConvex): Promise<void> {
  const ada = t.withIdentity(identityOf(DEMO_PEOPLE.ada)).withRequestMetadata({ ip: "203.0.113.7", userAgent: "Firefox/140" });
  const grace = t.withIdentity(identityOf(DEMO_PEOPLE.grace)).withRequestMetadata({ ip: "198.51.100.4", userAgent: "Safari/18" });

  const adaId = await ada.mutation(api.users.createUser, { name: "Ada", email: "ada@acme.test", orgId: "acme" });
  await ada.mutation(api.users.updateUserProfile, { userId: adaId, name: "Ada Lovelace", email: "ada.l@acme.test" });
  await grace.mutation(api.users.createUser, { name: "Grace Hopper", email: "grace@globex.test", orgId: "globex" });

  const plan = await ada.mutation(api.documents.createDocument, { title: "Q3 plan", body: "...", orgId: "acme" });
  await ada.mutation(api.documents.updateDocument, { documentId: plan, title: "Q3 plan (final)" });
  await ada.mutation(api.documents.createDocument, { title: "Hiring notes", body: "...", orgId: "acme" });
  const spec = await grace.mutation(api.documents.createDocument, { title: "Compiler spec", body: "...", orgId: "globex" });
  await grace.mutation(api.documents.updateDocument, { documentId: spec, title: "Compiler spec v2" });

  await ada.mutation(api.users.failingUpdate, { userId: adaId }).catch(() => undefined);
  await ada.action(api.documents.exportDocuments, { orgId: "acme", count: 42 });
  await t.fetch("/webhook", {
    method: "POST",
    headers: { "content-type": "application/json", "user-agent": "stripe-hooks/1" },
    body: JSON.stringify({ event: "billing.invoice.paid", apiKeyId: "key_9", secret: "whsec_live_abc" }),
  });
  await t.run((ctx) =>
    auditLog.log(ctx, { action: "security.unauthorized_access", actorId: "user_mallory", tenantId: "acme", severity: "critical", summary: "tried /admin" }),
  );
}

export const SEED_BATCH = 500;

/** Runs the stats rollup until it has folded every event; returns how many it folded. */
export async function catchUpStats(convex: LocalConvex): Promise<number> {
  let folded = 0;
  for (;;) {
    const r = await convex.rollupBatch();
    folded += r.folded;
    if (r.caughtUp) return folded;
  }
}

/**
 * `n` synthetic events (dev/workload.ts, seed 1: the bench's data) through the component's
 * logBulk in batches of 500: one insert per event, no per-event query. The
 * workload's 30 days are moved to end now, so a dashboard's recent windows
 * have data.
 *
 * With `rollupEvery`, the stats rollup catches up after each that many
 * events, as a deployment's cron would while traffic comes in. It is also
 * much cheaper here than one catch-up at the end: convex-test reads an index
 * range by scanning every document the component holds, so a batch costs in
 * proportion to the tables' size at the time.
 */
export async function seedEvents(
  convex: LocalConvex,
  n: number,
  options: { rollupEvery?: number; progress?: (done: number) => void } = {},
): Promise<void> {
  if (n <= 0) return;
  const w = generate(n, 1);
  const shift = Date.now() - w.end;
  const every = options.rollupEvery ?? Infinity;
  for (let from = 0; from < w.n; from += SEED_BATCH) {
    const events = w.rows.slice(from, from + SEED_BATCH).map((row, j) => {
      const input = toInput(w, row, from + j);
      return { ...input, timestamp: (input.timestamp ?? w.end) + shift };
    });
    await convex.t.run((ctx) => ctx.runMutation(components.auditLog.log.logBulk, { events }));
    const done = Math.min(from + SEED_BATCH, w.n);
    if (every !== Infinity && (done % every < SEED_BATCH || done === w.n)) await catchUpStats(convex);
    options.progress?.(done);
  }
}
