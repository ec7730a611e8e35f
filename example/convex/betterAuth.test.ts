// @vitest-environment node
/**
 * The BetterAuth plugin against a real BetterAuth 1.7 instance (memory
 * adapter; admin, organization, two-factor, passkey, api-key, username,
 * magic-link, email-OTP and anonymous plugins; GitHub as a social provider),
 * driven through `auth.handler(new Request(...))` as a browser would and
 * through `auth.api.*` as server code would. Each hook delivers into a
 * convex-test instance of the component through `convexSink` (the in-Convex
 * path; the HTTP path is betterAuthIngest.test.ts).
 *
 * Every call is checked to produce exactly its event(s), with the right
 * status; at the end of each block every string stored anywhere in the
 * events table is searched for every password, token, code and secret the
 * block used.
 */
import { afterEach, describe, expect, test, vi } from "vitest";
import { base32 } from "@better-auth/utils/base32";
import { createOTP } from "@better-auth/utils/otp";
import { convexSink } from "convex-audit-log/better-auth";
import { components } from "./_generated/api";
import { auditLog } from "./auditLog";
import { initConvexTest } from "./setup.test-helper";
import { Browser, makeAuth, type TestAuth } from "../../test/support/betterAuth";
import { SoftAuthenticator } from "../../test/support/webauthn";

type T = ReturnType<typeof initConvexTest>;
type Expected = { action: string; status?: "success" | "failure"; [k: string]: unknown };

async function allEvents(t: T) {
  const all = await t.run(async (ctx) =>
    ctx.runQuery(components.auditLog.queries.watchCritical, { severity: ["info", "warning", "error", "critical"], limit: 1000 }),
  );
  return all.sort((a, b) => a._creationTime - b._creationTime);
}

/** Every string anywhere in a value, keys included. */
function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => strings(x, out));
  else if (typeof v === "object" && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      out.push(k);
      strings(x, out);
    }
  }
  return out;
}

function setup() {
  const t = initConvexTest();
  const sink = { send: (events: never[]) => t.run((ctx) => convexSink(auditLog, ctx).send(events)) };
  const a: TestAuth = makeAuth(sink);
  const secrets = new Set<string>();
  let seen = 0;
  const s = {
    t,
    ...a,
    /** Remembers a value that must never be stored. */
    secret<V extends string>(value: V): V {
      secrets.add(value);
      return value;
    },
    /** Runs `call`, then checks the events it stored: exactly these, in order. */
    async expectEvents(call: () => Promise<unknown>, expected: Expected[]) {
      await call();
      const all = await allEvents(t);
      const got = all.slice(seen);
      seen = all.length;
      expect(got.map((e) => `${e.action}:${e.status}`), JSON.stringify(got.map((e) => e.errorMessage))).toEqual(expected.map((e) => `${e.action}:${e.status ?? "success"}`));
      got.forEach((e, i) => expect(e, JSON.stringify(e)).toMatchObject({ status: "success", ...expected[i] }));
      return got;
    },
    /** Skips the events stored so far (set-up calls whose events other tests check). */
    async sync() {
      seen = (await allEvents(t)).length;
    },
    /** No secret the block used appears in any string of any stored event. */
    async expectNoSecrets() {
      for (const value of a.inbox) for (const x of [value.token, value.otp]) if (x) secrets.add(x);
      const stored = strings(await allEvents(t));
      expect(stored.length).toBeGreaterThan(0);
      for (const secret of secrets) {
        for (const str of stored) expect(str.includes(secret), `${JSON.stringify(secret)} found in ${JSON.stringify(str)}`).toBe(false);
      }
    },
  };
  return s;
}
type S = ReturnType<typeof setup>;

