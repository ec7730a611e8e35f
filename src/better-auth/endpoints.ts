/**
 * Every BetterAuth endpoint the plugin records, declared once: its path (or,
 * for server-only endpoints that have none, `op:` and the `auth.api` name),
 * the catalog action of its success and of its failure, and how the target,
 * the tenant and the few safe details are read from the call. Adding an
 * endpoint is a row here and a case in example/convex/betterAuth.test.ts.
 */
import { AuditActions as A } from "../shared/catalog.js";
import { fieldNames, obj, returnedUserId, role, str, type Json, type Seen } from "./capture.js";

export type Scalar = string | number | boolean;
export type Target = { type: string; id: string | undefined };

/** What the before hook must resolve while it still can (the endpoint ends or replaces it). */
export type Pre = "session" | "twoFactorUser" | "resetUser" | "emailTokenUser" | "sessionByToken" | "adminSessionByToken" | "accountProvider";

export type EndpointSpec = {
  /** The action of a success. */
  action: string;
  /** The action of a failure; default `action` (with status "failure"). */
  failure?: string;
  /** A few words for the event's summary. */
  label: string;
  /** Sign-in and sign-up method, recorded as `metadata.method`. */
  method?: string;
  pre?: Pre;
  /** A body field whose value identifies an account (email, username): stored only HMAC-hashed. */
  identifier?: "email" | "username" | "newEmail";
  target?: (s: Seen) => Target | undefined;
  tenant?: (s: Seen) => string | undefined;
  metadata?: (s: Seen) => Record<string, Scalar | undefined>;
  /** Who acted, when it is not the caller's session (stopping an impersonation: the admin). */
  actor?: (s: Seen) => string | undefined;
  /**
   * Overrides the outcome: "skip" when the call did not do the audited thing
   * (an OAuth sign-in that only returned the provider's URL), or another
   * action (a sign-in that stopped at the second factor).
   */
  outcome?: (s: Seen) => "skip" | { action: string; label: string } | undefined;
};

const user = (id: string | undefined): Target => ({ type: "user", id });
const self = (s: Seen) => user(s.session?.user.id ?? s.newSession?.user.id ?? returnedUserId(s.returned));
const bodyUser = (s: Seen) => user(str(s.body, "userId"));
const org = (s: Seen) =>
  str(s.body, "organizationId") ?? str(s.returned, "organizationId") ?? s.session?.session.activeOrganizationId;
/** The returned value's `id` (or `member.id`, `invitation.id` …). */
const returnedId = (s: Seen, inner?: string) => str(inner === undefined ? s.returned : obj(s.returned, inner), "id");

/** A sign-in that stopped at the second factor, or that only returned a provider URL to go to. */
const signInOutcome = (s: Seen): ReturnType<NonNullable<EndpointSpec["outcome"]>> => {
  if (s.error !== undefined) return undefined;
  if (s.returned.twoFactorRedirect === true) return { action: A.MFA_CHALLENGED, label: "Second factor required" };
  if (s.newSession === undefined && returnedUserId(s.returned) === undefined) return "skip";
  return undefined;
};

const signIn = (action: string, method: string, extra: Partial<EndpointSpec> = {}): EndpointSpec => ({
  action,
  failure: A.USER_LOGIN_FAILED,
  label: `Sign-in (${method.replace("_", " ")})`,
  method,
  target: self,
  outcome: signInOutcome,
  ...extra,
});

const verifyFactor = (action: string, method: string, label: string): EndpointSpec => ({
  action,
  failure: A.MFA_FAILED,
  label,
  method,
  pre: "twoFactorUser",
  target: (s) => user(s.session?.user.id ?? s.newSession?.user.id ?? s.pendingUserId),
});

