/**
 * The secret rules on their own: key names by tokens (generated spellings of
 * secret names that must match, and of ordinary names that must not).
 */
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { isCardNumber, isSecretKey, redactSecretsInText, SECRET_VALUE_KINDS, splitKey } from "./secrets.js";
import { cardArb, plainTextArb, SEPARATORS_AFTER, SEPARATORS_BEFORE, shapeArb } from "../../test/support/secretShapes.js";

const RUNS = { numRuns: 300 };

/** Writes words as a key in one of the spellings apps use. */
type Style = "camel" | "pascal" | "snake" | "screaming" | "kebab" | "header" | "dotted" | "spaced";
const STYLES: Style[] = ["camel", "pascal", "snake", "screaming", "kebab", "header", "dotted", "spaced"];
const cap = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);
function spell(words: readonly string[], style: Style): string {
  switch (style) {
    case "camel":
      return words.map((w, i) => (i === 0 ? w : cap(w))).join("");
    case "pascal":
      return words.map(cap).join("");
    case "snake":
      return words.join("_");
    case "screaming":
      return words.join("_").toUpperCase();
    case "kebab":
      return words.join("-");
    case "header":
      return words.map(cap).join("-");
    case "dotted":
      return words.join(".");
    case "spaced":
      return words.join(" ");
  }
}
const styleArb = fc.constantFrom(...STYLES);

// Independent of the code: words a person would call a secret, alone or in
// the runs of words that make one.
const SECRET_CORES: string[][] = [
  ["password"], ["passwd"], ["pass"], ["pwd"], ["pw"], ["passcode"], ["passphrase"], ["pin"], ["otp"], ["totp"],
  ["cvv"], ["cvc"], ["ssn"], ["jwt"], ["salt"], ["bearer"], ["secret"], ["token"], ["cookie"], ["credentials"],
  ["creds"], ["signature"], ["mnemonic"], ["api", "key"], ["private", "key"], ["access", "key"], ["encryption", "key"],
  ["signing", "key"], ["master", "key"], ["session", "key"], ["verification", "code"], ["otp", "code"],
  ["mfa", "code"], ["auth", "code"], ["backup", "codes"], ["recovery", "codes"], ["reset", "code"], ["sms", "code"],
  ["security", "code"], ["one", "time", "code"], ["two", "factor", "code"], ["card", "number"], ["credit", "card"],
  ["card", "pan"], ["seed", "phrase"], ["social", "security", "number"], ["authorization"], ["auth", "header"],
];
/** Words around a secret's name that leave it a secret (none describes it: no id, name, count …). */
const SECRET_PREFIXES = ["user", "new", "old", "card", "primary", "x", "my", "admin", "temp", "current", "customer", "db"];
const SECRET_SUFFIXES = ["last", "value", "confirm", "raw", "plain", "old", "new", "input", "field", "digits"];
/** Words and names that are not secrets, including near misses of the short secret words. */
const BENIGN_WORDS = [
  "passenger", "compass", "bypass", "passage", "passed", "spinner", "pinned", "pinnacle", "opinion", "author",
  "authority", "authenticated", "code", "key", "error", "country", "status", "postal", "zip", "language",
  "currency", "name", "title", "count", "value", "commit", "sidebar", "panel", "user", "order", "item", "page",
  "size", "price", "public", "primary", "partition", "sort", "cache", "keyboard", "salty", "hashtag", "display",
  "color", "spin", "otter", "cvs", "ssh", "hashed", "tokyo", "jwks", "passport", "topic",
];
/** How a key names or describes a secret without holding it. */
const DESCRIPTORS: string[][] = [
  ["id"], ["ids"], ["name"], ["type"], ["count"], ["length"], ["version"], ["hint"], ["enabled"], ["required"],
  ["expires", "at"], ["changed", "at"], ["created", "at"], ["last", "used", "at"], ["rotated", "at"], ["expiry"],
  ["scopes"], ["status"], ["policy"], ["algorithm"], ["provider"], ["prefix"],
];

