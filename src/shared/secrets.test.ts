/**
 * The secret rules on their own: key names by tokens (generated spellings of
 * secret names that must match, and of ordinary names that must not).
 */
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { isSecretKey, splitKey } from "./secrets.js";

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
