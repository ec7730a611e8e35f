/**
 * Generated secrets of every shape redactSecretsInText knows, each with what
 * it must become, and ordinary text (with near misses) that must not change.
 * Written from the formats' own definitions, not from the detector's regexes.
 */
import fc from "fast-check";

const chars = (alphabet: string, min: number, max = min) =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength: min, maxLength: max });
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
const ALNUM = UPPER + LOWER + DIGITS;
const B64URL = ALNUM + "-_";
/** A random key: alphanumeric with at least one digit, as generated keys are. */
const randomKey = (n: number) => fc.tuple(chars(ALNUM, n - 1), fc.constantFrom(...DIGITS), fc.nat(n - 1)).map(([s, d, at]) => s.slice(0, at) + d + s.slice(at));
const b64url = (text: string) => btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** A card number of a scheme, with a valid Luhn check digit. */
export const cardArb = fc
  .tuple(
    fc.constantFrom(["4", 16], ["4", 13], ["4", 19], ["51", 16], ["55", 16], ["2221", 16], ["2720", 16], ["34", 15], ["37", 15], ["6011", 16], ["65", 19], ["3530", 16], ["36", 14], ["62", 17], ["6759", 18]),
    fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 19, maxLength: 19 }),
  )
  .map(([[prefix, length], fill]) => {
    const body = (prefix + fill.join("")).slice(0, (length as number) - 1);
    let sum = 0;
    for (let i = 0; i < body.length; i++) {
      let x = Number(body[body.length - 1 - i]);
      if (i % 2 === 0) {
        x *= 2;
        if (x > 9) x -= 9;
      }
      sum += x;
    }
    return body + String((10 - (sum % 10)) % 10);
  });
const groupCard = (d: string, sep: string) =>
  d.length === 15 ? [d.slice(0, 4), d.slice(4, 10), d.slice(10)].join(sep) : d.length === 16 ? d.match(/.{4}/g)!.join(sep) : d;

/**
 * A secret, its kind, and what it must become: the marker, or the marker with
 * what is kept around it. A private key cut off before its END line takes the
 * rest of the text with it (where it ends cannot be told).
 */
export type Shape = { kind: string; secret: string; text: string; expected: string; toEnd?: boolean };
const mark = (kind: string) => `[REDACTED:${kind}]`;
const whole = (kind: string) => (secret: string): Shape => ({ kind, secret, text: secret, expected: mark(kind) });