describe("splitKey", () => {
  test.each([
    ["cvv2", ["cvv", "2"]],
    ["ssnLast4", ["ssn", "last", "4"]],
    ["cardCvv", ["card", "cvv"]],
    ["X-API-Key", ["x", "api", "key"]],
    ["APIKey", ["api", "key"]],
    ["user_PINs", ["user", "pins"]],
    ["two.factor code", ["two", "factor", "code"]],
    ["__proto__", ["proto"]],
    ["", []],
    ["café_pin", ["café", "pin"]],
  ])("%s", (key, tokens) => expect(splitKey(key)).toEqual(tokens));
});

describe("isSecretKey: generated spellings", () => {
  test("a secret's name, in any spelling, with words before or after, is a secret", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SECRET_CORES),
        fc.option(fc.constantFrom(...SECRET_PREFIXES), { nil: undefined }),
        fc.option(fc.oneof(fc.constantFrom(...SECRET_SUFFIXES), fc.integer({ min: 0, max: 99 }).map(String)), { nil: undefined }),
        styleArb,
        (core, prefix, suffix, style) => {
          const words = [...(prefix ? [prefix] : []), ...core, ...(suffix ? [suffix] : [])];
          expect(isSecretKey(spell(words, style)), spell(words, style)).toBe(true);
        },
      ),
      RUNS,
    );
  });

  test("digits glued to a secret word keep it a secret (cvv2, pin1, ssnLast4)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...SECRET_CORES), fc.integer({ min: 0, max: 999 }), styleArb, (core, n, style) => {
        const key = spell(core, style) + String(n);
        expect(isSecretKey(key), key).toBe(true);
      }),
      RUNS,
    );
  });

  test("ordinary words, alone or combined, in any spelling, are not secrets", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...BENIGN_WORDS), { minLength: 1, maxLength: 3 }), styleArb, (words, style) => {
        expect(isSecretKey(spell(words, style)), spell(words, style)).toBe(false);
      }),
      RUNS,
    );
  });

  test("a key that describes a secret (apiKeyId, tokenExpiresAt, pinLength) is kept", () => {
    fc.assert(
      fc.property(fc.constantFrom(...SECRET_CORES), fc.constantFrom(...DESCRIPTORS), styleArb, (core, descriptor, style) => {
        const key = spell([...core, ...descriptor], style);
        expect(isSecretKey(key), key).toBe(false);
      }),
      RUNS,
    );
  });
});

describe("isSecretKey: decisions", () => {
  test.each([
    // The review's examples.
    ["cvv2", true], ["cardCvv", true], ["pinCode", true], ["otpCode", true], ["ssnLast4", true], ["bearer", true],
    ["pass", true],
    // Auth flows.
    ["otp", true], ["verificationCode", true], ["backupCodes", true], ["recoveryCodes", true], ["salt", true],
    ["totpUri", true], ["otpauth", true], ["hash", true], ["passwordHash", true], ["sessionToken", true],
    ["session_token", true], ["basicAuth", true], ["proxy-auth", true], ["auth", true],
    // `code` alone is an error, status or country code far more often than an auth code.
    ["code", false], ["errorCode", false], ["statusCode", false], ["countryCode", false], ["promoCode", false],
    // `pass` and `pin` count as whole words only.
    ["passenger", false], ["compass", false], ["bypass", false], ["pass_through", true], ["boardingPass", true],
    ["spinner", false], ["pinned", false], ["pinColor", true], ["PIN", true],
    // `hash`, `pan`, `sid`, `auth` only as the whole key.
    ["commitHash", false], ["contentHash", false], ["panel", false], ["sidebar", false], ["authProvider", false],
    ["authMethod", false], ["author", false],
    // Descriptors are kept: which key was used is what an auditor asks first.
    ["apiKeyId", false], ["tokenExpiresAt", false], ["passwordChangedAt", false], ["secretName", false],
    ["tokenCount", false], ["apikeyid", false], ["tokenexpiresat", false], ["privateKeyId", false], ["sessionId", false],
    ["apiKeyId2", false], ["tokenLastUsedAt", false],
    // Things a session carries that are not secrets by name.
    ["keyPrefix", false], ["publicKey", false], ["primaryKey", false], ["idempotencyKey", false],
  ])("%s → %s", (key, secret) => expect(isSecretKey(key)).toBe(secret));
});

