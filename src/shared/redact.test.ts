/**
 * Property tests of redaction against a simple model. Every string in a
 * generated payload is a unique marker; markers under a configured or
 * secret-looking key must not survive, every other marker must survive
 * untouched, and the output must be exactly what the model predicts.
 */
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { canonical, createRedactor, isSecretKey, MASK } from "./redact.js";
import { buildEvent, prepareOptions } from "./prepare.js";
import { diffValues, renderChanges } from "./diff.js";
import { isAuditLogError } from "./errors.js";
import type { Change, EventInput, LogOptions, RedactionMode } from "./validators.js";
import { shapeArb } from "../../test/support/secretShapes.js";

const RUNS = { numRuns: 150 };
const HASH_KEY = "test-hash-key-0123456789";
const HASH_RE = /^hmac-sha256:[0-9a-f]{32}$/;
type Seg = string | number;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// ---------------------------------------------------------------------------
// Keys whose classification the test knows independently of the code.

/** Keys the default list must treat as secrets. */
const SECRET_KEYS = [
  "password", "Password", "PASSWORD", "user_password", "newPassword", "passwd", "passphrase",
  "secret", "clientSecret", "CLIENT_SECRET", "token", "Token", "accessToken", "refresh_token", "idToken",
  "apiKey", "api_key", "API-KEY", "x-api-key", "authorization", "Authorization", "cookie", "Set-Cookie",
  "ssn", "SSN", "cardNumber", "card_number", "creditCard", "ccNumber", "privateKey", "private_key",
  "credentials", "socialSecurityNumber", "signature", "pin", "otp", "cvv", "cvc", "pwd", "auth", "jwt",
  // Matched by tokens since the review of names not on the list:
  "cvv2", "cardCvv", "pinCode", "otpCode", "ssnLast4", "bearer", "pass", "verificationCode", "backupCodes",
  "recoveryCodes", "salt", "totpUri", "hash", "sessionToken", "session_token", "basicAuth", "creds",
];
/** Keys that must not be redacted by the defaults. */
const BENIGN_KEYS = [
  "name", "title", "count", "items", "note", "status", "value", "description", "author", "authorId",
  "pinned", "spinner", "passage", "tokenName", "apiKeyId", "tokenExpiresAt", "passwordChangedAt",
  "secretName", "opinion", "a", "b",
  "passenger", "compass", "bypass", "code", "errorCode", "countryCode", "commitHash", "authProvider", "tokenCount",
  "pinLength", "otpEnabled", "sidebar", "saltRounds",
];
/**
 * The benign keys the generated payloads use: all but `code`, whose string
 * values are judged by their shape (isCodeSecret; the examples in
 * "auth keys" below), which the markers here do not model.
 */
const TREE_BENIGN_KEYS = BENIGN_KEYS.filter((k) => k !== "code");
/** Structural keys used by the configured dotted paths. */
const STRUCT_KEYS = ["user", "billing", "address", "iban", "profile"];
/** Case variants of the configured names "email", "phone" and "token". */
const PII_KEYS = ["email", "Email", "EMAIL", "eMail", "phone", "Phone", "PHONE", "token", "Token"];

/** Configured fields, fixed; their modes vary. */
function piiConfig(modes: { email?: RedactionMode; phone?: RedactionMode; address?: RedactionMode; iban?: RedactionMode; token?: RedactionMode }) {
  return [
    modes.email ? { field: "email", mode: modes.email } : "email",
    // Also a default secret: configuring it must not make it hashable.
    modes.token ? { field: "token", mode: modes.token } : "token",
    modes.phone ? { field: "Phone", mode: modes.phone } : "Phone",
    modes.address ? { field: "user.address", mode: modes.address } : "user.address",
    modes.iban ? { field: "billing.iban", mode: modes.iban } : "billing.iban",
  ];
}

type Cfg = { options: LogOptions; names: Map<string, RedactionMode>; paths: Map<string, RedactionMode>; defaults: boolean };

const modeArb = fc.constantFrom<RedactionMode>("mask", "hash", "remove");
const cfgArb: fc.Arbitrary<Cfg> = fc
  .record({
    defaultMode: fc.option(modeArb, { nil: undefined }),
    email: fc.option(modeArb, { nil: undefined }),
    phone: fc.option(modeArb, { nil: undefined }),
    address: fc.option(modeArb, { nil: undefined }),
    iban: fc.option(modeArb, { nil: undefined }),
    token: fc.option(modeArb, { nil: undefined }),
    defaults: fc.boolean(),
  })
  .map(({ defaultMode, defaults, ...modes }) => {
    const base = defaultMode ?? "mask";
    const options: LogOptions = {
      piiFields: piiConfig(modes),
      redactDefaults: defaults,
      hashKey: HASH_KEY,
      ...(defaultMode ? { redactionMode: defaultMode } : {}),
    };
    return {
      options,
      names: new Map([["email", modes.email ?? base], ["phone", modes.phone ?? base], ["token", modes.token ?? base]]),
      paths: new Map([["user.address", modes.address ?? base], ["billing.iban", modes.iban ?? base]]),
      defaults,
    };
  });

