/**
 * `npm run tour`: a scripted tour of the example app, offline. The example's
 * Convex functions and the component run in this process on convex-test's
 * runtime (in memory, one process: a demo and test runtime, not a server);
 * every call below goes through the same code a deployment would run.
 */
import { api, internal } from "./convex/_generated/api.js";
import { auditLog } from "./convex/auditLog.js";
import { createLocalConvex } from "./local/runtime.js";
import type { AuditEvent } from "convex-audit-log";

// The same in-process runtime as `npm run demo`, on convex-test's own query path.
const { t } = createLocalConvex({ fastIndex: false });

const bold = (s: string) => `\x1b[1m${s}\x1b[0m`;
const dim = (s: string) => `\x1b[2m${s}\x1b[0m`;
const colour: Record<string, string> = { info: "34", warning: "33", error: "31", critical: "35" };
const sev = (s: string) => `\x1b[${colour[s] ?? "0"}m${s.padEnd(8)}\x1b[0m`;

function show(events: AuditEvent[]) {
  for (const e of events) {
    const who = e.actorId ?? `(${e.actor.type})`;
    const what = e.resourceType ? ` ${e.resourceType}/${e.resourceId}` : "";
    console.log(`  ${sev(e.severity)} ${e.action.padEnd(28)} ${who.padEnd(16)}${what}${e.tenantId ? dim(`  tenant ${e.tenantId}`) : ""}`);
    if (e.diff) for (const line of e.diff.split("\n")) console.log(dim(`      ${line}`));
    if (e.context?.ip) console.log(dim(`      from ${e.context.ip} (${e.context.userAgent ?? "?"}) via ${e.context.source ?? "?"}`));
  }
}

function step(title: string) {
  console.log(`\n${bold(`▸ ${title}`)}`);
}

const ada = t.withIdentity({ subject: "user_ada", name: "Ada" }).withRequestMetadata({ ip: "203.0.113.7", userAgent: "Firefox/140" });
const olga = t.withIdentity({ subject: "user_olga", role: "org-admin", orgId: "acme" } as never);

step("Ada signs up, then updates her profile (logChange with a diff; email is a PII field)");
const userId = await ada.mutation(api.users.createUser, { name: "Ada", email: "ada@acme.test", orgId: "acme" });
await ada.mutation(api.users.updateUserProfile, { userId, name: "Ada Lovelace", email: "ada.l@acme.test" });
show(await ada.query(api.users.getUserActivity, { userId: "user_ada" }));

step("Her password changes twice: recorded as changed, never stored");
await t.mutation(internal.users.setPassword, { userId, passwordHash: "argon2id$first" });
await t.mutation(internal.users.setPassword, { userId, passwordHash: "argon2id$second" });
show(await t.run((ctx) => auditLog.queryByResource(ctx, { resourceType: "users", resourceId: userId, limit: 2 })));

step("Documents: a bulk log in one transaction, then an edit");
const docId = await ada.mutation(api.documents.createDocument, { title: "Q3 plan", body: "...", orgId: "acme" });
await ada.mutation(api.documents.updateDocument, { documentId: docId, title: "Q3 plan (final)" });
show(await t.query(api.documents.getDocumentHistory, { documentId: docId }));

step("A mutation that fails: its audit event rolls back with it");
await ada.mutation(api.users.failingUpdate, { userId }).catch((e: Error) => console.log(dim(`  mutation failed: ${e.message.split("\n")[0]}`)));
console.log(`  events for user: ${(await t.run((ctx) => auditLog.queryByResource(ctx, { resourceType: "users", resourceId: userId }))).length} (unchanged)`);

step("From an action, and from an HTTP webhook signed with an API key (its secret is redacted)");
await ada.action(api.documents.exportDocuments, { orgId: "acme", count: 42 });
const res = await t.fetch("/webhook", {
  method: "POST",
  headers: { "content-type": "application/json", "user-agent": "stripe-hooks/1" },
  body: JSON.stringify({ event: "billing.invoice.paid", apiKeyId: "key_9", secret: "whsec_live_abc" }),
});
const { id } = (await res.json()) as { id: string };
const hook = await t.query(api.auditLog.get, { id }).catch(() => null);
console.log(dim(`  (anonymous get of the webhook event: ${hook === null ? "refused" : "allowed"})`));
show([(await t.withIdentity({ subject: "root", role: "admin" } as never).query(api.auditLog.get, { id }))!]);

step("Watching security events (warning and above)");
await t.run((ctx) =>
  auditLog.log(ctx, { action: "security.unauthorized_access", actorId: "user_mallory", tenantId: "acme", summary: "tried /admin" }),
);
show(await t.query(api.documents.watchSecurityEvents, {}));

step("Scoped reads through exposeAuditLogApi");
const own = await ada.query(api.auditLog.queryByActor, { actorId: "user_ada" });
console.log(`  Ada reads her own activity: ${own.length} events`);
const denied = await ada.query(api.auditLog.queryByActor, { actorId: "user_mallory" }).catch((e: { data?: { code?: string } }) => e.data?.code);
console.log(`  Ada reads Mallory's activity: ${denied}`);
const org = await olga.query(api.auditLog.queryByTenant, { tenantId: "acme" });
console.log(`  Olga (admin of acme) reads the acme log: ${org.length} events`);
const other = await olga.query(api.auditLog.queryByTenant, { tenantId: "globex" }).catch((e: { data?: { code?: string } }) => e.data?.code);
console.log(`  Olga reads another organisation's log: ${other}`);

console.log(`\n${bold("Done.")} Run the tests with ${bold("npm test")}; see it all live in the browser with ${bold("npm run demo")}.`);