async function signUp(s: S, email: string, extra: Record<string, unknown> = {}) {
  const b = new Browser(s.auth);
  const r = await b.post("/sign-up/email", { email, password: s.secret(`pw-${email}-Secret1`), name: email.split("@")[0], ...extra });
  expect(r.status).toBe(200);
  s.secret(b.cookies.get("better-auth.session_token")!.split(".")[0]);
  return { b, id: (r.body!.user as { id: string }).id };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("sign-up, sign-in per method, sign-out", () => {
  test("email and username: success, failure, sign-out; a failed sign-in hashes the identifier and finds the account", async () => {
    const s = setup();
    const [up] = await s.expectEvents(() => signUp(s, "ada@example.com", { username: "ada_l" }), [
      { action: "user.signup", resourceType: "user", metadata: { method: "email" }, context: { ip: "203.0.113.7", userAgent: "Mozilla/5.0 (TestBrowser)", source: "better-auth:/sign-up/email" } },
    ]);
    const ada = up.actorId!;
    expect(up.resourceId).toBe(ada);
    await s.expectEvents(() => new Browser(s.auth).post("/sign-up/email", { email: "ada@example.com", password: s.secret("another-Secret-9"), name: "Ada" }), [
      { action: "user.signup", status: "failure" },
    ]);
    const b = new Browser(s.auth, "192.0.2.44", "Safari/17");
    await s.expectEvents(() => b.post("/sign-in/email", { email: "ada@example.com", password: "pw-ada@example.com-Secret1" }), [
      { action: "user.login.email", actorId: ada, metadata: { method: "email" }, context: { ip: "192.0.2.44", userAgent: "Safari/17" } },
    ]);
    const [fail1] = await s.expectEvents(() => new Browser(s.auth, "198.51.100.9").post("/sign-in/email", { email: "ADA@Example.com", password: s.secret("guess-one-1") }), [
      { action: "user.login.failed", status: "failure", resourceType: "user", resourceId: ada, errorMessage: "INVALID_EMAIL_OR_PASSWORD: Invalid email or password" },
    ]);
    expect(fail1.actorId).toBeUndefined();
    expect(fail1.metadata).toMatchObject({ method: "email", errorCode: "INVALID_EMAIL_OR_PASSWORD", httpStatus: 401 });
    const [fail2] = await s.expectEvents(() => new Browser(s.auth).post("/sign-in/email", { email: "ada@example.com", password: s.secret("guess-two-2") }), [
      { action: "user.login.failed", status: "failure" },
    ]);
    // Repeated attempts on one account group by its hashed identifier, whatever the case and spaces typed.
    expect(fail1.metadata.identifierHash).toMatch(/^hmac-sha256:[0-9a-f]{32}$/);
    expect(fail2.metadata.identifierHash).toBe(fail1.metadata.identifierHash);
    const [unknown] = await s.expectEvents(() => new Browser(s.auth).post("/sign-in/email", { email: "nobody@example.com", password: s.secret("guess-3") }), [
      { action: "user.login.failed", status: "failure" },
    ]);
    expect(unknown.resourceId).toBeUndefined();
    expect(unknown.metadata.identifierHash).not.toBe(fail1.metadata.identifierHash);

    await s.expectEvents(() => new Browser(s.auth).post("/sign-in/username", { username: "ada_l", password: "pw-ada@example.com-Secret1" }), [
      { action: "user.login.username", actorId: ada, metadata: { method: "username" } },
    ]);
    await s.expectEvents(() => new Browser(s.auth).post("/sign-in/username", { username: "ada_l", password: s.secret("wrong-Secret-4") }), [
      { action: "user.login.failed", status: "failure", resourceId: ada, metadata: { method: "username" } },
    ]);
    await s.expectEvents(() => b.post("/sign-out"), [{ action: "user.logout", actorId: ada }]);
    await s.expectNoSecrets();
  });

  test("social (an id token, and the OAuth callback), magic link, email code, anonymous", async () => {
    const s = setup();
    const b = new Browser(s.auth);
    const [signUpEvent, login] = await s.expectEvents(() => b.post("/sign-in/social", { provider: "github", idToken: { token: s.secret("idtok_grace") } }), [
      { action: "user.signup", metadata: { method: "social" } },
      { action: "user.login.social", metadata: { method: "social", provider: "github" } },
    ]);
    expect(login.actorId).toBe(signUpEvent.actorId);

    // The redirect flow: starting it records nothing; the callback records the sign-in.
    const start = await s.expectEvents(() => new Browser(s.auth).post("/sign-in/social", { provider: "github", callbackURL: "/home" }), []);
    expect(start).toEqual([]);
    vi.stubGlobal("fetch", async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url === "https://github.com/login/oauth/access_token") {
        const code = new URLSearchParams(String(init?.body ?? "")).get("code");
        return Response.json({ access_token: `gho_${code}`, token_type: "bearer", scope: "read:user,user:email" });
      }
      throw new Error(`unexpected fetch ${url}`);
    });
    const oauth = new Browser(s.auth);
    const started = await oauth.post("/sign-in/social", { provider: "github", callbackURL: "/home" });
    const state = new URL(started.body!.url as string).searchParams.get("state")!;
    await s.expectEvents(() => oauth.get(`/callback/github?code=henry&state=${state}`), [
      { action: "user.signup", metadata: { method: "social" } },
      { action: "user.login.social", metadata: { provider: "github" } },
    ]);
    const denied = new Browser(s.auth);
    const state2 = new URL((await denied.post("/sign-in/social", { provider: "github", callbackURL: "/home" })).body!.url as string).searchParams.get("state")!;
    await s.expectEvents(() => denied.get(`/callback/github?error=access_denied&state=${state2}`), [
      { action: "user.login.failed", status: "failure", metadata: { method: "social", provider: "github", errorCode: "access_denied" } },
    ]);

    const { id: ada } = await signUp(s, "ada@example.com");
    await s.sync();
    await s.expectEvents(() => new Browser(s.auth).post("/sign-in/magic-link", { email: "ada@example.com" }), [{ action: "user.magic_link.sent" }]);
    const link = s.lastMail("magic-link", "ada@example.com");
    await s.expectEvents(() => new Browser(s.auth).get(`/magic-link/verify?token=${link.token}`), [{ action: "user.login.magic_link", actorId: ada }]);
    await s.expectEvents(() => new Browser(s.auth).get(`/magic-link/verify?token=${s.secret("not-a-real-magic-token")}`), [
      { action: "user.login.failed", status: "failure", metadata: { method: "magic_link" } },
    ]);

    await s.expectEvents(() => new Browser(s.auth).post("/email-otp/send-verification-otp", { email: "ada@example.com", type: "sign-in" }), [
      { action: "user.email_otp.sent", metadata: { type: "sign-in" } },
    ]);
    const otp = s.lastMail("email-otp:sign-in", "ada@example.com").otp!;
    await s.expectEvents(() => new Browser(s.auth).post("/sign-in/email-otp", { email: "ada@example.com", otp: "000000" === otp ? "111111" : "000000" }), [
      { action: "user.login.failed", status: "failure", resourceId: ada, metadata: { method: "email_otp" } },
    ]);
    await s.expectEvents(() => new Browser(s.auth).post("/sign-in/email-otp", { email: "ada@example.com", otp }), [{ action: "user.login.email_otp", actorId: ada }]);

    const guest = new Browser(s.auth);
    const [anonSignUp, anon] = await s.expectEvents(() => guest.post("/sign-in/anonymous"), [
      { action: "user.signup", metadata: { method: "anonymous" } },
      { action: "user.login.anonymous" },
    ]);
    expect(anon.actorId).toBe(anonSignUp.actorId);
    // Signed in anonymously already: refused, and recorded as a failed sign-in of that user.
    await s.expectEvents(() => guest.post("/sign-in/anonymous"), [
      { action: "user.login.failed", status: "failure", actorId: anon.actorId, metadata: { method: "anonymous" } },
    ]);
    await s.expectNoSecrets();
  });
});