/** The model: which mode applies at exactly this key (not an ancestor). */
function modeAtKey(cfg: Cfg, path: readonly Seg[]): RedactionMode | undefined {
  const last = path[path.length - 1];
  if (typeof last !== "string") return undefined;
  const secret = cfg.defaults && SECRET_KEYS.includes(last);
  const secretMode: RedactionMode = cfg.options.redactionMode === "remove" ? "remove" : "mask";
  const dotted = path.filter((s): s is string => typeof s === "string").map((s) => s.toLowerCase()).join(".");
  const configured = cfg.names.get(last.toLowerCase()) ?? cfg.paths.get(dotted);
  if (configured === "hash" && secret) return secretMode; // secrets are never hashed
  return configured ?? (secret ? secretMode : undefined);
}

/** The model: the shallowest mode on the path. */
function modeOnPath(cfg: Cfg, path: readonly Seg[]): RedactionMode | undefined {
  for (let i = 1; i <= path.length; i++) {
    const m = modeAtKey(cfg, path.slice(0, i));
    if (m) return m;
  }
  return undefined;
}

const HASHED = "<hashed>";
/** The model's output of redactPayload; hashes are written as HASHED. */
function expected(cfg: Cfg, v: unknown, path: Seg[] = []): unknown {
  if (Array.isArray(v)) return v.map((x, i) => expected(cfg, x, [...path, i]));
  if (!isObj(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, child] of Object.entries(v)) {
    if (child === undefined) continue;
    const mode = modeAtKey(cfg, [...path, k]);
    if (mode === "remove") continue;
    out[k] = mode === "mask" ? MASK : mode === "hash" ? HASHED : expected(cfg, child, [...path, k]);
  }
  return out;
}

/** Replaces every hash in an output by HASHED, checking its format. */
function normaliseHashes(v: unknown): unknown {
  if (typeof v === "string" && v.startsWith("hmac-sha256:")) {
    expect(v).toMatch(HASH_RE);
    return HASHED;
  }
  if (Array.isArray(v)) return v.map(normaliseHashes);
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normaliseHashes(x)]));
  return v;
}

// ---------------------------------------------------------------------------
// Payload arbitraries. Strings are placeholders; `mark` turns each into a
// unique marker, S-markers under a redacted key and P-markers elsewhere.

const keyArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SECRET_KEYS) },
  { weight: 4, arbitrary: fc.constantFrom(...TREE_BENIGN_KEYS) },
  { weight: 4, arbitrary: fc.constantFrom(...STRUCT_KEYS) },
  { weight: 3, arbitrary: fc.constantFrom(...PII_KEYS) },
  // Digits and punctuation only: can never look like a secret.
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(..."0123456789_-: ."), minLength: 1, maxLength: 4 }) },
);
const leafArb = fc.oneof(
  { weight: 5, arbitrary: fc.constant("str") },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.boolean(), fc.constant(null)) },
);
const treeArb = fc.letrec<{ node: unknown; obj: Record<string, unknown>; arr: unknown[] }>((tie) => ({
  node: fc.oneof({ depthSize: "small", maxDepth: 4 }, leafArb, tie("obj"), tie("arr")),
  arr: fc.array(tie("node"), { maxLength: 3 }),
  obj: fc
    .uniqueArray(fc.tuple(keyArb, tie("node")), { selector: (e) => e[0].toLowerCase(), maxLength: 5 })
    .map((entries) => Object.fromEntries(entries)),
})).obj;

type Marked = { value: unknown; secrets: string[]; plain: string[] };
function marker(counter: { n: number }, secret: boolean) {
  counter.n += 1;
  return secret ? `«S${counter.n}»` : `«P${counter.n}»`;
}
function mark(cfg: Cfg, v: unknown, counter = { n: 0 }): Marked {
  const secrets: string[] = [];
  const plain: string[] = [];
  const go = (x: unknown, path: Seg[], under: boolean): unknown => {
    if (x === "str") {
      const m = marker(counter, under);
      (under ? secrets : plain).push(m);
      return m;
    }
    if (Array.isArray(x)) return x.map((y, i) => go(y, [...path, i], under));
    if (isObj(x)) {
      return Object.fromEntries(
        Object.entries(x).map(([k, y]) => [k, go(y, [...path, k], under || modeAtKey(cfg, [...path, k]) !== undefined)]),
      );
    }
    return x;
  };
  return { value: go(v, [], false), secrets, plain };
}
const payloadArb = fc.tuple(cfgArb, treeArb).map(([cfg, tree]) => ({ cfg, ...mark(cfg, tree) }));

// ---------------------------------------------------------------------------

describe("isSecretKey", () => {
  test.each(SECRET_KEYS)("%s is a secret", (k) => expect(isSecretKey(k)).toBe(true));
  test.each(BENIGN_KEYS)("%s is not a secret", (k) => expect(isSecretKey(k)).toBe(false));
  test("empty and punctuation-only keys are not secrets", () => {
    expect(isSecretKey("")).toBe(false);
    expect(isSecretKey("-_-")).toBe(false);
  });
});

