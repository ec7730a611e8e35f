/**
 * The action catalog: every action the package knows, with its category and
 * default severity, declared once in CATALOG below. `AuditActions` (the
 * constants), `BUILTIN_ACTIONS` (action → category and severity) and
 * `ACTIONS_BY_CATEGORY` are derived from it. Apps add their own with
 * `defineAuditActions`.
 */
import type { Category, Severity } from "./validators.js";

export type ActionInfo = { category: Category; severity: Severity };
export type ActionCatalog = Record<string, ActionInfo>;

/**
 * Constant name → [action, category, default severity], grouped by category.
 * The first 25 are the original API's `AuditActions`; their values never change.
 * Sign-in has one action per method, so statistics can tell the methods apart;
 * every failed sign-in, whatever the method, is `user.login.failed` (with the
 * method in `metadata.method`), so one anomaly rule watches them all.
 */
const CATALOG = {
  // ---- auth: signing in and out, sessions, credentials, the account's email and linked accounts
  USER_LOGIN: ["user.login", "auth", "info"],
  USER_LOGIN_FAILED: ["user.login.failed", "auth", "warning"],
  USER_LOGOUT: ["user.logout", "auth", "info"],
  USER_SIGNUP: ["user.signup", "auth", "info"],
  PASSWORD_CHANGED: ["user.password.changed", "auth", "warning"],
  PASSWORD_RESET_REQUESTED: ["user.password.reset_requested", "auth", "info"],
  PASSWORD_RESET_COMPLETED: ["user.password.reset_completed", "auth", "warning"],
  USER_LOGIN_EMAIL: ["user.login.email", "auth", "info"],
  USER_LOGIN_USERNAME: ["user.login.username", "auth", "info"],
  USER_LOGIN_SOCIAL: ["user.login.social", "auth", "info"],
  USER_LOGIN_MAGIC_LINK: ["user.login.magic_link", "auth", "info"],
  USER_LOGIN_EMAIL_OTP: ["user.login.email_otp", "auth", "info"],
  USER_LOGIN_PASSKEY: ["user.login.passkey", "auth", "info"],
  USER_LOGIN_ANONYMOUS: ["user.login.anonymous", "auth", "info"],
  MAGIC_LINK_SENT: ["user.magic_link.sent", "auth", "info"],
  EMAIL_OTP_SENT: ["user.email_otp.sent", "auth", "info"],
  SESSION_REVOKED: ["user.session.revoked", "auth", "info"],
  SESSIONS_REVOKED_OTHERS: ["user.session.revoked_others", "auth", "info"],
  SESSIONS_REVOKED_ALL: ["user.session.revoked_all", "auth", "warning"],
  EMAIL_VERIFICATION_SENT: ["user.email.verification_sent", "auth", "info"],
  EMAIL_VERIFIED: ["user.email.verified", "auth", "info"],
  EMAIL_CHANGED: ["user.email.changed", "auth", "warning"],
  ACCOUNT_LINKED: ["user.account.linked", "auth", "warning"],
  ACCOUNT_UNLINKED: ["user.account.unlinked", "auth", "warning"],

  // ---- security: second factors, passkeys, API keys, denials
  MFA_ENABLED: ["user.mfa.enabled", "security", "info"],
  MFA_DISABLED: ["user.mfa.disabled", "security", "warning"],
  MFA_CHALLENGED: ["user.mfa.challenged", "security", "info"],
  MFA_TOTP_VERIFIED: ["user.mfa.totp_verified", "security", "info"],
  MFA_OTP_SENT: ["user.mfa.otp_sent", "security", "info"],
  MFA_OTP_VERIFIED: ["user.mfa.otp_verified", "security", "info"],
  MFA_BACKUP_CODE_USED: ["user.mfa.backup_code_used", "security", "warning"],
  MFA_BACKUP_CODES_GENERATED: ["user.mfa.backup_codes_generated", "security", "warning"],
  MFA_FAILED: ["user.mfa.failed", "security", "warning"],
  PASSKEY_ADDED: ["user.passkey.added", "security", "info"],
  PASSKEY_DELETED: ["user.passkey.deleted", "security", "warning"],
  API_KEY_CREATED: ["api_key.created", "security", "warning"],
  API_KEY_UPDATED: ["api_key.updated", "security", "warning"],
  API_KEY_REVOKED: ["api_key.revoked", "security", "warning"],
  UNAUTHORIZED_ACCESS: ["security.unauthorized_access", "security", "critical"],
  SUSPICIOUS_ACTIVITY: ["security.suspicious_activity", "security", "critical"],
  RATE_LIMIT_EXCEEDED: ["security.rate_limit_exceeded", "security", "warning"],

  // ---- admin: user administration (the app's admins acting on other users) and settings
  USER_CREATED: ["user.created", "admin", "info"],
  USER_UPDATED: ["user.updated", "admin", "info"],
  USER_DELETED: ["user.deleted", "admin", "warning"],
  USER_ROLE_CHANGED: ["user.role.changed", "admin", "warning"],
  USER_PERMISSIONS_CHANGED: ["user.permissions.changed", "admin", "warning"],
  SETTINGS_CHANGED: ["settings.changed", "admin", "warning"],
  ADMIN_USER_UPDATED: ["admin.user.updated", "admin", "warning"],
  ADMIN_USER_BANNED: ["admin.user.banned", "admin", "warning"],
  ADMIN_USER_UNBANNED: ["admin.user.unbanned", "admin", "warning"],
  ADMIN_USER_REMOVED: ["admin.user.removed", "admin", "warning"],
  ADMIN_PASSWORD_SET: ["admin.user.password_set", "admin", "warning"],
  ADMIN_SESSION_REVOKED: ["admin.user.session_revoked", "admin", "warning"],
  ADMIN_SESSIONS_REVOKED: ["admin.user.sessions_revoked", "admin", "warning"],
  ADMIN_IMPERSONATION_STARTED: ["admin.impersonation.started", "admin", "critical"],
  ADMIN_IMPERSONATION_STOPPED: ["admin.impersonation.stopped", "admin", "warning"],

  // ---- organization: the organisation itself
  ORGANIZATION_CREATED: ["organization.created", "organization", "info"],
  ORGANIZATION_UPDATED: ["organization.updated", "organization", "info"],
  ORGANIZATION_DELETED: ["organization.deleted", "organization", "warning"],

  // ---- member: who belongs to an organisation, and invitations
  MEMBER_ADDED: ["member.added", "member", "info"],
  MEMBER_REMOVED: ["member.removed", "member", "warning"],
  MEMBER_ROLE_CHANGED: ["member.role_changed", "member", "warning"],
  MEMBER_LEFT: ["member.left", "member", "info"],
  INVITATION_CREATED: ["member.invitation.created", "member", "info"],
  INVITATION_ACCEPTED: ["member.invitation.accepted", "member", "info"],
  INVITATION_REJECTED: ["member.invitation.rejected", "member", "info"],
  INVITATION_CANCELED: ["member.invitation.canceled", "member", "info"],

  // ---- data: records
  RECORD_CREATED: ["record.created", "data", "info"],
  RECORD_UPDATED: ["record.updated", "data", "info"],
  RECORD_DELETED: ["record.deleted", "data", "warning"],
  RECORD_VIEWED: ["record.viewed", "data", "info"],
  RECORD_EXPORTED: ["record.exported", "data", "warning"],

  // ---- the audit log itself: every report, export, view and deletion of audit data is on the record
  AUDIT_REPORT_GENERATED: ["audit.report.generated", "admin", "info"],
  AUDIT_EXPORT_STARTED: ["audit.report.export_started", "admin", "info"],
  AUDIT_EXPORT_FAILED: ["audit.report.export_failed", "admin", "warning"],
  AUDIT_EXPORT_CANCELED: ["audit.report.export_canceled", "admin", "info"],
  AUDIT_LOG_VIEWED: ["audit.log.viewed", "admin", "info"],
  AUDIT_RETENTION_RUN: ["audit.retention.run", "system", "info"],
  AUDIT_RETENTION_DELETED: ["audit.retention.deleted", "system", "info"],
  AUDIT_SUBJECT_ERASED: ["audit.subject.erased", "admin", "warning"],
  AUDIT_RETENTION_POLICY_SET: ["audit.retention.policy_set", "admin", "warning"],
  AUDIT_HOLD_PLACED: ["audit.hold.placed", "admin", "info"],
  AUDIT_HOLD_RELEASED: ["audit.hold.released", "admin", "warning"],

  // ---- system: functions that failed (auditedMutation / auditedAction / auditedHttpAction)
  FUNCTION_FAILED: ["function.failed", "system", "error"],
} as const satisfies Record<string, readonly [string, Category, Severity]>;