describe("sessions, credentials, email and the account", () => {
  test("revoking sessions, changing and resetting the password, verifying and changing the email, updating and deleting the account", async () => {
    const s = setup();
    const { b, id: ada } = await signUp(s, "ada@example.com");
    const other = new Browser(s.auth, "192.0.2.2");
    await other.post("/sign-in/email", { email: "ada@example.com", password: "pw-ada@example.com-Secret1" });
    const third = new Browser(s.auth, "192.0.2.3");
    await third.post("/sign-in/email", { email: "ada@example.com", password: "pw-ada@example.com-Secret1" });
    await s.sync();

    const thirdToken = s.secret(third.cookies.get("better-auth.session_token")!.split(".")[0]);
    const thirdSession = (s.db.session.find((x) => x.token === thirdToken) as { id: string }).id;
    await s.expectEvents(() => b.post("/revoke-session", { token: thirdToken }), [
      { action: "user.session.revoked", actorId: ada, resourceType: "session", resourceId: thirdSession },
    ]);
    await s.expectEvents(() => b.post("/revoke-other-sessions"), [{ action: "user.session.revoked_others", actorId: ada }]);
    await s.expectEvents(() => b.post("/change-password", { currentPassword: s.secret("not-my-Password-1"), newPassword: s.secret("new-Password-22") }), [
      { action: "user.password.changed", status: "failure", actorId: ada, metadata: { errorCode: "INVALID_PASSWORD" } },
    ]);
    await s.expectEvents(() => b.post("/change-password", { currentPassword: "pw-ada@example.com-Secret1", newPassword: "new-Password-22" }), [
      { action: "user.password.changed", actorId: ada, resourceId: ada },
    ]);
    await s.expectEvents(() => new Browser(s.auth).post("/request-password-reset", { email: "ada@example.com", redirectTo: "/reset" }), [
      { action: "user.password.reset_requested" },
    ]);
    const reset = s.lastMail("reset", "ada@example.com");
    await s.expectEvents(() => new Browser(s.auth).post("/reset-password", { token: s.secret("bogus-reset-token"), newPassword: s.secret("reset-Password-33") }), [
      { action: "user.password.reset_completed", status: "failure" },
    ]);
    await s.expectEvents(() => new Browser(s.auth).post("/reset-password", { token: reset.token, newPassword: "reset-Password-33" }), [
      { action: "user.password.reset_completed", resourceType: "user", resourceId: ada },
    ]);
    const b2 = new Browser(s.auth);
    await b2.post("/sign-in/email", { email: "ada@example.com", password: "reset-Password-33" });
    await s.sync();
    await s.expectEvents(() => b2.post("/send-verification-email", { email: "ada@example.com" }), [{ action: "user.email.verification_sent", actorId: ada }]);
    const verify = s.lastMail("verify", "ada@example.com");
    await s.expectEvents(() => new Browser(s.auth).get(`/verify-email?token=${verify.token}`), [{ action: "user.email.verified", resourceId: ada }]);
    await s.expectEvents(() => new Browser(s.auth).get(`/verify-email?token=${s.secret("eyJhbGciOiJIUzI1NiJ9.e30.bad")}`), [
      { action: "user.email.verified", status: "failure", metadata: { errorCode: "INVALID_TOKEN" } },
    ]);
    const [changed] = await s.expectEvents(() => b2.post("/change-email", { newEmail: "ada.lovelace@example.com" }), [
      { action: "user.email.changed", actorId: ada, resourceId: ada },
    ]);
    expect(changed.metadata.identifierHash).toMatch(/^hmac-sha256:/);
    await s.expectEvents(() => b2.post("/update-user", { name: "Ada Lovelace", image: "https://example.com/a.png" }), [
      { action: "user.updated", actorId: ada, metadata: { fields: "image,name" } },
    ]);
    await s.expectEvents(() => b2.post("/revoke-sessions"), [{ action: "user.session.revoked_all", actorId: ada }]);
    const b3 = new Browser(s.auth);
    // A verified address is not changed at once: the change waits for the old address's confirmation.
    expect((await b3.post("/sign-in/email", { email: "ada@example.com", password: "reset-Password-33" })).status).toBe(200);
    await s.sync();
    await s.expectEvents(() => b3.post("/delete-user", { password: s.secret("wrong-Password-44") }), [{ action: "user.deleted", status: "failure", actorId: ada }]);
    await s.expectEvents(() => b3.post("/delete-user", { password: "reset-Password-33" }), [{ action: "user.deleted", actorId: ada, resourceId: ada }]);
    expect(s.db.user.some((u) => u.id === ada)).toBe(false);
    await s.expectNoSecrets();
  });

  test("linking and unlinking a social account", async () => {
    const s = setup();
    const { b, id: ada } = await signUp(s, "ada@example.com");
    await s.sync();
    await s.expectEvents(() => b.post("/link-social", { provider: "github", idToken: { token: s.secret("idtok_ada") } }), [
      { action: "user.account.linked", actorId: ada, metadata: { provider: "github" } },
    ]);
    const account = s.db.account.find((x) => x.providerId === "github") as { id: string };
    await s.expectEvents(() => b.post("/unlink-account", { accountId: account.id }), [
      { action: "user.account.unlinked", actorId: ada, metadata: { provider: "github", accountId: account.id } },
    ]);
    await s.expectEvents(() => b.post("/unlink-account", { accountId: account.id }), [
      { action: "user.account.unlinked", status: "failure", actorId: ada, metadata: { errorCode: "FAILED_TO_UNLINK_LAST_ACCOUNT" } },
    ]);
    // Linking through the provider's redirect: starting records nothing, the callback records the link.
    vi.stubGlobal("fetch", async (input: RequestInfo | URL, init?: RequestInit) => {
      const code = new URLSearchParams(String(init?.body ?? "")).get("code");
      if (String(input instanceof Request ? input.url : input) === "https://github.com/login/oauth/access_token") {
        return Response.json({ access_token: s.secret(`gho_${code}`), token_type: "bearer", scope: "read:user" });
      }
      throw new Error("unexpected fetch");
    });
    const started = await s.expectEvents(() => b.post("/link-social", { provider: "github", callbackURL: "/settings" }), []);
    expect(started).toEqual([]);
    const link = await b.post("/link-social", { provider: "github", callbackURL: "/settings" });
    const state = new URL(link.body!.url as string).searchParams.get("state")!;
    await s.expectEvents(() => b.get(`/callback/github?code=adagh&state=${state}`), [
      { action: "user.account.linked", actorId: ada, metadata: { provider: "github" } },
    ]);
    expect(s.db.account.some((x) => x.accountId === "gh-adagh")).toBe(true);
    await s.expectNoSecrets();
  });
});

