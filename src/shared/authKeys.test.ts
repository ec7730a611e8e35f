/**
 * The keys auth flows carry are redacted by default (issue 11, item 6): one
 * test per key, each through the component's whole write pipeline
 * (buildEvent), in metadata and in a before/after diff, where the change
 * stays visible and neither value is stored.
 */
import { describe, expect, test } from "vitest";
import { buildEvent, prepareOptions } from "./prepare.js";
import { createRedactor, MASK } from "./redact.js";
import { isCodeSecret } from "./secrets.js";

const VALUES: Record<string, unknown> = {
  code: "482913",
  hash: "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
  otp: "739104",
  verificationCode: "Q7X-91K",
  backupCodes: ["a1b2c-3d4e5", "f6g7h-8i9j0"],
  recoveryCodes: ["r3c0v-3ry01", "r3c0v-3ry02"],
  salt: "c2FsdHlzYWx0c2FsdA",
  totpUri: "otpauth://totp/App:ada?secret=JBSWY3DPEHPK3PXP&issuer=App",
  sessionToken: "sess_9fj2k3l4m5n6o7p8",
  session_token: "sess_a1b2c3d4e5f6",
  token: "tok_0123456789abcdef",
  refreshToken: "rt_0123456789abcdef",
  accessToken: "at_0123456789abcdef",
  idToken: "id_0123456789abcdef",
  secret: "JBSWY3DPEHPK3PXP",
  totpSecret: "JBSWY3DPEHPK3PXP",
  backupCode: "a1b2c-3d4e5",
  password: "hunter2hunter2",
  newPassword: "correct horse battery",
  currentPassword: "hunter2hunter2",
  twoFactorSecret: "JBSWY3DPEHPK3PXP",
};

async function stored(metadata: unknown, before?: unknown, after?: unknown) {
  return await buildEvent({ action: "auth.test", metadata, before, after }, prepareOptions({}), Date.now());
}

describe("auth keys are redacted by default", () => {
  test.each(Object.keys(VALUES))("%s", async (key) => {
    const raw = VALUES[key];
    const doc = await stored({ [key]: raw, nested: { session: { [key]: raw } } }, { [key]: raw }, { [key]: `${String(raw)}-new1` });
    expect(doc.metadata).toEqual({ [key]: MASK, nested: { session: { [key]: MASK } } });
    expect(doc.before).toEqual({ [key]: MASK });
    expect(doc.after).toEqual({ [key]: MASK });
    expect(doc.changes).toEqual([{ path: [key], op: "replace", before: MASK, after: MASK, redacted: true }]);
    const json = JSON.stringify(doc);
    for (const piece of (Array.isArray(raw) ? raw : [raw]) as string[]) expect(json).not.toContain(piece);
  });

  test("a session object's token is redacted, its id is kept", async () => {
    const doc = await stored({ session: { id: "s_1", token: "sess_9fj2k3l4m5n6o7p8", userId: "u1" } });
    expect(doc.metadata).toEqual({ session: { id: "s_1", token: MASK, userId: "u1" } });
  });
});

describe("a bare `code` key: its value decides", () => {
  test.each([
    ["482913", true], ["a1b2c-3d4e5", true], ["4/0AX4XfWhAbCdEfGhIjKl", true], ["aBcDeFgHiJkLmNoPqRsT", true], ["E1234", true],
    ["FORBIDDEN", false], ["INSUFFICIENT_FUNDS", false], ["INVALID_EMAIL_OR_PASSWORD", false], ["not_found", false], ["en-US", false],
    ["Payment Required", false], ["404", false], ["E", false],
  ])("code: %s → redacted %s", async (value, secret) => {
    expect(isCodeSecret("code", value)).toBe(secret);
    const r = createRedactor({});
    expect(await r.redactPayload({ code: value, Code: value })).toEqual(secret ? { code: MASK, Code: MASK } : { code: value, Code: value });
  });

  test("numbers, objects and other keys ending in code are not judged by value", async () => {
    const r = createRedactor({});
    expect(await r.redactPayload({ code: 404, errorCode: "E123", countryCode: "DE", code2: "123456" })).toEqual({
      code: 404,
      errorCode: "E123",
      countryCode: "DE",
      code2: "123456",
    });
    expect(await r.redactPayload({ code: { value: "x" } })).toEqual({ code: { value: "x" } });
  });

  test("redactDefaults: false keeps it, as it keeps every default rule", async () => {
    expect(await createRedactor({ redactDefaults: false }).redactPayload({ code: "482913" })).toEqual({ code: "482913" });
  });
});
