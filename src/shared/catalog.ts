/**
 * The action catalog: every action the package knows, with its category and
 * default severity, declared once in CATALOG below. `AuditActions` (the
 * constants), `BUILTIN_ACTIONS` (action → category and severity) and
 * `ACTIONS_BY_CATEGORY` are derived from it. Apps add their own with
 * `defineAuditActions`.
 */
import type { Category, Severity } from "./validators.js";

export type ActionInfo = { category: Category; severity: Severity };

/**
 * The OCSF 1.3 classes events are delivered as (ocsf.ts): Account Change,
 * Authentication, Entity Management (category IAM, 3) and API Activity
 * (category Application Activity, 6). Each catalog row names its class and
 * the class's activity (99 is OCSF's "Other").
 */
export const OCSF_CLASSES = { ACCOUNT: 3001, AUTHN: 3002, ENTITY: 3004, API: 6003 } as const;
export type OcsfClass = (typeof OCSF_CLASSES)[keyof typeof OCSF_CLASSES];
export type OcsfMapping = readonly [classUid: OcsfClass, activityId: number];
const { ACCOUNT, AUTHN, ENTITY, API } = OCSF_CLASSES;
export type ActionCatalog = Record<string, ActionInfo>;

/**
 * Constant name → [action, category, default severity, OCSF class and activity], grouped by category.
 * The first 25 are the original API's `AuditActions`; their values never change.
 * Sign-in has one action per method, so statistics can tell the methods apart;
 * every failed sign-in, whatever the method, is `user.login.failed` (with the
 * method in `metadata.method`), so one anomaly rule watches them all.
 */