describe("second factors and passkeys", () => {
  test("enable, verify (TOTP, OTP, backup code) and fail, challenge at sign-in, disable", async () => {
    const s = setup();
    const { b, id: ada } = await signUp(s, "ada@example.com");
    await s.sync();
    const [enabled] = await s.expectEvents(() => b.post("/two-factor/enable", { password: "pw-ada@example.com-Secret1" }), [
      { action: "user.mfa.enabled", actorId: ada },
    ]);
    expect(enabled.metadata).toEqual({});
    const setupAnswer = await b.post("/two-factor/get-totp-uri", { password: "pw-ada@example.com-Secret1" });
    await s.sync();
    const uri = s.secret(setupAnswer.body!.totpURI as string);
    const rawSecret = new TextDecoder().decode(base32.decode(new URL(uri).searchParams.get("secret")!));
    s.secret(new URL(uri).searchParams.get("secret")!);
    const totp = async () => s.secret(await createOTP(rawSecret, { digits: 6, period: 30 }).totp());
    const wrong = async () => ((await totp()) === "000000" ? "000001" : "000000");
    await s.expectEvents(async () => b.post("/two-factor/verify-totp", { code: await wrong() }), [
      { action: "user.mfa.failed", status: "failure", resourceId: ada, metadata: { method: "totp", errorCode: "INVALID_CODE" } },
    ]);
    await s.expectEvents(async () => b.post("/two-factor/verify-totp", { code: await totp() }), [{ action: "user.mfa.totp_verified", actorId: ada }]);
    const codes = await b.post("/two-factor/generate-backup-codes", { password: "pw-ada@example.com-Secret1" });
    const backupCodes = (codes.body!.backupCodes as string[]).map((c) => s.secret(c));
    await s.sync();

    // Signing in now stops at the second factor; the pending user is known before the factor is checked.
    const fresh = new Browser(s.auth, "198.51.100.23");
    await s.expectEvents(() => fresh.post("/sign-in/email", { email: "ada@example.com", password: "pw-ada@example.com-Secret1" }), [
      { action: "user.mfa.challenged", resourceId: ada },
    ]);
    await s.expectEvents(async () => fresh.post("/two-factor/verify-totp", { code: await wrong() }), [
      { action: "user.mfa.failed", status: "failure", resourceId: ada, context: { ip: "198.51.100.23" } },
    ]);
    await s.expectEvents(async () => fresh.post("/two-factor/verify-totp", { code: await totp() }), [
      { action: "user.mfa.totp_verified", actorId: ada, resourceId: ada },
    ]);

    const viaOtp = new Browser(s.auth);
    await viaOtp.post("/sign-in/email", { email: "ada@example.com", password: "pw-ada@example.com-Secret1" });
    await s.sync();
    await s.expectEvents(() => viaOtp.post("/two-factor/send-otp"), [{ action: "user.mfa.otp_sent", resourceId: ada }]);
    const otp = s.lastMail("2fa-otp", "ada@example.com").otp!;
    await s.expectEvents(() => viaOtp.post("/two-factor/verify-otp", { code: otp === "000000" ? "000001" : "000000" }), [
      { action: "user.mfa.failed", status: "failure", metadata: { method: "otp" } },
    ]);
    await s.expectEvents(() => viaOtp.post("/two-factor/verify-otp", { code: otp }), [{ action: "user.mfa.otp_verified", actorId: ada }]);

    const viaBackup = new Browser(s.auth);
    await viaBackup.post("/sign-in/email", { email: "ada@example.com", password: "pw-ada@example.com-Secret1" });
    await s.sync();
    await s.expectEvents(() => viaBackup.post("/two-factor/verify-backup-code", { code: s.secret("not-a-backup-code") }), [
      { action: "user.mfa.failed", status: "failure", metadata: { method: "backup_code" } },
    ]);
    await s.expectEvents(() => viaBackup.post("/two-factor/verify-backup-code", { code: backupCodes[0] }), [
      { action: "user.mfa.backup_code_used", actorId: ada, severity: "warning" },
    ]);
    await s.expectEvents(() => viaBackup.post("/two-factor/disable", { password: "pw-ada@example.com-Secret1" }), [{ action: "user.mfa.disabled", actorId: ada }]);
    await s.expectNoSecrets();
  });

  test("passkeys: added, used to sign in, forged, deleted", async () => {
    const s = setup();
    const { b, id: ada } = await signUp(s, "ada@example.com");
    await s.sync();
    const device = new SoftAuthenticator();
    const options = await b.get("/passkey/generate-register-options");
    const [added] = await s.expectEvents(async () => b.post("/passkey/verify-registration", { response: await device.register(options.body as { challenge: string }), name: "laptop" }), [
      { action: "user.passkey.added", actorId: ada, resourceType: "passkey" },
    ]);
    expect(s.db.passkey.map((p) => p.id)).toEqual([added.resourceId]);
    await s.expectEvents(() => b.post("/passkey/verify-registration", { response: { id: "x", rawId: "x", type: "public-key", response: {} } }), [
      { action: "user.passkey.added", status: "failure", actorId: ada },
    ]);

    const phone = new Browser(s.auth, "198.51.100.77");
    const challenge = await phone.get("/passkey/generate-authenticate-options");
    await s.expectEvents(async () => phone.post("/passkey/verify-authentication", { response: await device.authenticate(challenge.body as { challenge: string }) }), [
      { action: "user.login.passkey", actorId: ada, metadata: { method: "passkey" }, context: { ip: "198.51.100.77" } },
    ]);
    // Another key claiming the same credential: the signature does not verify.
    const impostor = new SoftAuthenticator();
    Object.assign(impostor, { credentialId: device.credentialId, counter: 100 });
    const thief = new Browser(s.auth);
    const challenge2 = await thief.get("/passkey/generate-authenticate-options");
    await s.expectEvents(async () => thief.post("/passkey/verify-authentication", { response: await impostor.authenticate(challenge2.body as { challenge: string }) }), [
      { action: "user.login.failed", status: "failure", metadata: { method: "passkey", errorCode: "AUTHENTICATION_FAILED" } },
    ]);
    await s.expectEvents(() => b.post("/passkey/delete-passkey", { id: added.resourceId }), [
      { action: "user.passkey.deleted", actorId: ada, resourceType: "passkey", resourceId: added.resourceId },
    ]);
    await s.expectNoSecrets();
  });
});