type Catalog = typeof CATALOG;

/** The constants: `AuditActions.USER_LOGIN === "user.login"`. */
export const AuditActions = Object.fromEntries(Object.entries(CATALOG).map(([name, [action]]) => [name, action])) as {
  readonly [K in keyof Catalog]: Catalog[K][0];
};

export type BuiltinAction = Catalog[keyof Catalog][0];

/** Every built-in action's category and default severity. */
export const BUILTIN_ACTIONS = Object.fromEntries(
  Object.values(CATALOG).map(([action, category, severity]) => [action, { category, severity }]),
) as { readonly [A in BuiltinAction]: ActionInfo };

/** The built-in actions of each category, in catalog order. */
export const ACTIONS_BY_CATEGORY = Object.values(CATALOG).reduce(
  (by, [action, category]) => {
    (by[category] ??= []).push(action);
    return by;
  },
  {} as Partial<Record<Category, BuiltinAction[]>>,
);

/** Every sign-in success, one per method (`user.login` is the method-less one apps log themselves). */
export const SIGN_IN_ACTIONS = [
  AuditActions.USER_LOGIN,
  AuditActions.USER_LOGIN_EMAIL,
  AuditActions.USER_LOGIN_USERNAME,
  AuditActions.USER_LOGIN_SOCIAL,
  AuditActions.USER_LOGIN_MAGIC_LINK,
  AuditActions.USER_LOGIN_EMAIL_OTP,
  AuditActions.USER_LOGIN_PASSKEY,
  AuditActions.USER_LOGIN_ANONYMOUS,
] as const;

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