describe("redactPayload: model", () => {
  test("the output is what the model predicts", async () => {
    await fc.assert(
      fc.asyncProperty(payloadArb, async ({ cfg, value }) => {
        const out = await createRedactor(cfg.options).redactPayload(value);
        expect(normaliseHashes(out)).toEqual(expected(cfg, value));
      }),
      RUNS,
    );
  });

  test("no value under a configured or secret-looking key survives; every other value does", async () => {
    await fc.assert(
      fc.asyncProperty(payloadArb, async ({ cfg, value, secrets, plain }) => {
        const before = JSON.stringify(value);
        const json = JSON.stringify(await createRedactor(cfg.options).redactPayload(value));
        for (const s of secrets) expect(json).not.toContain(s);
        for (const p of plain) expect(json).toContain(p);
        expect(JSON.stringify(value)).toBe(before); // the input is not mutated
      }),
      RUNS,
    );
  });

  test("data without matching keys comes back unchanged, whatever the configuration", async () => {
    const benignTree = fc.letrec<{ node: unknown; obj: Record<string, unknown> }>((tie) => ({
      node: fc.oneof({ depthSize: "small", maxDepth: 4 }, fc.jsonValue({ maxDepth: 0 }), tie("obj"), fc.array(tie("node"), { maxLength: 3 })),
      obj: fc.dictionary(fc.constantFrom(...TREE_BENIGN_KEYS, "address", "iban", "profile"), tie("node"), { maxKeys: 4 }),
    })).node;
    await fc.assert(
      fc.asyncProperty(cfgArb, benignTree, async (cfg, value) => {
        expect(await createRedactor(cfg.options).redactPayload(value)).toEqual(value);
      }),
      RUNS,
    );
  });

  test("with no fields configured and redactDefaults: false, anything passes through", async () => {
    await fc.assert(
      fc.asyncProperty(treeArb, async (value) => {
        expect(await createRedactor({ redactDefaults: false }).redactPayload(value)).toEqual(value);
      }),
      RUNS,
    );
  });
});

describe("redactPayload: examples", () => {
  test("configured names match case-insensitively at any depth; a matching key redacts its subtree", async () => {
    const r = createRedactor({ piiFields: ["email"] });
    expect(
      await r.redactPayload({
        Email: "a@x.io",
        user: { EMAIL: "b@x.io", emails: ["kept"], profile: [{ eMail: { primary: "c@x.io" } }] },
      }),
    ).toEqual({ Email: MASK, user: { EMAIL: MASK, emails: ["kept"], profile: [{ eMail: MASK }] } });
  });

  test("dotted paths match from the root, skipping array indexes, case-insensitively", async () => {
    const r = createRedactor({ piiFields: ["user.address", "Orders.Card.Last4"], redactDefaults: false });
    expect(
      await r.redactPayload({
        address: "kept",
        user: { address: "gone", other: { address: "kept" } },
        USER: [{ Address: "gone" }, { name: "kept" }],
        team: { user: { address: "kept" } },
        orders: [{ card: { last4: "4242", brand: "visa" } }, { card: [{ LAST4: "1111" }] }],
      }),
    ).toEqual({
      address: "kept",
      user: { address: MASK, other: { address: "kept" } },
      USER: [{ Address: MASK }, { name: "kept" }],
      team: { user: { address: "kept" } },
      orders: [{ card: { last4: MASK, brand: "visa" } }, { card: [{ LAST4: MASK }] }],
    });
    expect(r.match(["user", 3, "address"])).toBe("mask");
    expect(r.match(["user", 3, "address", "zip"])).toBe("mask");
    expect(r.match(["team", "user", "address"])).toBeUndefined();
    expect(r.match(["user"])).toBeUndefined();
  });

  test("default secrets: on by default, off with redactDefaults: false", async () => {
    const payload = { password: "hunter2", apiKey: "sk_live_1", headers: { Authorization: "Bearer x", cookie: "s=1" }, apiKeyId: "k1" };
    expect(await createRedactor().redactPayload(payload)).toEqual({
      password: MASK,
      apiKey: MASK,
      headers: { Authorization: MASK, cookie: MASK },
      apiKeyId: "k1",
    });
    expect(await createRedactor({ redactDefaults: false }).redactPayload(payload)).toEqual(payload);
  });

  test("modes: mask, hash and remove", async () => {
    const payload = { email: "a@x.io", name: "Ann", password: "pw" };
    expect(await createRedactor({ piiFields: ["email"] }).redactPayload(payload)).toEqual({ email: MASK, name: "Ann", password: MASK });
    expect(await createRedactor({ piiFields: ["email"], redactionMode: "remove" }).redactPayload(payload)).toEqual({ name: "Ann" });
    const hashed = (await createRedactor({ piiFields: ["email"], redactionMode: "hash", hashKey: HASH_KEY }).redactPayload(payload)) as Record<string, unknown>;
    expect(Object.keys(hashed)).toEqual(["email", "name", "password"]);
    expect(hashed.email).toMatch(HASH_RE);
    expect(hashed.name).toBe("Ann");
    expect(hashed.password).toBe(MASK); // secrets are never hashed
  });

  test("per-field modes override the default mode", async () => {
    const r = createRedactor({
      piiFields: [{ field: "email", mode: "remove" }, { field: "phone", mode: "hash" }, "ip"],
      redactionMode: "mask",
      hashKey: HASH_KEY,
    });
    const out = (await r.redactPayload({ email: "e", phone: "p", ip: "1.2.3.4", ok: 1 })) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(["phone", "ip", "ok"]);
    expect(out.phone).toMatch(HASH_RE);
    expect(out.ip).toBe(MASK);
  });

  test("secrets are never hashed, even when a piiFields entry asks for hash (regression)", async () => {
    const r = createRedactor({ piiFields: [{ field: "password", mode: "hash" }, { field: "user.token", mode: "hash" }], hashKey: HASH_KEY });
    expect(await r.redactPayload({ password: "hunter2", user: { token: "t" } })).toEqual({ password: MASK, user: { token: MASK } });
    expect(r.match(["password"])).toBe("mask");
    // In remove mode the secret is removed instead.
    const rm = createRedactor({ piiFields: [{ field: "password", mode: "hash" }], redactionMode: "remove", hashKey: HASH_KEY });
    expect(await rm.redactPayload({ password: "hunter2", a: 1 })).toEqual({ a: 1 });
    // With the defaults switched off the caller has asked for exactly this.
    const off = createRedactor({ piiFields: [{ field: "password", mode: "hash" }], redactDefaults: false, hashKey: HASH_KEY });
    expect(((await off.redactPayload({ password: "hunter2" })) as { password: string }).password).toMatch(HASH_RE);
  });

  test("remove mode drops the key, and a removed root comes back undefined", async () => {
    const r = createRedactor({ piiFields: ["email"], redactionMode: "remove" });
    expect(await r.redactPayload({ a: [{ email: "x", b: 1 }], token: "t" })).toEqual({ a: [{ b: 1 }] });
    expect(await r.redactPayload("x@y.z", ["email"])).toBeUndefined();
    expect(await r.redactPayload({ z: 1 }, ["user", "email"])).toBeUndefined();
  });

  test("non-object payloads pass through; undefined fields are dropped", async () => {
    const r = createRedactor({ piiFields: ["email"] });
    expect(await r.redactPayload("text")).toBe("text");
    expect(await r.redactPayload(null)).toBeNull();
    expect(await r.redactPayload([1, "two"])).toEqual([1, "two"]);
    expect(await r.redactPayload(5n)).toBe(5n);
    const out = (await r.redactPayload({ a: undefined, b: 1 })) as object;
    expect(Object.keys(out)).toEqual(["b"]);
  });

  test('a "__proto__" key stays a field and is redacted like any other (regression)', async () => {
    const r = createRedactor({ piiFields: ["email"] });
    const input = JSON.parse('{"__proto__": {"email": "x@y.z", "n": 1}, "b": 2}') as unknown;
    const out = (await r.redactPayload(input)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(["__proto__", "b"]);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"email":"[REDACTED]","n":1},"b":2}');
  });
});