describe("administration, organizations, API keys", () => {
  async function adminSetup() {
    const s = setup();
    const { b: root, id: rootId } = await signUp(s, "root@example.com");
    (s.db.user.find((u) => u.id === rootId) as { role: string }).role = "admin";
    const { b: bob, id: bobId } = await signUp(s, "bob@example.com");
    await s.sync();
    return { s, root, rootId, bob, bobId };
  }

  test("admin: create, set role, ban (and the banned user's attempt), unban, impersonate and stop, set password, revoke sessions, update, remove; a non-admin is refused", async () => {
    const { s, root, rootId, bobId } = await adminSetup();
    const admin = { actorId: rootId, actor: { type: "user", role: "admin" } };
    const [created] = await s.expectEvents(() => root.post("/admin/create-user", { email: "carol@example.com", password: s.secret("carol-Secret-55"), name: "Carol", role: "user" }), [
      { action: "user.created", ...admin, resourceType: "user", metadata: { role: "user" } },
    ]);
    const carol = created.resourceId!;
    await s.expectEvents(() => root.post("/admin/set-role", { userId: carol, role: ["user", "support"] }), [
      { action: "user.role.changed", ...admin, resourceId: carol, metadata: { role: "user,support" } },
    ]);
    await s.expectEvents(() => root.post("/admin/ban-user", { userId: bobId, banReason: "chargebacks", banExpiresIn: 3600 }), [
      { action: "admin.user.banned", ...admin, resourceId: bobId, metadata: { reason: "chargebacks", expiresInSeconds: 3600 } },
    ]);
    const [banned] = await s.expectEvents(() => new Browser(s.auth, "198.51.100.66").post("/sign-in/email", { email: "bob@example.com", password: "pw-bob@example.com-Secret1" }), [
      { action: "user.login.failed", status: "failure", resourceId: bobId, metadata: { errorCode: "BANNED_USER", httpStatus: 403 } },
    ]);
    expect(banned.context).toMatchObject({ ip: "198.51.100.66" });
    await s.expectEvents(() => root.post("/admin/unban-user", { userId: bobId }), [{ action: "admin.user.unbanned", ...admin, resourceId: bobId }]);
    // The ban revoked bob's sessions; he signs in again.
    const bobAgain = new Browser(s.auth);
    expect((await bobAgain.post("/sign-in/email", { email: "bob@example.com", password: "pw-bob@example.com-Secret1" })).status).toBe(200);
    await s.sync();
    await s.expectEvents(() => root.post("/admin/impersonate-user", { userId: carol }), [
      { action: "admin.impersonation.started", ...admin, resourceId: carol, severity: "critical" },
    ]);
    // While impersonating, what the admin does is done in carol's account, on the admin's behalf.
    await s.expectEvents(() => root.post("/update-user", { name: "Carol C." }), [
      { action: "user.updated", actorId: carol, metadata: { impersonatedBy: rootId, fields: "name" } },
    ]);
    await s.expectEvents(() => root.post("/admin/stop-impersonating"), [{ action: "admin.impersonation.stopped", actorId: rootId, resourceId: carol }]);
    await s.expectEvents(() => root.post("/admin/set-user-password", { userId: carol, newPassword: s.secret("carol-New-Secret-66") }), [
      { action: "admin.user.password_set", ...admin, resourceId: carol },
    ]);
    await s.expectEvents(() => root.post("/admin/update-user", { userId: carol, data: { name: "Caroline" } }), [
      { action: "admin.user.updated", ...admin, resourceId: carol, metadata: { fields: "name" } },
    ]);
    const bobToken = s.secret(bobAgain.cookies.get("better-auth.session_token")!.split(".")[0]);
    const bobSession = (s.db.session.find((x) => x.token === bobToken) as { id: string }).id;
    await s.expectEvents(() => root.post("/admin/revoke-user-session", { sessionToken: bobToken }), [
      { action: "admin.user.session_revoked", ...admin, resourceType: "session", resourceId: bobSession, metadata: { userId: bobId } },
    ]);
    await s.expectEvents(() => root.post("/admin/revoke-user-sessions", { userId: carol }), [{ action: "admin.user.sessions_revoked", ...admin, resourceId: carol }]);
    await s.expectEvents(() => root.post("/admin/remove-user", { userId: carol }), [{ action: "admin.user.removed", ...admin, resourceId: carol }]);
    // A denied permission check is a failure event with the caller and the target.
    const mallory = await signUp(s, "mallory@example.com");
    await s.sync();
    await s.expectEvents(() => mallory.b.post("/admin/ban-user", { userId: bobId }), [
      { action: "admin.user.banned", status: "failure", actorId: mallory.id, resourceId: bobId, metadata: { httpStatus: 403 } },
    ]);
    await s.expectNoSecrets();
  });

  test("organizations, members, invitations; a server-only call (auth.api.addMember) is recorded by its name", async () => {
    const { s, root: owner, rootId: ownerId, bob, bobId } = await adminSetup();
    const [created] = await s.expectEvents(() => owner.post("/organization/create", { name: "Acme", slug: "acme" }), [
      { action: "organization.created", actorId: ownerId, resourceType: "organization", metadata: { slug: "acme" } },
    ]);
    const acme = created.resourceId!;
    expect(created.tenantId).toBe(acme);
    await s.expectEvents(() => owner.post("/organization/update", { organizationId: acme, data: { name: "Acme Inc" } }), [
      { action: "organization.updated", tenantId: acme, resourceId: acme, metadata: { fields: "name" } },
    ]);
    const [invited] = await s.expectEvents(() => owner.post("/organization/invite-member", { organizationId: acme, email: "bob@example.com", role: "member" }), [
      { action: "member.invitation.created", tenantId: acme, resourceType: "invitation", metadata: { role: "member" } },
    ]);
    expect(invited.metadata.identifierHash).toMatch(/^hmac-sha256:/);
    await s.expectEvents(() => bob.post("/organization/accept-invitation", { invitationId: invited.resourceId }), [
      { action: "member.invitation.accepted", actorId: bobId, tenantId: acme, resourceId: invited.resourceId },
    ]);
    const dave = await signUp(s, "dave@example.com");
    const erin = await signUp(s, "erin@example.com");
    await s.sync();
    const [inv2] = await s.expectEvents(() => owner.post("/organization/invite-member", { organizationId: acme, email: "dave@example.com", role: "member" }), [
      { action: "member.invitation.created" },
    ]);
    await s.expectEvents(() => dave.b.post("/organization/reject-invitation", { invitationId: inv2.resourceId }), [
      { action: "member.invitation.rejected", actorId: dave.id, tenantId: acme },
    ]);
    const [inv3] = await s.expectEvents(() => owner.post("/organization/invite-member", { organizationId: acme, email: "erin@example.com", role: "admin" }), [
      { action: "member.invitation.created" },
    ]);
    await s.expectEvents(() => owner.post("/organization/cancel-invitation", { invitationId: inv3.resourceId }), [
      { action: "member.invitation.canceled", actorId: ownerId, tenantId: acme, resourceId: inv3.resourceId },
    ]);
    const bobMember = (s.db.member.find((m) => m.userId === bobId) as { id: string }).id;
    await s.expectEvents(() => owner.post("/organization/update-member-role", { organizationId: acme, memberId: bobMember, role: "admin" }), [
      { action: "member.role_changed", actorId: ownerId, tenantId: acme, resourceId: bobMember, metadata: { role: "admin", userId: bobId } },
    ]);
    const [added] = await s.expectEvents(() => s.auth.api.addMember({ body: { userId: erin.id, organizationId: acme, role: "member" } }), [
      { action: "member.added", tenantId: acme, resourceType: "member", metadata: { userId: erin.id, role: "member" }, context: { source: "better-auth:op:addOrganizationMember" } },
    ]);
    await s.expectEvents(() => owner.post("/organization/remove-member", { organizationId: acme, memberIdOrEmail: added.resourceId }), [
      { action: "member.removed", actorId: ownerId, tenantId: acme, resourceId: added.resourceId, metadata: { userId: erin.id } },
    ]);
    await s.expectEvents(() => bob.post("/organization/leave", { organizationId: acme }), [
      { action: "member.left", actorId: bobId, tenantId: acme, resourceId: bobMember },
    ]);
    await s.expectEvents(() => dave.b.post("/organization/delete", { organizationId: acme }), [
      { action: "organization.deleted", status: "failure", actorId: dave.id, tenantId: acme },
    ]);
    await s.expectEvents(() => owner.post("/organization/delete", { organizationId: acme }), [
      { action: "organization.deleted", actorId: ownerId, tenantId: acme, resourceId: acme, severity: "warning" },
    ]);
    await s.expectNoSecrets();
  });

  test("API keys: create, update, a request made with the key acts as apikey:{id}, delete; the key is never stored", async () => {
    const { s, bob, bobId } = await adminSetup();
    let plaintext = "";
    const [created] = await s.expectEvents(
      async () => (plaintext = s.secret((await bob.post("/api-key/create", { name: "ci" })).body!.key as string)),
      [{ action: "api_key.created", actorId: bobId, resourceType: "apiKey", metadata: { name: "ci" } }],
    );
    const keyId = created.resourceId!;
    await s.expectEvents(() => bob.post("/api-key/update", { keyId, name: "ci-2", enabled: true }), [
      { action: "api_key.updated", actorId: bobId, resourceId: keyId, metadata: { fields: "enabled,name" } },
    ]);
    // A request with the key and no cookie: the api-key plugin's session acts, and the event names the key, not its owner.
    const viaKey = new Browser(s.auth, "192.0.2.99");
    await s.expectEvents(() => viaKey.post("/update-user", { name: "Bob via CI" }, { "x-api-key": plaintext }), [
      { action: "user.updated", actorId: `apikey:${keyId}`, actor: { type: "apiKey" }, metadata: { onBehalfOf: bobId }, context: { ip: "192.0.2.99" } },
    ]);
    await s.expectEvents(() => bob.post("/api-key/delete", { keyId }), [{ action: "api_key.revoked", actorId: bobId, resourceId: keyId }]);
    await s.expectNoSecrets();
  });
});

