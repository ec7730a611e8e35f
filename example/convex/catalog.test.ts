import { describe, expect, test } from "vitest";
import { ACTIONS_BY_CATEGORY, AuditActions, BUILTIN_ACTIONS, SIGN_IN_ACTIONS } from "convex-audit-log";
import { typedAuditLog } from "./auditLog";
import { initConvexTest } from "./setup.test-helper";

describe("action catalog", () => {
  test("every seed constant exists and has a category and default severity", () => {
    const seedNames = [
      "USER_LOGIN", "USER_LOGIN_FAILED", "USER_LOGOUT", "USER_SIGNUP",
      "PASSWORD_CHANGED", "PASSWORD_RESET_REQUESTED", "PASSWORD_RESET_COMPLETED",
      "MFA_ENABLED", "MFA_DISABLED", "USER_CREATED", "USER_UPDATED", "USER_DELETED",
      "USER_ROLE_CHANGED", "USER_PERMISSIONS_CHANGED", "RECORD_CREATED", "RECORD_UPDATED",
      "RECORD_DELETED", "RECORD_VIEWED", "RECORD_EXPORTED", "SETTINGS_CHANGED",
      "API_KEY_CREATED", "API_KEY_REVOKED", "UNAUTHORIZED_ACCESS", "SUSPICIOUS_ACTIVITY", "RATE_LIMIT_EXCEEDED",
    ];
    // And what the package logs itself (reports, exports, retention), in the same catalog.
    const packageNames = [
      "AUDIT_REPORT_GENERATED", "AUDIT_EXPORT_STARTED", "AUDIT_EXPORT_FAILED", "AUDIT_EXPORT_CANCELED",
      "AUDIT_RETENTION_RUN", "AUDIT_RETENTION_POLICY_SET", "AUDIT_HOLD_PLACED", "AUDIT_HOLD_RELEASED",
      // The transparency log: what retention deleted (listed leaves), and a subject erased.
      "AUDIT_RETENTION_DELETED", "AUDIT_SUBJECT_ERASED",
    ];
    for (const name of [...seedNames, ...packageNames]) {
      const action = AuditActions[name as keyof typeof AuditActions];
      expect(action, name).toBeTypeOf("string");
      expect(BUILTIN_ACTIONS[action]).toBeDefined();
    }
    // The original values are a contract: stored events and anomaly rules name them.
    expect(AuditActions).toMatchObject({
      USER_LOGIN: "user.login", USER_LOGIN_FAILED: "user.login.failed", USER_LOGOUT: "user.logout",
      USER_SIGNUP: "user.signup", MFA_ENABLED: "user.mfa.enabled", API_KEY_REVOKED: "api_key.revoked",
      UNAUTHORIZED_ACCESS: "security.unauthorized_access", RECORD_DELETED: "record.deleted",
    });
  });

  test("every constant is a distinct action with an entry; at least 45 auth, organization, member and admin actions", () => {
    const values = Object.values(AuditActions);
    expect(new Set(values).size).toBe(values.length);
    expect(Object.keys(BUILTIN_ACTIONS).sort()).toEqual([...values].sort());
    const identity = (["auth", "organization", "member", "admin"] as const).flatMap((c) => ACTIONS_BY_CATEGORY[c] ?? []);
    expect(identity.length).toBeGreaterThanOrEqual(45);
    for (const c of ["auth", "organization", "member", "admin", "security"] as const) {
      for (const action of ACTIONS_BY_CATEGORY[c] ?? []) expect(BUILTIN_ACTIONS[action].category).toBe(c);
    }
    // Every sign-in method has its own success action; failures share one.
    expect(SIGN_IN_ACTIONS.every((a) => BUILTIN_ACTIONS[a].category === "auth")).toBe(true);
  });

  test("an app catalog sets category and severity, and a misspelt action is a type error", async () => {
    const t = initConvexTest();
    const id = await t.run((ctx) => typedAuditLog.log(ctx, { action: "document.deleted", resourceType: "documents", resourceId: "d" }));
    const builtin = await t.run((ctx) => typedAuditLog.log(ctx, { action: AuditActions.UNAUTHORIZED_ACCESS }));
    const [a, b] = await t.run(async (ctx) => [await typedAuditLog.get(ctx, { id }), await typedAuditLog.get(ctx, { id: builtin })]);
    expect(a).toMatchObject({ category: "data", severity: "warning" });
    expect(b).toMatchObject({ category: "security", severity: "critical" });
    // Checked by `npm run typecheck`: the line below must stay a type error.
    // @ts-expect-error "document.delted" is not in the catalog.
    const typo = () => typedAuditLog.log({} as never, { action: "document.delted" });
    expect(typo).toBeTypeOf("function");
  });
});