export const BETTER_AUTH_ENDPOINTS: Record<string, EndpointSpec> = {
  // ---- signing up, in and out
  "/sign-up/email": { action: A.USER_SIGNUP, label: "Sign-up (email)", method: "email", identifier: "email", target: self },
  "/sign-in/email": signIn(A.USER_LOGIN_EMAIL, "email", { identifier: "email" }),
  "/sign-in/username": signIn(A.USER_LOGIN_USERNAME, "username", { identifier: "username" }),
  "/sign-in/social": signIn(A.USER_LOGIN_SOCIAL, "social", { metadata: (s) => ({ provider: str(s.body, "provider", 64) }) }),
  "/callback/:id": {
    action: A.USER_LOGIN_SOCIAL,
    failure: A.USER_LOGIN_FAILED,
    label: "Sign-in (social)",
    method: "social",
    pre: "session",
    target: self,
    metadata: (s) => ({ provider: str(s.params, "id", 64) }),
    outcome: (s) => {
      if (s.error !== undefined || s.newSession !== undefined) return undefined;
      // No new session and no error: the callback of linking an account to the signed-in user.
      return s.session !== undefined ? { action: A.ACCOUNT_LINKED, label: "Account linked" } : "skip";
    },
  },
  "/sign-in/magic-link": { action: A.MAGIC_LINK_SENT, label: "Magic link sent", identifier: "email" },
  "/magic-link/verify": signIn(A.USER_LOGIN_MAGIC_LINK, "magic_link"),
  "/sign-in/email-otp": signIn(A.USER_LOGIN_EMAIL_OTP, "email_otp", { identifier: "email" }),
  "/email-otp/send-verification-otp": {
    action: A.EMAIL_OTP_SENT,
    label: "Email code sent",
    identifier: "email",
    metadata: (s) => ({ type: str(s.body, "type", 64) }),
  },
  "/sign-in/anonymous": signIn(A.USER_LOGIN_ANONYMOUS, "anonymous"),
  "/passkey/verify-authentication": signIn(A.USER_LOGIN_PASSKEY, "passkey"),
  "/sign-out": { action: A.USER_LOGOUT, label: "Sign-out", pre: "session", target: self },

  // ---- sessions
  "/revoke-session": {
    action: A.SESSION_REVOKED,
    label: "Session revoked",
    pre: "sessionByToken",
    target: (s) => ({ type: "session", id: s.pendingTargetId }),
  },
  "/revoke-other-sessions": { action: A.SESSIONS_REVOKED_OTHERS, label: "Other sessions revoked", target: self },
  "/revoke-sessions": { action: A.SESSIONS_REVOKED_ALL, label: "All sessions revoked", target: self },

  // ---- credentials, email, the account
  "/change-password": {
    action: A.PASSWORD_CHANGED,
    label: "Password changed",
    target: self,
    metadata: (s) => ({ revokeOtherSessions: s.body.revokeOtherSessions === true }),
  },
  "/request-password-reset": { action: A.PASSWORD_RESET_REQUESTED, label: "Password reset requested", identifier: "email" },
  "/email-otp/request-password-reset": { action: A.PASSWORD_RESET_REQUESTED, label: "Password reset requested", method: "email_otp", identifier: "email" },
  "/forget-password/email-otp": { action: A.PASSWORD_RESET_REQUESTED, label: "Password reset requested", method: "email_otp", identifier: "email" },
  "/reset-password": { action: A.PASSWORD_RESET_COMPLETED, label: "Password reset", pre: "resetUser", target: (s) => user(s.pendingUserId) },
  "/email-otp/reset-password": { action: A.PASSWORD_RESET_COMPLETED, label: "Password reset", method: "email_otp", identifier: "email" },
  "/send-verification-email": { action: A.EMAIL_VERIFICATION_SENT, label: "Verification email sent", identifier: "email", target: self },
  "/verify-email": {
    action: A.EMAIL_VERIFIED,
    label: "Email verified",
    pre: "emailTokenUser",
    target: (s) => user(s.session?.user.id ?? s.newSession?.user.id ?? s.pendingUserId),
  },
  "/email-otp/verify-email": { action: A.EMAIL_VERIFIED, label: "Email verified", method: "email_otp", identifier: "email", target: self },
  "/change-email": { action: A.EMAIL_CHANGED, label: "Email change", identifier: "newEmail", target: self },
  "/email-otp/change-email": { action: A.EMAIL_CHANGED, label: "Email change", method: "email_otp", identifier: "newEmail", target: self },
  "/update-user": { action: A.USER_UPDATED, label: "Profile updated", target: self, metadata: (s) => ({ fields: fieldNames(s.body) }) },
  "/delete-user": { action: A.USER_DELETED, label: "Account deleted", target: self },
  "/delete-user/callback": { action: A.USER_DELETED, label: "Account deleted", pre: "session", target: self },
  "/link-social": {
    action: A.ACCOUNT_LINKED,
    label: "Account linked",
    target: self,
    metadata: (s) => ({ provider: str(s.body, "provider", 64) }),
    // Without an id token it only returns the provider's URL: the callback records the link.
    outcome: (s) => (s.error === undefined && s.returned.redirect === true ? "skip" : undefined),
  },
  "/unlink-account": {
    action: A.ACCOUNT_UNLINKED,
    label: "Account unlinked",
    pre: "accountProvider",
    target: self,
    metadata: (s) => ({ provider: s.pendingProvider ?? str(s.body, "providerId", 64), accountId: str(s.body, "accountId") }),
  },

  // ---- second factors and passkeys
  "/two-factor/enable": { action: A.MFA_ENABLED, label: "Two-factor enabled", target: self },
  "/two-factor/disable": { action: A.MFA_DISABLED, label: "Two-factor disabled", target: self },
  "/two-factor/verify-totp": verifyFactor(A.MFA_TOTP_VERIFIED, "totp", "Authenticator code verified"),
  "/two-factor/send-otp": { action: A.MFA_OTP_SENT, label: "Two-factor code sent", pre: "twoFactorUser", target: (s) => user(s.session?.user.id ?? s.pendingUserId) },
  "/two-factor/verify-otp": verifyFactor(A.MFA_OTP_VERIFIED, "otp", "Two-factor code verified"),
  "/two-factor/verify-backup-code": verifyFactor(A.MFA_BACKUP_CODE_USED, "backup_code", "Backup code used"),
  "/two-factor/generate-backup-codes": { action: A.MFA_BACKUP_CODES_GENERATED, label: "Backup codes regenerated", target: self },
  "/passkey/verify-registration": { action: A.PASSKEY_ADDED, label: "Passkey added", target: (s) => ({ type: "passkey", id: returnedId(s) }) },
  "/passkey/delete-passkey": { action: A.PASSKEY_DELETED, label: "Passkey deleted", target: (s) => ({ type: "passkey", id: str(s.body, "id") }) },

  // ---- administration of other users (admin plugin)
  "/admin/create-user": { action: A.USER_CREATED, label: "User created", target: (s) => user(returnedUserId(s.returned)), metadata: (s) => ({ role: role(s.body) }) },
  "/admin/update-user": { action: A.ADMIN_USER_UPDATED, label: "User updated by an admin", target: bodyUser, metadata: (s) => ({ fields: fieldNames(s.body.data) }) },
  "/admin/set-role": { action: A.USER_ROLE_CHANGED, label: "Role set", target: bodyUser, metadata: (s) => ({ role: role(s.body) }) },
  "/admin/ban-user": {
    action: A.ADMIN_USER_BANNED,
    label: "User banned",
    target: bodyUser,
    metadata: (s) => ({ reason: str(s.body, "banReason", 512), expiresInSeconds: typeof s.body.banExpiresIn === "number" ? s.body.banExpiresIn : undefined }),
  },
  "/admin/unban-user": { action: A.ADMIN_USER_UNBANNED, label: "User unbanned", target: bodyUser },
  "/admin/impersonate-user": { action: A.ADMIN_IMPERSONATION_STARTED, label: "Impersonation started", target: bodyUser },
  "/admin/stop-impersonating": {
    action: A.ADMIN_IMPERSONATION_STOPPED,
    label: "Impersonation stopped",
    pre: "session",
    // The impersonated session belongs to the user; the admin is who acted.
    actor: (s) => s.session?.session.impersonatedBy,
    target: (s) => user(s.session?.user.id),
  },
  "/admin/remove-user": { action: A.ADMIN_USER_REMOVED, label: "User removed", target: bodyUser },
  "/admin/set-user-password": { action: A.ADMIN_PASSWORD_SET, label: "Password set by an admin", target: bodyUser },
  "/admin/revoke-user-sessions": { action: A.ADMIN_SESSIONS_REVOKED, label: "User's sessions revoked", target: bodyUser },
  "/admin/revoke-user-session": {
    action: A.ADMIN_SESSION_REVOKED,
    label: "User's session revoked",
    pre: "adminSessionByToken",
    target: (s) => ({ type: "session", id: s.pendingTargetId }),
    metadata: (s) => ({ userId: s.pendingUserId }),
  },

  // ---- organizations (organization plugin)
  "/organization/create": {
    action: A.ORGANIZATION_CREATED,
    label: "Organization created",
    target: (s) => ({ type: "organization", id: returnedId(s) }),
    tenant: (s) => returnedId(s),
    metadata: (s) => ({ slug: str(s.body, "slug", 128) }),
  },
  "/organization/update": {
    action: A.ORGANIZATION_UPDATED,
    label: "Organization updated",
    target: (s) => ({ type: "organization", id: org(s) ?? returnedId(s) }),
    tenant: (s) => org(s) ?? returnedId(s),
    metadata: (s) => ({ fields: fieldNames(s.body.data) }),
  },
  "/organization/delete": {
    action: A.ORGANIZATION_DELETED,
    label: "Organization deleted",
    target: (s) => ({ type: "organization", id: str(s.body, "organizationId") }),
    tenant: (s) => str(s.body, "organizationId"),
  },
  "op:addOrganizationMember": {
    action: A.MEMBER_ADDED,
    label: "Member added",
    target: (s) => ({ type: "member", id: returnedId(s) }),
    tenant: org,
    metadata: (s) => ({ userId: str(s.body, "userId") ?? str(s.returned, "userId"), role: role(s.body) }),
  },
  "/organization/remove-member": {
    action: A.MEMBER_REMOVED,
    label: "Member removed",
    target: (s) => ({ type: "member", id: returnedId(s, "member") }),
    tenant: (s) => org(s) ?? str(obj(s.returned, "member"), "organizationId"),
    metadata: (s) => ({ userId: str(obj(s.returned, "member"), "userId") }),
  },
  "/organization/update-member-role": {
    action: A.MEMBER_ROLE_CHANGED,
    label: "Member role changed",
    target: (s) => ({ type: "member", id: str(s.body, "memberId") }),
    tenant: org,
    metadata: (s) => ({ role: role(s.body), userId: str(s.returned, "userId") }),
  },
  "/organization/leave": {
    action: A.MEMBER_LEFT,
    label: "Left the organization",
    target: (s) => ({ type: "member", id: returnedId(s) }),
    tenant: (s) => str(s.body, "organizationId"),
  },
  "/organization/invite-member": {
    action: A.INVITATION_CREATED,
    label: "Invitation sent",
    identifier: "email",
    target: (s) => ({ type: "invitation", id: returnedId(s) }),
    tenant: org,
    metadata: (s) => ({ role: role(s.body) }),
  },
  "/organization/accept-invitation": {
    action: A.INVITATION_ACCEPTED,
    label: "Invitation accepted",
    target: (s) => ({ type: "invitation", id: str(s.body, "invitationId") }),
    tenant: (s) => str(obj(s.returned, "invitation"), "organizationId"),
    metadata: (s) => ({ memberId: returnedId(s, "member") }),
  },
  "/organization/reject-invitation": {
    action: A.INVITATION_REJECTED,
    label: "Invitation rejected",
    target: (s) => ({ type: "invitation", id: str(s.body, "invitationId") }),
    tenant: (s) => str(obj(s.returned, "invitation"), "organizationId"),
  },
  "/organization/cancel-invitation": {
    action: A.INVITATION_CANCELED,
    label: "Invitation canceled",
    target: (s) => ({ type: "invitation", id: str(s.body, "invitationId") }),
    tenant: (s) => str(s.returned, "organizationId"),
  },

  // ---- API keys (api-key plugin): the key itself is never read
  "/api-key/create": {
    action: A.API_KEY_CREATED,
    label: "API key created",
    target: (s) => ({ type: "apiKey", id: returnedId(s) }),
    metadata: (s) => ({ name: str(s.body, "name", 128), prefix: str(s.returned, "prefix", 32) }),
  },
  "/api-key/update": {
    action: A.API_KEY_UPDATED,
    label: "API key updated",
    target: (s) => ({ type: "apiKey", id: str(s.body, "keyId") }),
    metadata: (s) => ({ fields: fieldNames(s.body, ["keyId", "userId"]) }),
  },
  "/api-key/delete": { action: A.API_KEY_REVOKED, label: "API key deleted", target: (s) => ({ type: "apiKey", id: str(s.body, "keyId") }) },
};

/** The spec of a call: by path, or by `auth.api` name for server-only endpoints (no path). */
export function specFor(path: string | undefined, operationId: string | undefined): EndpointSpec | undefined {
  if (path !== undefined && Object.prototype.hasOwnProperty.call(BETTER_AUTH_ENDPOINTS, path)) return BETTER_AUTH_ENDPOINTS[path];
  // A server-only endpoint has no path (a hook handler sees "/"): it is known by its operation id.
  const key = `op:${operationId ?? ""}`;
  return Object.prototype.hasOwnProperty.call(BETTER_AUTH_ENDPOINTS, key) ? BETTER_AUTH_ENDPOINTS[key] : undefined;
}

export type { Json };