describe("hash mode", () => {
  const hashOf = async (value: unknown, key = HASH_KEY) =>
    ((await createRedactor({ piiFields: ["email"], redactionMode: "hash", hashKey: key }).redactPayload({ email: value })) as {
      email: string;
    }).email;

  test("known answer: HMAC-SHA-256 of the canonical JSON, first 16 bytes in hex", async () => {
    const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(HASH_KEY), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode('"alice@example.com"')));
    const hex = [...mac.slice(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
    expect(await hashOf("alice@example.com")).toBe(`hmac-sha256:${hex}`);
  });

  test("equal values give equal hashes, different values different hashes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.string(), async (a, b) => {
        const [ha, hb, ha2] = await Promise.all([hashOf(a), hashOf(b), hashOf(a)]);
        expect(ha).toMatch(HASH_RE);
        expect(ha2).toBe(ha);
        expect(ha === hb).toBe(a === b);
      }),
      { numRuns: 100 },
    );
  });

  test("the same value correlates across keys, depths and calls; object key order does not matter", async () => {
    const r = createRedactor({ piiFields: ["email", "phone"], redactionMode: "hash", hashKey: HASH_KEY });
    const out = (await r.redactPayload({ email: "x", a: [{ Email: "x" }], phone: "x", EMAIL: { p: 1, q: 2 }, z: { email: { q: 2, p: 1 } } })) as {
      email: string;
      a: [{ Email: string }];
      phone: string;
      EMAIL: string;
      z: { email: string };
    };
    expect(out.a[0].Email).toBe(out.email);
    expect(out.phone).toBe(out.email);
    expect(out.z.email).toBe(out.EMAIL);
    expect(out.EMAIL).not.toBe(out.email);
    // Types are distinguished: the number 1 and the string "1" differ.
    expect(await hashOf(1)).not.toBe(await hashOf("1"));
    expect(await hashOf(1n)).not.toBe(await hashOf(1));
  });

  test("different keys give different hashes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 16, maxLength: 40 }), fc.string({ minLength: 16, maxLength: 40 }), fc.string(), async (k1, k2, v) => {
        fc.pre(k1 !== k2);
        expect(await hashOf(v, k1)).not.toBe(await hashOf(v, k2));
      }),
      { numRuns: 50 },
    );
  });

  test("canonical JSON sorts keys and spells out bigint and bytes", () => {
    expect(canonical({ b: 1, a: [true, null, "x"], c: undefined })).toBe('{"a":[true,null,"x"],"b":1}');
    expect(canonical(5n)).toBe('{"$int64":"5"}');
    expect(canonical(new Uint8Array([1, 255]).buffer)).toBe('{"$bytes":"01ff"}');
  });
});