// ---------------------------------------------------------------------------
// Secrets by shape inside text.

describe("redactSecretsInText", () => {
  test("every secret shape, inside ordinary text, is replaced and the text around it kept", () => {
    fc.assert(
      fc.property(plainTextArb, fc.constantFrom(...SEPARATORS_BEFORE), shapeArb, fc.constantFrom(...SEPARATORS_AFTER), plainTextArb, (before, s1, shape, s2, after) => {
        const text = `${before}${s1}${shape.text}${s2}${after}`;
        const out = redactSecretsInText(text);
        expect(out, text).toBe(`${before}${s1}${shape.expected}${shape.toEnd ? "" : `${s2}${after}`}`);
        expect(out).not.toContain(shape.secret);
      }),
      { numRuns: 1000 },
    );
  });

  test("a secret alone is replaced, as is every one of several", () => {
    fc.assert(
      fc.property(fc.array(shapeArb, { minLength: 1, maxLength: 5 }), (shapes) => {
        const out = redactSecretsInText(shapes.map((s) => s.text).join("\n"));
        // A cut-off key runs to the next key's END line, or to the end of the text.
        const expected: string[] = [];
        for (let i = 0; i < shapes.length; i++) {
          expected.push(shapes[i].expected);
          if (!shapes[i].toEnd) continue;
          const next = shapes.findIndex((s, j) => j > i && s.kind === "private-key" && !s.toEnd);
          if (next < 0) break;
          i = next;
        }
        expect(out).toBe(expected.join("\n"));
      }),
      RUNS,
    );
  });

  test("text without secrets comes back unchanged (the same string)", () => {
    // Random strings without "=" and '"': with them, a random "Pw= ?" is a secret by name (the vocabulary covers name=value).
    const random = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: "grapheme", maxLength: 100 })).filter((t) => !/[="]/.test(t));
    fc.assert(
      fc.property(fc.oneof(plainTextArb, random), (text) => {
        expect(redactSecretsInText(text)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  test("redacting twice changes nothing more", () => {
    fc.assert(
      fc.property(plainTextArb, shapeArb, plainTextArb, (a, shape, b) => {
        const once = redactSecretsInText(`${a} ${shape.text} ${b}`);
        expect(redactSecretsInText(once)).toBe(once);
      }),
      RUNS,
    );
  });

  test.each([
    // Decisions, each with its reason in secrets.ts.
    ["publishable Stripe keys are public", "pk_live_51H8xYzAbCdEfGhIjKlMnOpQrStUvWx", "pk_live_51H8xYzAbCdEfGhIjKlMnOpQrStUvWx"],
    ["a public key block is not a secret", "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----", "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----"],
    ["ms timestamps are no card number", "at 1767225600000", "at 1767225600000"],
    ["a Luhn-invalid number stays", "4111 1111 1111 1112", "4111 1111 1111 1112"],
    ["a card glued to an id stays part of the id", "order_4111111111111111", "order_4111111111111111"],
    ["a slug after sk- without digits stays", "sk-this-is-a-long-kebab-case-slug-name", "sk-this-is-a-long-kebab-case-slug-name"],
    ["a host and port are no user and password", "http://localhost:3000/x", "http://localhost:3000/x"],
    ["the value after a descriptor name stays", "apiKeyId=k_123&tokenExpiresAt=2026", "apiKeyId=k_123&tokenExpiresAt=2026"],
    ["code= is not an auth code by name", "code=ABC123", "code=ABC123"],
    ["otpauth URIs lose their secret", "otpauth://totp/ACME:ann?secret=JBSWY3DPEHPK3PXP&issuer=ACME", "otpauth://totp/ACME:ann?secret=[REDACTED]&issuer=ACME"],
    ["a password with an @ in a URL", "https://ann:p@ss@host/x", "https://ann:[REDACTED:url-password]@host/x"],
    ["a URL password without a user", "redis://:hunter2@cache:6379", "redis://:[REDACTED:url-password]@cache:6379"],
    ["Bearer in any letter case", "BeArEr abcdefgh12345678", "BeArEr [REDACTED:bearer-token]"],
    ["name = value with blanks", "PGPASSWORD = s3cret ok", "PGPASSWORD = [REDACTED] ok"],
    ["a value closing a sentence keeps the bracket and stop", "(see ?token=abc123).", "(see ?token=[REDACTED])."],
    ["a name inside another value", "x=password=hunter2", "x=password=[REDACTED]"],
    ["a name over 64 characters is prose", `${"a".repeat(60)}password=x`, `${"a".repeat(60)}password=x`],
    ["JSON numbers under a secret name", '{"pin":1234,"n":1}', '{"pin":"[REDACTED]","n":1}'],
    ["a cut-off private key is still withheld", "key: -----BEGIN PRIVATE KEY-----\nMIIEvQIBADAN", "key: [REDACTED:private-key]"],
  ])("%s", (_why, text, expected) => expect(redactSecretsInText(text)).toBe(expected));

  test("adversarial 100 KB strings finish quickly and never throw", () => {
    const inputs = [
      "eyJ".repeat(34_000), "eyJa.".repeat(20_000), ".eyJ".repeat(25_000), "Bearer ".repeat(15_000), "Basic ".repeat(17_000),
      `Bearer ${"a".repeat(100_000)}`, "://a:".repeat(20_000), `://${"a:".repeat(50_000)}`, `://a:${"@".repeat(100_000)}`,
      "1".repeat(100_000), "4111 ".repeat(20_000), "1 ".repeat(50_000), "1-".repeat(50_000), "a=".repeat(50_000),
      `${"a".repeat(70)}=`.repeat(1_400), '"a":"'.repeat(20_000), `"password":"${"x".repeat(100_000)}`,
      `"password":"${"\\x".repeat(50_000)}`, "-----BEGIN RSA PRIVATE KEY-----".repeat(3_000), "-----BEGIN ".repeat(9_000),
      "password ".repeat(11_000), "AKIA".repeat(25_000), "sk-".repeat(33_000), "ghp_".repeat(25_000), "xox".repeat(33_000),
      `${"x".repeat(50_000)}=${"y".repeat(50_000)}`, `"${"a".repeat(100_000)}`, "A".repeat(100_000), "-".repeat(100_000),
      "=".repeat(100_000), "password= ".repeat(10_000), `password=${"x".repeat(100_000)}`,
    ];
    for (const input of inputs) {
      const t0 = performance.now();
      const out = redactSecretsInText(input);
      const ms = performance.now() - t0;
      expect(typeof out).toBe("string");
      expect(ms, `${input.slice(0, 20)}… took ${ms.toFixed(1)} ms`).toBeLessThan(250);
    }
    const huge = `"password":"${"x".repeat(1_000_000)}" and Bearer ${"y".repeat(1_000_000)}`;
    expect(redactSecretsInText(huge)).toBe(`"password":"[REDACTED]" and Bearer [REDACTED:bearer-token]`);
  });

  test("isCardNumber: schemes, lengths and Luhn", () => {
    fc.assert(
      fc.property(cardArb, (d) => {
        expect(isCardNumber(d)).toBe(true);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(cardArb, fc.integer({ min: 1, max: 9 }), (d, bump) => {
        const last = (Number(d[d.length - 1]) + bump) % 10;
        expect(isCardNumber(d.slice(0, -1) + String(last))).toBe(false);
      }),
      RUNS,
    );
    expect(isCardNumber("1767225600000")).toBe(false);
    expect(SECRET_VALUE_KINDS).toContain("card-number");
  });
});