describe("server code, hostile requests, and the transaction", () => {
  test("users created and deleted by server code (no endpoint) are recorded as the system's doing", async () => {
    const s = setup();
    const ctx = await s.auth.$context;
    const [created] = await s.expectEvents(() => ctx.internalAdapter.createUser({ email: "svc@example.com", name: "Service", emailVerified: true }), [
      { action: "user.created", actorId: "better-auth", actor: { type: "system" }, resourceType: "user" },
    ]);
    await s.expectEvents(() => ctx.internalAdapter.deleteUser(created.resourceId!), [
      { action: "user.deleted", actorId: "better-auth", actor: { type: "system" }, resourceId: created.resourceId },
    ]);
  });

  test("oversized and hostile bodies: the auth answer is BetterAuth's own, the event keeps nothing of the body", async () => {
    const s = setup();
    await signUp(s, "ada@example.com");
    await s.sync();
    const huge = "A".repeat(1_000_000);
    const b = new Browser(s.auth);
    const cases: Array<[string, unknown]> = [
      ["a 1 MB email", { email: `${huge}@example.com`, password: huge }],
      ["an object for the email", { email: { $ne: null, toString: "x" }, password: { length: 1e9 } }],
      ["a prototype key", JSON.parse('{"__proto__": {"admin": true}, "email": "ada@example.com", "password": "proto-Secret-77", "constructor": {"prototype": {"x": 1}}}')],
      ["10,000 fields", Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`f${i}`, "x".repeat(20)]))],
      ["control characters and bidi marks", { email: "ada\u202e@example.com\u0000", password: "bidi-Secret-88" }],
    ];
    for (const [what, body] of cases) {
      const [event] = await s.expectEvents(async () => expect((await b.post("/sign-in/email", body)).status).toBeGreaterThanOrEqual(400), [
        { action: "user.login.failed", status: "failure" },
      ]);
      const json = JSON.stringify(event);
      expect(json.length, what).toBeLessThan(2_000);
      expect(json, what).not.toContain("AAAAAAAAAA");
      expect(json, what).not.toContain("proto-Secret-77");
      expect(json, what).not.toContain("bidi-Secret-88");
      expect(event.metadata, what).not.toHaveProperty("admin");
      expect(({} as Record<string, unknown>).admin, what).toBeUndefined();
    }
    // Not JSON at all: BetterAuth's router refuses it before any endpoint (or hook) runs, so there is nothing to record.
    await s.expectEvents(async () => expect((await b.request("POST", "/sign-in/email", "{not json")).status).toBe(400), []);
    // A hostile forwarded-for header is not an IP: none is recorded rather than the text.
    const [spoofed] = await s.expectEvents(() => new Browser(s.auth, "1.2.3.4, <script>alert(1)</script>").post("/sign-in/email", { email: "ada@example.com", password: "x-Secret-99" }), [
      { action: "user.login.failed", status: "failure" },
    ]);
    expect(JSON.stringify(spoofed)).not.toContain("<script>");
  });

  test("inside a Convex mutation the event is written in the same transaction as the auth call: a rollback takes both", async () => {
    const t = initConvexTest();
    // As @convex-dev/better-auth's createAuth(ctx) does: the auth instance is built with the mutation's ctx.
    const run = (fail: boolean) =>
      t.run(async (ctx) => {
        const { auth } = makeAuth(convexSink(auditLog, ctx));
        await auth.api.signUpEmail({ body: { email: "ada@example.com", password: "pw-Ada-Secret-1", name: "Ada" } });
        if (fail) throw new Error("the app's own write failed after sign-up");
      });
    await expect(run(true)).rejects.toThrow("after sign-up");
    expect(await allEvents(t)).toEqual([]);
    await run(false);
    expect((await allEvents(t)).map((e) => e.action)).toEqual(["user.signup"]);
  });

  test("a query's ctx cannot record: the auth call fails with INVALID_CONFIG rather than go unrecorded", async () => {
    const sink = convexSink(auditLog, { runQuery: async () => null } as never);
    const { auth } = makeAuth(sink);
    await expect(auth.api.signUpEmail({ body: { email: "q@example.com", password: "pw-Q-Secret-12", name: "Q" } })).rejects.toThrow(/convexSink needs a mutation/);
  });
});