describe("configuration errors", () => {
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      expect(isAuditLogError(e)).toBe(true);
      return (e as { data: { code: string; path?: string } }).data;
    }
    throw new Error("did not throw");
  };

  test("hash needs a hashKey of at least 16 characters", () => {
    expect(code(() => createRedactor({ redactionMode: "hash" }))).toMatchObject({ code: "INVALID_CONFIG", path: "hashKey" });
    expect(code(() => createRedactor({ redactionMode: "hash", hashKey: "x".repeat(15) }))).toMatchObject({ code: "INVALID_CONFIG" });
    expect(code(() => createRedactor({ piiFields: [{ field: "email", mode: "hash" }] }))).toMatchObject({ code: "INVALID_CONFIG" });
    expect(() => createRedactor({ redactionMode: "hash", hashKey: "x".repeat(16) })).not.toThrow();
    expect(() => createRedactor({ redactionMode: "mask", hashKey: "short" })).not.toThrow();
  });

  test("unknown modes and malformed fields", () => {
    expect(code(() => createRedactor({ redactionMode: "blur" }))).toMatchObject({ code: "INVALID_CONFIG", path: "redactionMode" });
    expect(code(() => createRedactor({ piiFields: ["ok", { field: "x", mode: "blur" }] }))).toMatchObject({
      code: "INVALID_CONFIG",
      path: "piiFields[1].mode",
    });
    for (const field of ["", ".", "a..b", "a.", " . x", "x".repeat(1025)]) {
      expect(code(() => createRedactor({ piiFields: [field] }))).toMatchObject({ code: "INVALID_CONFIG", path: "piiFields[0]" });
    }
  });

  test("prepareOptions surfaces the same errors", () => {
    expect(code(() => prepareOptions({ redactionMode: "hash", hashKey: "short" }))).toMatchObject({ code: "INVALID_CONFIG" });
  });
});

// ---------------------------------------------------------------------------
// The write pipeline: diff the raw values, then redact each entry.

