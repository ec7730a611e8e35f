/**
 * The action catalog: every action the package knows, with its category and
 * default severity. Apps add their own with `defineAuditActions`.
 */
import type { Category, Severity } from "./validators.js";

export type ActionInfo = { category: Category; severity: Severity };
export type ActionCatalog = Record<string, ActionInfo>;

export const AuditActions = {
  USER_LOGIN: "user.login",
  USER_LOGIN_FAILED: "user.login.failed",
  USER_LOGOUT: "user.logout",
  USER_SIGNUP: "user.signup",
  PASSWORD_CHANGED: "user.password.changed",
  PASSWORD_RESET_REQUESTED: "user.password.reset_requested",
  PASSWORD_RESET_COMPLETED: "user.password.reset_completed",
  MFA_ENABLED: "user.mfa.enabled",
  MFA_DISABLED: "user.mfa.disabled",
  USER_CREATED: "user.created",
  USER_UPDATED: "user.updated",
  USER_DELETED: "user.deleted",
  USER_ROLE_CHANGED: "user.role.changed",
  USER_PERMISSIONS_CHANGED: "user.permissions.changed",
  RECORD_CREATED: "record.created",
  RECORD_UPDATED: "record.updated",
  RECORD_DELETED: "record.deleted",
  RECORD_VIEWED: "record.viewed",
  RECORD_EXPORTED: "record.exported",
  SETTINGS_CHANGED: "settings.changed",
  API_KEY_CREATED: "api_key.created",
  API_KEY_REVOKED: "api_key.revoked",
  UNAUTHORIZED_ACCESS: "security.unauthorized_access",
  SUSPICIOUS_ACTIVITY: "security.suspicious_activity",
  RATE_LIMIT_EXCEEDED: "security.rate_limit_exceeded",
  // What the package logs itself, so every report, export and deletion of audit data is audited.
  AUDIT_REPORT_GENERATED: "audit.report.generated",
  AUDIT_EXPORT_STARTED: "audit.report.export_started",
  AUDIT_EXPORT_FAILED: "audit.report.export_failed",
  AUDIT_EXPORT_CANCELED: "audit.report.export_canceled",
  AUDIT_RETENTION_RUN: "audit.retention.run",
  AUDIT_RETENTION_DELETED: "audit.retention.deleted",
  AUDIT_SUBJECT_ERASED: "audit.subject.erased",
  AUDIT_RETENTION_POLICY_SET: "audit.retention.policy_set",
  AUDIT_HOLD_PLACED: "audit.hold.placed",
  AUDIT_HOLD_RELEASED: "audit.hold.released",
} as const;

export type BuiltinAction = (typeof AuditActions)[keyof typeof AuditActions];

export const BUILTIN_ACTIONS = {
  "user.login": { category: "auth", severity: "info" },
  "user.login.failed": { category: "auth", severity: "warning" },
  "user.logout": { category: "auth", severity: "info" },
  "user.signup": { category: "auth", severity: "info" },
  "user.password.changed": { category: "auth", severity: "warning" },
  "user.password.reset_requested": { category: "auth", severity: "info" },
  "user.password.reset_completed": { category: "auth", severity: "warning" },
  "user.mfa.enabled": { category: "security", severity: "info" },
  "user.mfa.disabled": { category: "security", severity: "warning" },
  "user.created": { category: "admin", severity: "info" },
  "user.updated": { category: "admin", severity: "info" },
  "user.deleted": { category: "admin", severity: "warning" },
  "user.role.changed": { category: "admin", severity: "warning" },
  "user.permissions.changed": { category: "admin", severity: "warning" },
  "record.created": { category: "data", severity: "info" },
  "record.updated": { category: "data", severity: "info" },
  "record.deleted": { category: "data", severity: "warning" },
  "record.viewed": { category: "data", severity: "info" },
  "record.exported": { category: "data", severity: "warning" },
  "settings.changed": { category: "admin", severity: "warning" },
  "api_key.created": { category: "security", severity: "warning" },
  "api_key.revoked": { category: "security", severity: "warning" },
  "security.unauthorized_access": { category: "security", severity: "critical" },
  "security.suspicious_activity": { category: "security", severity: "critical" },
  "security.rate_limit_exceeded": { category: "security", severity: "warning" },
  "audit.report.generated": { category: "admin", severity: "info" },
  "audit.report.export_started": { category: "admin", severity: "info" },
  "audit.report.export_failed": { category: "admin", severity: "warning" },
  "audit.report.export_canceled": { category: "admin", severity: "info" },
  "audit.retention.run": { category: "system", severity: "info" },
  "audit.retention.deleted": { category: "system", severity: "info" },
  "audit.subject.erased": { category: "admin", severity: "warning" },
  "audit.retention.policy_set": { category: "admin", severity: "warning" },
  "audit.hold.placed": { category: "admin", severity: "info" },
  "audit.hold.released": { category: "admin", severity: "warning" },
} as const satisfies Record<BuiltinAction, ActionInfo>;

// Every constant has catalog info, and the catalog has nothing else.
true satisfies keyof typeof BUILTIN_ACTIONS extends BuiltinAction ? true : false;

/**
 * Declare your app's actions once; pass the result to `new AuditLog(...,
 * { actions })` and a misspelt action becomes a type error.
 *
 * ```ts
 * export const actions = defineAuditActions({
 *   "workspace.record_exported": { category: "organization", severity: "info" },
 * });
 * ```
 */
export function defineAuditActions<const C extends ActionCatalog>(catalog: C): C {
  return catalog;
}

/** Resolve an action's catalog entry: the app's catalog first, then the built-ins. */
export function lookupAction(
  action: string,
  catalog: ActionCatalog | undefined,
): ActionInfo | undefined {
  if (catalog && Object.prototype.hasOwnProperty.call(catalog, action)) {
    return catalog[action];
  }
  if (Object.prototype.hasOwnProperty.call(BUILTIN_ACTIONS, action)) {
    return BUILTIN_ACTIONS[action as BuiltinAction];
  }
  return undefined;
}
