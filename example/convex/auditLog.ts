import { AuditLog, defineAuditActions } from "convex-audit-log";
import { components } from "./_generated/api";

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
});

/** The same log with the typed catalog, for the functions below. */
export const typedAuditLog = new AuditLog(components.auditLog, {
  piiFields: ["email", "phone", "ssn", "password"],
  actions: appActions,
});