describe("buildEvent: diff then redact", () => {
  /** Two snapshots sharing structure, marked with one counter so every marker is unique. */
  const snapshotsArb = fc
    .tuple(cfgArb, treeArb, treeArb, fc.boolean())
    .map(([cfg, t1, t2, merge]) => {
      const counter = { n: 0 };
      const before = mark(cfg, t1, counter);
      const after = mark(cfg, merge ? { ...t1, ...t2 } : t2, counter);
      return { cfg, before, after };
    });

  test("the stored document holds no redacted value anywhere, and every raw change survives as one entry", async () => {
    await fc.assert(
      fc.asyncProperty(snapshotsArb, async ({ cfg, before, after }) => {
        const doc = await buildEvent(
          { action: "record.updated", resourceType: "docs", resourceId: "d1", before: before.value, after: after.value, metadata: before.value },
          prepareOptions(cfg.options),
          1000,
        );
        const json = JSON.stringify(doc);
        for (const s of [...before.secrets, ...after.secrets]) expect(json).not.toContain(s);

        expect(normaliseHashes(doc.before)).toEqual(expected(cfg, before.value));
        expect(normaliseHashes(doc.after)).toEqual(expected(cfg, after.value));
        expect(normaliseHashes(doc.metadata)).toEqual(expected(cfg, before.value));

        const raw = diffValues(before.value, after.value);
        const changes = doc.changes ?? [];
        expect(changes.map((c) => [c.path, c.op])).toEqual(raw.map((c) => [c.path, c.op]));
        changes.forEach((c, i) => {
          const mode = modeOnPath(cfg, c.path);
          const r = raw[i];
          if (mode === undefined) {
            expect(c.redacted).toBeUndefined();
            // Unredacted entries are their raw values, redacted below the change's path.
            expect("before" in c).toBe(r.before !== undefined);
            expect("after" in c).toBe(r.after !== undefined);
            if (r.before !== undefined) expect(normaliseHashes(c.before)).toEqual(expected(cfg, r.before, [...c.path]));
            if (r.after !== undefined) expect(normaliseHashes(c.after)).toEqual(expected(cfg, r.after, [...c.path]));
          } else {
            expect(c.redacted).toBe(true);
            const shown = mode === "mask" ? MASK : mode === "hash" ? HASHED : undefined;
            expect("before" in c).toBe(r.before !== undefined && mode !== "remove");
            expect("after" in c).toBe(r.after !== undefined && mode !== "remove");
            if (c.before !== undefined) expect(normaliseHashes(c.before)).toBe(shown);
            if (c.after !== undefined) expect(normaliseHashes(c.after)).toBe(shown);
          }
        });
        if (changes.length > 0) expect(doc.diff).toBe(renderChanges(changes));
        else expect(doc.diff ?? "").toBe("");
      }),
      RUNS,
    );
  });

  test("a changed password shows as a changed, redacted entry without its values", async () => {
    const doc = await buildEvent(
      {
        action: "user.updated",
        before: { _id: "u1", _creationTime: 1, name: "Ann", password: "old-secret-1" },
        after: { _id: "u1", _creationTime: 1, name: "Ann", password: "new-secret-2" },
      },
      prepareOptions(),
      1000,
    );
    expect(doc.changes).toEqual([{ path: ["password"], op: "replace", before: MASK, after: MASK, redacted: true }]);
    expect(doc.diff).toBe("~ password: [REDACTED] → [REDACTED]");
    expect(doc.before).toEqual({ name: "Ann", password: MASK });
    expect(doc.after).toEqual({ name: "Ann", password: MASK });
    expect(JSON.stringify(doc)).not.toMatch(/secret-/);
  });

  test("an unchanged secret produces no entry", async () => {
    const doc = await buildEvent(
      { action: "user.updated", before: { token: "same", n: 1 }, after: { token: "same", n: 2 } },
      prepareOptions(),
      0,
    );
    expect(doc.changes).toEqual([{ path: ["n"], op: "replace", before: 1, after: 2 }]);
    expect(doc.diff).toBe("~ n: 1 → 2");
  });

  test("create and delete: added and removed secrets are redacted entries", async () => {
    const created = await buildEvent({ action: "user.created", after: { _id: "x", email: "a@x.io", apiKey: "sk_1", nested: { secret: "s" } } }, prepareOptions({ piiFields: ["email"] }), 0);
    expect(created.changes).toEqual([
      { path: ["email"], op: "add", after: MASK, redacted: true },
      { path: ["apiKey"], op: "add", after: MASK, redacted: true },
      { path: ["nested"], op: "add", after: { secret: MASK } },
    ]);
    expect(created.diff).toBe('+ email: [REDACTED]\n+ apiKey: [REDACTED]\n+ nested: {"secret":"[REDACTED]"}');
    expect(created.before).toBeUndefined();
    const deleted = await buildEvent({ action: "user.deleted", before: { email: "a@x.io", n: 1 } }, prepareOptions({ piiFields: ["email"] }), 0);
    expect(deleted.changes).toEqual([
      { path: ["email"], op: "remove", before: MASK, redacted: true },
      { path: ["n"], op: "remove", before: 1 },
    ]);
    expect(deleted.diff).toBe("- email: [REDACTED]\n- n: 1");
  });

  test("remove mode: keys dropped from the snapshots, the change still listed without values", async () => {
    const doc = await buildEvent(
      {
        action: "user.updated",
        before: { email: "a@x.io", password: "p1", n: 1 },
        after: { email: "b@x.io", password: "p2", n: 1 },
        metadata: { email: "c@x.io", keep: true },
      },
      prepareOptions({ piiFields: ["email"], redactionMode: "remove" }),
      0,
    );
    expect(doc.before).toEqual({ n: 1 });
    expect(doc.after).toEqual({ n: 1 });
    expect(doc.metadata).toEqual({ keep: true });
    expect(doc.changes).toEqual([
      { path: ["email"], op: "replace", redacted: true },
      { path: ["password"], op: "replace", redacted: true },
    ]);
    expect(doc.diff).toBe("~ email: [REDACTED] → [REDACTED]\n~ password: [REDACTED] → [REDACTED]");
    expect(JSON.stringify(doc)).not.toMatch(/@x\.io|p1|p2/);
  });

  test("hash mode: a changed field shows two different hashes that correlate with the snapshots", async () => {
    const doc = await buildEvent(
      { action: "user.updated", before: { email: "a@x.io", password: "p1" }, after: { email: "b@x.io", password: "p2" } },
      prepareOptions({ piiFields: ["email"], redactionMode: "hash", hashKey: HASH_KEY }),
      0,
    );
    const [email, password] = doc.changes as Change[];
    expect(email).toMatchObject({ path: ["email"], op: "replace", redacted: true });
    expect(email.before).toMatch(HASH_RE);
    expect(email.after).toMatch(HASH_RE);
    expect(email.before).not.toBe(email.after);
    expect(email.before).toBe((doc.before as { email: string }).email);
    expect(email.after).toBe((doc.after as { email: string }).email);
    expect(password).toEqual({ path: ["password"], op: "replace", before: MASK, after: MASK, redacted: true });
    expect(doc.diff).toBe(`~ email: ${email.before} → ${email.after}\n~ password: [REDACTED] → [REDACTED]`);
  });

  test("a change above a secret redacts the secret inside its values", async () => {
    const doc = await buildEvent(
      { action: "x", before: { account: "none" }, after: { account: { user: "ann", password: "pw-123" } } },
      prepareOptions(),
      0,
    );
    expect(doc.changes).toEqual([{ path: ["account"], op: "replace", before: "none", after: { user: "ann", password: MASK } }]);
    expect(JSON.stringify(doc)).not.toContain("pw-123");
  });

  test("generateDiff: false stores redacted snapshots without changes", async () => {
    const doc = await buildEvent({ action: "x", before: { token: "a" }, after: { token: "b" }, generateDiff: false }, prepareOptions(), 0);
    expect(doc.changes).toBeUndefined();
    expect(doc.diff).toBeUndefined();
    expect(doc.before).toEqual({ token: MASK });
  });
});

// ---------------------------------------------------------------------------
// Name/value pairs: the name says what the value is.

