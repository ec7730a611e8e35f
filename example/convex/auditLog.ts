import { AuditLog, defineAuditActions, exposeAuditLogApi } from "convex-audit-log";
import { components } from "./_generated/api";

// Convex functions see the deployment's environment variables as process.env (this folder has no Node types).
declare const process: { env: Record<string, string | undefined> };

/** This app's own actions: with the catalog, a misspelt action is a type error. */
export const appActions = defineAuditActions({
  "user.profile.updated": { category: "data", severity: "info" },
  "document.created": { category: "data", severity: "info" },
  "document.updated": { category: "data", severity: "info" },
  "document.deleted": { category: "data", severity: "warning" },
  "notification.sent": { category: "system", severity: "info" },
  "report.generated": { category: "data", severity: "info" },
});

export const auditLog = new AuditLog(components.auditLog, {
  // Optional: Configure PII fields to automatically redact
  piiFields: ["email", "phone", "ssn", "password"],
  // The transparency log: checkpoints signed with the app's key (`npx convex-audit-log keygen`),
  // and what eraseSubject removes besides the actor's and the request's fields.
  integrity: {
    // Read when a checkpoint is signed (the local runtime sets a demo key after this module loads).
    get signingKey() {
      return process.env.AUDIT_LOG_SIGNING_KEY;
    },
    personalFields: ["metadata.email"],
  },
});

/** The same log with the typed catalog, for the functions below. */
export const typedAuditLog = new AuditLog(components.auditLog, {
  piiFields: ["email", "phone", "ssn", "password"],
  actions: appActions,
});

// The exposed API, as the README shows it. The auth result scopes what each caller sees: a
// user id reads only that user's own events; `{ tenantId }` confines every
// query to one organisation; `{ admin: true }` reads everything. Reports obey
// the same scopes: anyone signed in may run one, on what they may read.
export const {
  queryByResource,
  queryByActor,
  queryByTenant,
  search,
  getStats,
  detectAnomalies,
  watchCritical,
  listByResource,
  listByActor,
  listByTenant,
  get,
  generateReport,
  exportReport,
  getReportExport,
  cancelReportExport,
  proveEvent,
  proveConsistency,
  latestCheckpoint,
  openViewer,
} = exposeAuditLogApi(components.auditLog, {
  // The report runs' own events get this log's redaction settings.
  auditLog,
  auth: async (ctx) => {
    const identity = await ctx.auth.getUserIdentity();
    // Nobody signed in: null refuses every call, reads and report runs alike,
    // with the typed UNAUTHORIZED (a thrown Error would reach the app untyped).
    if (identity === null) return null;
    // Claims your auth provider puts in the token decide the wider scopes.
    if (identity.role === "admin") return { admin: true };
    if (identity.role === "org-admin" && typeof identity.orgId === "string") return { tenantId: identity.orgId };
    return identity.subject;
  },
});