export const shapeArb: fc.Arbitrary<Shape> = fc.oneof(
  fc
    .tuple(fc.constantFrom("HS256", "RS256", "ES384"), chars(ALNUM, 4, 12), fc.integer({ min: 1_600_000_000, max: 1_900_000_000 }), chars(B64URL, 20, 86))
    .map(([alg, sub, exp, sig]) => `${b64url(JSON.stringify({ alg, typ: "JWT" }))}.${b64url(JSON.stringify({ sub, exp }))}.${sig}`)
    .map(whole("jwt")),
  fc.tuple(fc.constantFrom("Bearer", "bearer", "BEARER"), fc.oneof(randomKey(24), fc.tuple(chars(B64URL + ".~+/", 15, 63), fc.constantFrom(...ALNUM)).map(([a, b]) => a + b))).map(([word, token]) => ({
    kind: "bearer-token", secret: token, text: `${word} ${token}`, expected: `${word} ${mark("bearer-token")}`,
  })),
  fc.tuple(chars(LOWER, 3, 10), randomKey(12)).map(([user, pass]) => {
    const token = btoa(`${user}:${pass}`);
    return { kind: "basic-auth", secret: token, text: `Basic ${token}`, expected: `Basic ${mark("basic-auth")}` };
  }),
  fc
    .tuple(fc.constantFrom("RSA ", "EC ", "OPENSSH ", "ENCRYPTED ", "", "PGP "), fc.array(chars(ALNUM + "+/", 64), { minLength: 1, maxLength: 6 }), fc.boolean())
    .map(([type, lines, truncated]) => {
      const block = `-----BEGIN ${type}PRIVATE KEY${type === "PGP " ? " BLOCK" : ""}-----\n${lines.join("\n")}`;
      const secret = truncated ? block : `${block}\n-----END ${type}PRIVATE KEY${type === "PGP " ? " BLOCK" : ""}-----`;
      return { kind: "private-key", secret: lines[0], text: secret, expected: mark("private-key"), toEnd: truncated };
    }),
  fc.tuple(fc.constantFrom("postgres", "mysql", "https", "redis", "amqp"), chars(LOWER, 3, 10), randomKey(14), chars(LOWER, 3, 10)).map(([scheme, user, pass, host]) => ({
    kind: "url-password", secret: pass,
    text: `${scheme}://${user}:${pass}@${host}.example.com:5432/db`,
    expected: `${scheme}://${user}:${mark("url-password")}@${host}.example.com:5432/db`,
  })),
  fc.tuple(fc.constantFrom("AKIA", "ASIA"), chars(UPPER + DIGITS, 16)).map(([p, s]) => p + s).map(whole("aws-access-key-id")),
  fc.oneof(
    fc.tuple(fc.constantFrom("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), randomKey(36)).map(([p, s]) => p + s),
    randomKey(82).map((s) => `github_pat_${s.slice(0, 22)}_${s.slice(22, 81)}`),
  ).map(whole("github-token")),
  fc.tuple(fc.constantFrom("xoxb", "xoxp", "xoxa", "xoxr", "xoxs"), chars(DIGITS, 10, 13), chars(DIGITS, 10, 13), randomKey(24)).map(([p, a, b, c]) => `${p}-${a}-${b}-${c}`).map(whole("slack-token")),
  fc.tuple(fc.constantFrom("sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"), randomKey(32)).map(([p, s]) => p + s).map(whole("stripe-key")),
  fc.tuple(chars(ALNUM + "-_", 34), fc.constantFrom(...ALNUM)).map(([s, c]) => `AIza${s}${c}`).map(whole("google-api-key")),
  fc.tuple(fc.constantFrom("sk-", "sk-proj-", "sk-svcacct-", "sk-ant-api03-"), randomKey(48)).map(([p, s]) => p + s).map(whole("openai-key")),
  fc.tuple(randomKey(22), randomKey(43)).map(([a, b]) => `SG.${a}.${b}`).map(whole("sendgrid-key")),
  randomKey(36).map((s) => `npm_${s}`).map(whole("npm-token")),
  fc.tuple(cardArb, fc.constantFrom("", " ", "-")).map(([d, sep]) => {
    const text = sep === "" || (d.length !== 15 && d.length !== 16) ? d : groupCard(d, sep);
    return { kind: "card-number", secret: text, text, expected: mark("card-number") };
  }),
  fc.tuple(fc.constantFrom("password", "access_token", "client_secret", "api_key", "pin", "otp"), randomKey(12)).map(([name, value]) => ({
    kind: "param", secret: value, text: `${name}=${value}`, expected: `${name}=[REDACTED]`,
  })),
  fc.tuple(fc.constantFrom("password", "apiKey", "refresh_token", "cvv"), randomKey(12)).map(([name, value]) => ({
    kind: "json", secret: value, text: `{"${name}": "${value}", "user": "ann"}`, expected: `{"${name}": "[REDACTED]", "user": "ann"}`,
  })),
);

/** Ordinary text: words, numbers, ids, urls and near misses of the shapes, none a secret. */
const PLAIN_WORDS = [
  "the", "request", "failed", "with", "status", "500", "for", "user", "ann", "at", "2026-01-31T10:00:00Z", "retry",
  "passenger", "compass", "bearer of news", "Basic plan", "basic information", "Bearer undefined", "AKIA", "ghp_short",
  "sk_live_1", "pk_live_51H8abcdefghijklmnopqrstuvwxyz0123456789", "eyJhbGciOiJIUzI1NiJ9", "sk-learn", "x=1", "count=5",
  "status=ok", "page=2&sort=desc", "https://example.com/a?b=c", "http://localhost:3000/x", "user@example.com",
  "1767225600000", "1234567890123456789", "4111111111111112", "+44 20 7946 0018", "id: 42", "{\"name\": \"Ann\"}",
  "123e4567-e89b-12d3-a456-426614174000", "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  "doc_00042", "order_4111111111111111", "keyPrefix", "apiKeyId=k_123", "tokenCount=3", "-----BEGIN PUBLIC KEY-----",
  "café", "日本語", "emoji 🎉", "v1.2.3", "3.14159", "(", ")", ",", ".", ":", ";", "—",
];
export const plainTextArb = fc.array(fc.constantFrom(...PLAIN_WORDS), { maxLength: 30 }).map((ws) => ws.join(" "));
/** What can stand between a secret and the text around it. */
export const SEPARATORS_BEFORE = [" ", "\n", ": ", " (", " '", "\t", " [", " <"];
export const SEPARATORS_AFTER = [" ", "\n", ", ", ") ", "' ", "\t", "] ", "> ", ". "];