describe("name/value pairs", () => {
  test("the value of a pair named like a secret is redacted; the name stays", async () => {
    const r = createRedactor();
    expect(
      await r.redactPayload({
        fields: [{ name: "password", value: "hunter2" }, { name: "username", value: "ann" }],
        header: { key: "Authorization", value: "Bearer abc" },
        tags: [{ Key: "db_password", Value: "pg-secret" }, { Key: "env", Value: "prod" }],
        har: { headers: [{ name: "Cookie", value: "s=1" }, { name: "Accept", value: "application/json" }] },
        reversed: { value: "1234", label: "PIN" },
        env: [{ variable: "STRIPE_SECRET_KEY", content: { nested: "x" } }],
        params: [{ param: "otp_code", values: ["123456"] }],
      }),
    ).toEqual({
      fields: [{ name: "password", value: MASK }, { name: "username", value: "ann" }],
      header: { key: "Authorization", value: MASK },
      tags: [{ Key: "db_password", Value: MASK }, { Key: "env", Value: "prod" }],
      har: { headers: [{ name: "Cookie", value: MASK }, { name: "Accept", value: "application/json" }] },
      reversed: { value: MASK, label: "PIN" },
      env: [{ variable: "STRIPE_SECRET_KEY", content: MASK }],
      params: [{ param: "otp_code", values: MASK }],
    });
  });

  test("names that describe a secret, ordinary names, non-string and overlong names leave the value alone", async () => {
    const r = createRedactor();
    const payload = [
      { name: "apiKeyId", value: "k1" },
      { name: "Token Count", value: 3 },
      { name: "passenger", value: "Ann" },
      { name: 42, value: "x" },
      { name: { password: true }, value: "x" },
      { name: `password ${"x".repeat(200)}`, value: "x" },
      { title: "password", value: "x" }, // title is not a name field
      { name: "password", note: "x" }, // note is not a value field
      { name: "user.password_reset", data: { userId: "u1" } }, // { name, data } is an event envelope
      { name: "Password reset guide", content: "Open settings …" }, // content under a title, not a key name
    ];
    expect(await r.redactPayload(payload)).toEqual([
      { name: "apiKeyId", value: "k1" },
      { name: "Token Count", value: 3 },
      { name: "passenger", value: "Ann" },
      { name: 42, value: "x" },
      { name: { password: MASK }, value: "x" },
      { name: `password ${"x".repeat(200)}`, value: "x" },
      { title: "password", value: "x" },
      { name: "password", note: "x" },
      { name: "user.password_reset", data: { userId: "u1" } },
      { name: "Password reset guide", content: "Open settings …" },
    ]);
  });

  test("modes: remove drops the value field; piiFields names apply to pairs (hash allowed), secrets are never hashed", async () => {
    const rm = createRedactor({ redactionMode: "remove" });
    expect(await rm.redactPayload([{ name: "password", value: "x", kind: "text" }])).toEqual([{ name: "password", kind: "text" }]);
    const h = createRedactor({ piiFields: ["email"], redactionMode: "hash", hashKey: HASH_KEY });
    const out = (await h.redactPayload([{ field: "Email", value: "a@x.io" }, { field: "password", value: "pw" }])) as { value: string }[];
    expect(out[0].value).toMatch(HASH_RE);
    expect(out[1].value).toBe(MASK);
  });

  test("redactDefaults: false turns off secret names in pairs, not configured ones", async () => {
    const r = createRedactor({ redactDefaults: false, piiFields: ["email"] });
    expect(await r.redactPayload([{ name: "password", value: "x" }, { name: "email", value: "a@x.io" }])).toEqual([
      { name: "password", value: "x" },
      { name: "email", value: MASK },
    ]);
  });

  test("generated pairs: redacted exactly when the name is a secret's name", async () => {
    const secretNames = ["password", "Authorization", "X-Api-Key", "cvv2", "pinCode", "otp_code", "SESSION_TOKEN", "Cookie", "client-secret", "ssnLast4"];
    const plainNames = ["username", "Accept", "Content-Type", "apiKeyId", "tokenExpiresAt", "passenger", "code", "env", "region", "Host"];
    const nameField = fc.constantFrom("name", "Name", "key", "Key", "KEY", "field", "header", "param", "field_name", "label", "attribute");
    const valueField = fc.constantFrom("value", "Value", "VALUE", "val", "content", "values");
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.constantFrom(...secretNames),
        fc.constantFrom(...plainNames),
        nameField,
        valueField,
        fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes("[")),
        fc.boolean(),
        async (secret, sName, pName, nf, vf, raw, valueFirst) => {
          const name = secret ? sName : pName;
          const pair = valueFirst ? { [vf]: `v:${raw}`, [nf]: name } : { [nf]: name, [vf]: `v:${raw}` };
          const out = (await createRedactor().redactPayload({ list: [pair] })) as { list: Record<string, unknown>[] };
          expect(out.list[0][nf]).toBe(name);
          expect(out.list[0][vf]).toBe(secret ? MASK : `v:${raw}`);
        },
      ),
      { numRuns: 300 },
    );
  });

  test("in a diff, a changed pair value is a redacted entry, whichever snapshot names it", async () => {
    const doc = await buildEvent(
      {
        action: "settings.updated",
        before: { headers: [{ name: "Authorization", value: "Bearer old" }, { name: "Accept", value: "a" }], env: [{ name: "HOST", value: "x" }] },
        after: { headers: [{ name: "Authorization", value: "Bearer new" }, { name: "Accept", value: "b" }], env: [{ name: "DB_PASSWORD", value: "y" }] },
      },
      prepareOptions(),
      0,
    );
    expect(doc.changes).toEqual([
      { path: ["headers", 0, "value"], op: "replace", before: MASK, after: MASK, redacted: true },
      { path: ["headers", 1, "value"], op: "replace", before: "a", after: "b" },
      { path: ["env", 0, "name"], op: "replace", before: "HOST", after: "DB_PASSWORD" },
      { path: ["env", 0, "value"], op: "replace", before: MASK, after: MASK, redacted: true },
    ]);
    expect(JSON.stringify(doc)).not.toMatch(/Bearer old|Bearer new|"y"/);
    const r = createRedactor();
    expect(r.match(["headers", 0, "value"], { before: { headers: [{ name: "Cookie", value: "s" }] } })).toBe("mask");
    expect(r.match(["headers", 0, "value"])).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------
// Secrets by shape, wherever text is stored.

describe("secrets inside text", () => {
  const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEyMyJ9.c2lnbmF0dXJlXzEyMw";
  const GH = "ghp_16C7e42F292c6912E7710c838347Ae178B4a";

  test("payload strings at any depth, diff values, summary and errorMessage; searchText reads the redacted summary", async () => {
    const doc = await buildEvent(
      {
        action: "integration.sync_failed",
        summary: `sync failed for token ${GH}`,
        errorMessage: `POST https://api:${"s3cret-pw"}@hooks.example.com/x returned 401 (Authorization: Bearer ${JWT})`,
        metadata: { notes: [`card 4111 1111 1111 1111 on file`, { deep: { text: `key AKIAIOSFODNN7EXAMPLE` } }], count: 3 },
        before: { webhook: "https://hooks.example.com/x", note: "none" },
        after: { webhook: "https://hooks.example.com/x?access_token=abc123def", note: `rotated to sk_live_${"4eC39HqLyjWDarjtT1zdp7dc"}` },
      },
      prepareOptions(),
      0,
    );
    const json = JSON.stringify(doc);
    for (const secret of [JWT, GH, "s3cret-pw", "4111 1111 1111 1111", "AKIAIOSFODNN7EXAMPLE", "abc123def", "4eC39HqLyjWDarjtT1zdp7dc"]) {
      expect(json).not.toContain(secret);
    }
    expect(doc.summary).toBe("sync failed for token [REDACTED:github-token]");
    expect(doc.errorMessage).toBe(
      "POST https://api:[REDACTED:url-password]@hooks.example.com/x returned 401 (Authorization: Bearer [REDACTED:bearer-token])",
    );
    expect(doc.searchText).toContain("sync failed for token [REDACTED:github-token]");
    expect(doc.metadata).toEqual({
      notes: ["card [REDACTED:card-number] on file", { deep: { text: "key [REDACTED:aws-access-key-id]" } }],
      count: 3,
    });
    expect(doc.changes).toEqual([
      { path: ["webhook"], op: "replace", before: "https://hooks.example.com/x", after: "https://hooks.example.com/x?access_token=[REDACTED]" },
      { path: ["note"], op: "replace", before: "none", after: "rotated to [REDACTED:stripe-key]" },
    ]);
    expect(doc.diff).not.toContain("abc123def");
  });

  test("redactDefaults: false turns off detection by shape too", async () => {
    const input = { action: "x", summary: `t ${GH}`, errorMessage: `Bearer ${JWT}`, metadata: { s: `Bearer ${JWT}` } };
    const doc = await buildEvent(input, prepareOptions({ redactDefaults: false }), 0);
    expect(doc.summary).toBe(input.summary);
    expect(doc.errorMessage).toBe(input.errorMessage);
    expect(doc.metadata).toEqual(input.metadata);
  });

  test("a hashed field is hashed from its raw value; other strings are scanned", async () => {
    const r = createRedactor({ piiFields: ["email"], redactionMode: "hash", hashKey: HASH_KEY });
    const a = (await r.redactPayload({ email: `a@x.io ${GH}`, note: GH })) as { email: string; note: string };
    const b = (await r.redactPayload({ email: "a@x.io [REDACTED:github-token]" })) as { email: string };
    expect(a.email).toMatch(HASH_RE);
    expect(a.email).not.toBe(b.email);
    expect(a.note).toBe("[REDACTED:github-token]");
  });

  test("generated: a secret placed anywhere in an event is stored nowhere", async () => {
    const slotArb = fc.constantFrom("summary", "errorMessage", "metadata", "before", "after", "pair");
    await fc.assert(
      fc.asyncProperty(shapeArb, slotArb, treeArb, fc.string({ maxLength: 20 }), async (shape, slot, tree, around) => {
        const text = `${around.replace(/[="-]/g, "")} ${shape.text}`;
        const input: EventInput = { action: "x", metadata: tree, before: { n: 1 }, after: { n: 2 } };
        if (slot === "summary" || slot === "errorMessage") input[slot] = text;
        else if (slot === "pair") input.metadata = { list: [{ name: "note", value: text }], tree };
        else input[slot] = { wrapper: [{ text }], tree };
        const doc = await buildEvent(input, prepareOptions(), 0);
        expect(JSON.stringify(doc)).not.toContain(shape.secret);
      }),
      { numRuns: 300 },
    );
  });
});