const CATALOG = {
  // ---- auth: signing in and out, sessions, credentials, the account's email and linked accounts
  USER_LOGIN: ["user.login", "auth", "info", [AUTHN, 1]],
  USER_LOGIN_FAILED: ["user.login.failed", "auth", "warning", [AUTHN, 1]],
  USER_LOGOUT: ["user.logout", "auth", "info", [AUTHN, 2]],
  USER_SIGNUP: ["user.signup", "auth", "info", [ACCOUNT, 1]],
  PASSWORD_CHANGED: ["user.password.changed", "auth", "warning", [ACCOUNT, 3]],
  PASSWORD_RESET_REQUESTED: ["user.password.reset_requested", "auth", "info", [ACCOUNT, 99]],
  PASSWORD_RESET_COMPLETED: ["user.password.reset_completed", "auth", "warning", [ACCOUNT, 4]],
  USER_LOGIN_EMAIL: ["user.login.email", "auth", "info", [AUTHN, 1]],
  USER_LOGIN_USERNAME: ["user.login.username", "auth", "info", [AUTHN, 1]],
  USER_LOGIN_SOCIAL: ["user.login.social", "auth", "info", [AUTHN, 1]],
  USER_LOGIN_MAGIC_LINK: ["user.login.magic_link", "auth", "info", [AUTHN, 1]],
  USER_LOGIN_EMAIL_OTP: ["user.login.email_otp", "auth", "info", [AUTHN, 1]],
  USER_LOGIN_PASSKEY: ["user.login.passkey", "auth", "info", [AUTHN, 1]],
  USER_LOGIN_ANONYMOUS: ["user.login.anonymous", "auth", "info", [AUTHN, 1]],
  MAGIC_LINK_SENT: ["user.magic_link.sent", "auth", "info", [AUTHN, 99]],
  EMAIL_OTP_SENT: ["user.email_otp.sent", "auth", "info", [AUTHN, 99]],
  SESSION_REVOKED: ["user.session.revoked", "auth", "info", [AUTHN, 2]],
  SESSIONS_REVOKED_OTHERS: ["user.session.revoked_others", "auth", "info", [AUTHN, 2]],
  SESSIONS_REVOKED_ALL: ["user.session.revoked_all", "auth", "warning", [AUTHN, 2]],
  EMAIL_VERIFICATION_SENT: ["user.email.verification_sent", "auth", "info", [ACCOUNT, 99]],
  EMAIL_VERIFIED: ["user.email.verified", "auth", "info", [ACCOUNT, 99]],
  EMAIL_CHANGED: ["user.email.changed", "auth", "warning", [ACCOUNT, 99]],
  ACCOUNT_LINKED: ["user.account.linked", "auth", "warning", [ACCOUNT, 99]],
  ACCOUNT_UNLINKED: ["user.account.unlinked", "auth", "warning", [ACCOUNT, 99]],

  // ---- security: second factors, passkeys, API keys, denials
  MFA_ENABLED: ["user.mfa.enabled", "security", "info", [ACCOUNT, 10]],
  MFA_DISABLED: ["user.mfa.disabled", "security", "warning", [ACCOUNT, 11]],
  MFA_CHALLENGED: ["user.mfa.challenged", "security", "info", [AUTHN, 1]],
  MFA_TOTP_VERIFIED: ["user.mfa.totp_verified", "security", "info", [AUTHN, 1]],
  MFA_OTP_SENT: ["user.mfa.otp_sent", "security", "info", [AUTHN, 99]],
  MFA_OTP_VERIFIED: ["user.mfa.otp_verified", "security", "info", [AUTHN, 1]],
  MFA_BACKUP_CODE_USED: ["user.mfa.backup_code_used", "security", "warning", [AUTHN, 1]],
  MFA_BACKUP_CODES_GENERATED: ["user.mfa.backup_codes_generated", "security", "warning", [ACCOUNT, 99]],
  MFA_FAILED: ["user.mfa.failed", "security", "warning", [AUTHN, 1]],
  PASSKEY_ADDED: ["user.passkey.added", "security", "info", [ACCOUNT, 10]],
  PASSKEY_DELETED: ["user.passkey.deleted", "security", "warning", [ACCOUNT, 11]],
  API_KEY_CREATED: ["api_key.created", "security", "warning", [ENTITY, 1]],
  API_KEY_UPDATED: ["api_key.updated", "security", "warning", [ENTITY, 3]],
  API_KEY_REVOKED: ["api_key.revoked", "security", "warning", [ENTITY, 4]],
  UNAUTHORIZED_ACCESS: ["security.unauthorized_access", "security", "critical", [API, 99]],
  SUSPICIOUS_ACTIVITY: ["security.suspicious_activity", "security", "critical", [API, 99]],
  RATE_LIMIT_EXCEEDED: ["security.rate_limit_exceeded", "security", "warning", [API, 99]],

  // ---- admin: user administration (the app's admins acting on other users) and settings
  USER_CREATED: ["user.created", "admin", "info", [ACCOUNT, 1]],
  USER_UPDATED: ["user.updated", "admin", "info", [ACCOUNT, 99]],
  USER_DELETED: ["user.deleted", "admin", "warning", [ACCOUNT, 6]],
  USER_ROLE_CHANGED: ["user.role.changed", "admin", "warning", [ACCOUNT, 99]],
  USER_PERMISSIONS_CHANGED: ["user.permissions.changed", "admin", "warning", [ACCOUNT, 99]],
  SETTINGS_CHANGED: ["settings.changed", "admin", "warning", [ENTITY, 3]],
  ADMIN_USER_UPDATED: ["admin.user.updated", "admin", "warning", [ACCOUNT, 99]],
  ADMIN_USER_BANNED: ["admin.user.banned", "admin", "warning", [ACCOUNT, 5]],
  ADMIN_USER_UNBANNED: ["admin.user.unbanned", "admin", "warning", [ACCOUNT, 2]],
  ADMIN_USER_REMOVED: ["admin.user.removed", "admin", "warning", [ACCOUNT, 6]],
  ADMIN_PASSWORD_SET: ["admin.user.password_set", "admin", "warning", [ACCOUNT, 4]],
  ADMIN_SESSION_REVOKED: ["admin.user.session_revoked", "admin", "warning", [AUTHN, 2]],
  ADMIN_SESSIONS_REVOKED: ["admin.user.sessions_revoked", "admin", "warning", [AUTHN, 2]],
  ADMIN_IMPERSONATION_STARTED: ["admin.impersonation.started", "admin", "critical", [AUTHN, 99]],
  ADMIN_IMPERSONATION_STOPPED: ["admin.impersonation.stopped", "admin", "warning", [AUTHN, 99]],

  // ---- organization: the organisation itself
  ORGANIZATION_CREATED: ["organization.created", "organization", "info", [ENTITY, 1]],
  ORGANIZATION_UPDATED: ["organization.updated", "organization", "info", [ENTITY, 3]],
  ORGANIZATION_DELETED: ["organization.deleted", "organization", "warning", [ENTITY, 4]],

  // ---- member: who belongs to an organisation, and invitations
  MEMBER_ADDED: ["member.added", "member", "info", [ENTITY, 1]],
  MEMBER_REMOVED: ["member.removed", "member", "warning", [ENTITY, 4]],
  MEMBER_ROLE_CHANGED: ["member.role_changed", "member", "warning", [ENTITY, 3]],
  MEMBER_LEFT: ["member.left", "member", "info", [ENTITY, 4]],
  INVITATION_CREATED: ["member.invitation.created", "member", "info", [ENTITY, 1]],
  INVITATION_ACCEPTED: ["member.invitation.accepted", "member", "info", [ENTITY, 3]],
  INVITATION_REJECTED: ["member.invitation.rejected", "member", "info", [ENTITY, 3]],
  INVITATION_CANCELED: ["member.invitation.canceled", "member", "info", [ENTITY, 4]],

  // ---- data: records
  RECORD_CREATED: ["record.created", "data", "info", [API, 1]],
  RECORD_UPDATED: ["record.updated", "data", "info", [API, 3]],
  RECORD_DELETED: ["record.deleted", "data", "warning", [API, 4]],
  RECORD_VIEWED: ["record.viewed", "data", "info", [API, 2]],
  RECORD_EXPORTED: ["record.exported", "data", "warning", [API, 2]],

  // ---- the audit log itself: every report, export, view and deletion of audit data is on the record
  AUDIT_REPORT_GENERATED: ["audit.report.generated", "admin", "info", [API, 2]],
  AUDIT_EXPORT_STARTED: ["audit.report.export_started", "admin", "info", [API, 1]],
  AUDIT_EXPORT_FAILED: ["audit.report.export_failed", "admin", "warning", [API, 1]],
  AUDIT_EXPORT_CANCELED: ["audit.report.export_canceled", "admin", "info", [API, 4]],
  AUDIT_LOG_VIEWED: ["audit.log.viewed", "admin", "info", [API, 2]],
  AUDIT_RETENTION_RUN: ["audit.retention.run", "system", "info", [API, 4]],
  AUDIT_RETENTION_DELETED: ["audit.retention.deleted", "system", "info", [API, 4]],
  AUDIT_SUBJECT_ERASED: ["audit.subject.erased", "admin", "warning", [API, 3]],
  AUDIT_RETENTION_POLICY_SET: ["audit.retention.policy_set", "admin", "warning", [ENTITY, 3]],
  AUDIT_HOLD_PLACED: ["audit.hold.placed", "admin", "info", [ENTITY, 1]],
  AUDIT_HOLD_RELEASED: ["audit.hold.released", "admin", "warning", [ENTITY, 4]],
  // Delivery sinks (delivery.ts): where the log goes is on the record too.
  AUDIT_SINK_CONFIGURED: ["audit.sink.configured", "admin", "warning", [ENTITY, 3]],
  AUDIT_SINK_PAUSED: ["audit.sink.paused", "admin", "warning", [ENTITY, 11]],
  AUDIT_SINK_RESUMED: ["audit.sink.resumed", "admin", "info", [ENTITY, 10]],
  AUDIT_SINK_BACKFILLED: ["audit.sink.backfilled", "admin", "info", [ENTITY, 3]],
  AUDIT_SINK_REMOVED: ["audit.sink.removed", "admin", "warning", [ENTITY, 4]],
  AUDIT_SINK_FAILED: ["audit.sink.failed", "system", "error", [ENTITY, 9]],

  // ---- system: functions that failed (auditedMutation / auditedAction / auditedHttpAction)
  FUNCTION_FAILED: ["function.failed", "system", "error", [API, 99]],
} as const satisfies Record<string, readonly [string, Category, Severity, OcsfMapping]>;

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

/** Every built-in action's OCSF class and activity. */
export const OCSF_OF_ACTION = Object.fromEntries(Object.values(CATALOG).map(([action, , , ocsf]) => [action, ocsf])) as {
  readonly [A in BuiltinAction]: OcsfMapping;
};

/** An app's own action: its category's class (its activity from its last word, in ocsf.ts). */
export const OCSF_OF_CATEGORY: Readonly<Record<Category, OcsfClass>> = {
  auth: AUTHN,
  security: API,
  admin: ENTITY,
  organization: ENTITY,
  member: ENTITY,
  billing: API,
  data: API,
  system: API,
};

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
