/**
 * What counts as a secret: key names (this module's first half) and, later,
 * well-known secret shapes inside text. Pure, with no Node API: the component
 * runs it on every event.
 *
 * Key names are compared by tokens: a key is split at camelCase humps, at
 * `_`, `-`, `.`, spaces and other punctuation, and between letters and
 * digits, then lowercased (`cardCvv2` → card, cvv, 2; `SSNLast4` → ssn, last,
 * 4; `X-API-Key` → x, api, key). Matching whole tokens is what lets short
 * words (`pin`, `pass`, `otp`) count without catching `spinner`, `passenger`
 * or `compass`.
 */

/**
 * Fragments (lowercase, letters and digits only) that mark a secret wherever
 * they occur in the key with separators removed, so run-together spellings
 * (`userpassword`, `accesstoken`, `xapikey`) match too. Only fragments long
 * and specific enough to be safe inside other words belong here.
 */
export const SECRET_KEY_PARTS = [
  "password",
  "passwd",
  "passphrase",
  "secret",
  "token",
  "apikey",
  "authorization",
  "cookie",
  "privatekey",
  "credential",
  "cardnumber",
  "creditcard",
  "ccnumber",
  "socialsecurity",
  "signature",
] as const;

/** Tokens that mark a secret wherever they stand in the key (`pinCode`, `cardCvv2`, `ssnLast4`, `otp_secret`). */
export const SECRET_KEY_TOKENS = [
  "pass",
  "pw",
  "pwd",
  "passcode",
  "pin",
  "otp",
  "totp",
  "hotp",
  "otpauth",
  "cvv",
  "cvc",
  "ssn",
  "jwt",
  "salt",
  "bearer",
  "creds",
  "mnemonic",
] as const;

/**
 * Keys that are secrets only when they are the whole key: as a part of a
 * longer key each is mostly something else (`panX`, `commitHash`,
 * `authProvider`, `sidebar`).
 */
export const SECRET_KEYS_EXACT = ["pan", "sid", "auth", "hash"] as const;

/**
 * Runs of tokens that mark a secret, the last token singular or plural
 * (`apiKey`, `recovery_codes`, `twoFactorCode`). `code` alone is not a
 * secret (error, status, country and promo codes are what it mostly holds);
 * it is one after a word that makes it an authentication code.
 */
export const SECRET_KEY_SEQUENCES: readonly (readonly string[])[] = [
  ...["api", "private", "access", "secret", "encryption", "signing", "master", "recovery", "session", "auth", "shared", "hmac", "root"].map(
    (w) => [w, "key"],
  ),
  ...["otp", "mfa", "verification", "verify", "auth", "sms", "recovery", "backup", "reset", "login", "signin", "security", "confirmation", "access", "magic", "twofa"].map(
    (w) => [w, "code"],
  ),
  ["sign", "in", "code"],
  ["log", "in", "code"],
  ["2", "fa", "code"],
  ["two", "fa", "code"],
  ["two", "factor", "code"],
  ["one", "time", "code"],
  ["seed", "phrase"],
  ["recovery", "phrase"],
  ["card", "no"],
  ["card", "pan"],
  ...["header", "code", "key", "string", "value", "data", "info"].map((w) => ["auth", w]),
];

/**
 * Last tokens of keys that name or describe a secret without holding it
 * (`apiKeyId`, `tokenExpiresAt`, `passwordChangedAt`, `secretName`,
 * `pinLength`, `otpEnabled`): redacting those would hide which key was used,
 * which is what an auditor asks first. A key is kept when it ends with one of
 * these and what comes before is itself a secret's name.
 */
const DESCRIPTOR_TOKENS = new Set([
  "id", "ids", "name", "names", "type", "types", "kind", "count", "length", "version", "hint", "set", "enabled",
  "required", "expiry", "expiration", "ttl", "scope", "scopes", "status", "strength", "policy", "algorithm",
  "provider", "label", "prefix", "rounds",
]);
/** `<verb> at` / `<verb> on` timestamps: `changedAt`, `lastUsedAt`, `expiresOn`. */
const DESCRIPTOR_VERBS = new Set([
  "changed", "created", "updated", "expires", "expired", "rotated", "revoked", "issued", "used", "reset", "generated", "verified", "set",
]);
/** The same rule on a key written in one lowercase run (`apikeyid`, `tokenexpiresat`). */
const DESCRIPTOR_SUFFIX =
  /(id|ids|name|type|count|changedat|createdat|updatedat|expiresat|expiry|length|version|hint|set|enabled|required)$/;

const TOKENS = new Set<string>(SECRET_KEY_TOKENS);
const EXACT = new Set<string>(SECRET_KEYS_EXACT);
const SEQUENCE_HEADS = new Set(SECRET_KEY_SEQUENCES.map((s) => s[0]));
const AUTH_TAIL = "auth";

/** Character classes for splitting: ASCII letter case, digit, or a separator; any other character counts as a lowercase letter. */
const C = { Sep: 0, Lower: 1, Upper: 2, Digit: 3 } as const;
type C = (typeof C)[keyof typeof C];
function charClass(code: number): C {
  if (code >= 97 && code <= 122) return C.Lower;
  if (code >= 65 && code <= 90) return C.Upper;
  if (code >= 48 && code <= 57) return C.Digit;
  return code < 128 ? C.Sep : C.Lower;
}

/** A key's lowercase tokens: split at camelCase humps, punctuation, and letter/digit boundaries. */
export function splitKey(key: string): string[] {
  const out: string[] = [];
  let start = -1;
  let prev: C = C.Sep;
  const flush = (end: number) => {
    if (start >= 0 && end > start) out.push(key.slice(start, end).toLowerCase());
    start = -1;
  };
  for (let i = 0; i < key.length; i++) {
    const c = charClass(key.charCodeAt(i));
    if (c === C.Sep) {
      flush(i);
    } else if (start < 0) {
      start = i;
    } else if (
      (c === C.Upper && prev === C.Lower) ||
      (c === C.Digit) !== (prev === C.Digit)
    ) {
      flush(i);
      start = i;
    } else if (c === C.Lower && prev === C.Upper && i - start >= 2 && !pluralOfCaps(key, i)) {
      // "APIKey": the capital before the first lowercase letter starts the next word.
      flush(i - 1);
      start = i - 1;
    }
    prev = c;
  }
  flush(key.length);
  return out;
}

/** "PINs", "JWTs": a lone lowercase s closing a run of capitals is its plural, not a new word. */
function pluralOfCaps(key: string, i: number): boolean {
  return key.charCodeAt(i) === 115 && (i + 1 === key.length || charClass(key.charCodeAt(i + 1)) !== C.Lower);
}

const sameWord = (token: string, word: string, plural: boolean) =>
  token === word || (plural && token.length === word.length + 1 && token.endsWith("s") && token.startsWith(word));

/** Whether the tokens name a secret, before the descriptor exception. */
function namesSecret(tokens: readonly string[]): boolean {
  if (tokens.length === 0) return false;
  const joined = tokens.join("");
  if (tokens.length === 1 && EXACT.has(joined)) return true;
  for (const part of SECRET_KEY_PARTS) if (joined.includes(part)) return true;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (TOKENS.has(t) || (t.length > 3 && t.endsWith("s") && TOKENS.has(t.slice(0, -1)))) return true;
    if (!SEQUENCE_HEADS.has(t)) continue;
    for (const seq of SECRET_KEY_SEQUENCES) {
      if (seq[0] !== t || i + seq.length > tokens.length) continue;
      let ok = true;
      for (let j = 1; j < seq.length && ok; j++) ok = sameWord(tokens[i + j], seq[j], j === seq.length - 1);
      if (ok) return true;
    }
  }
  // `basicAuth`, `proxy_auth`: auth as the last word is the credential itself.
  return tokens.length > 1 && tokens[tokens.length - 1] === AUTH_TAIL;
}

/** How many trailing tokens describe rather than hold (0 if none). Trailing digits are skipped (`apiKeyId2`). */
function descriptorLength(tokens: readonly string[]): number {
  let end = tokens.length;
  while (end > 0 && /^[0-9]+$/.test(tokens[end - 1])) end--;
  if (end === 0) return 0;
  const last = tokens[end - 1];
  if (DESCRIPTOR_TOKENS.has(last)) return tokens.length - end + 1;
  if ((last === "at" || last === "on") && end >= 2 && DESCRIPTOR_VERBS.has(tokens[end - 2])) return tokens.length - end + 2;
  return 0;
}

// Keys repeat across events and a redactor is built per call, so the answers are kept here, for
// every redactor; bounded, since keys come from callers.
const keyCache = new Map<string, boolean>();

/** Whether a key's value should be treated as a secret by the default rules. */
export function isSecretKey(key: string): boolean {
  let hit = keyCache.get(key);
  if (hit === undefined) {
    if (keyCache.size >= 4096) keyCache.clear();
    keyCache.set(key, (hit = classifyKey(key)));
  }
  return hit;
}

function classifyKey(key: string): boolean {
  const tokens = splitKey(key);
  if (tokens.length === 0) return false;
  const d = descriptorLength(tokens);
  if (d > 0 && d < tokens.length && namesSecret(tokens.slice(0, tokens.length - d))) return false;
  const joined = tokens.join("");
  const m = DESCRIPTOR_SUFFIX.exec(joined);
  if (m !== null && m.index > 0) {
    const stem = joined.slice(0, m.index);
    if (SECRET_KEY_PARTS.some((part) => stem.endsWith(part))) return false;
  }
  return namesSecret(tokens);
}

/**
 * A bare `code` key (any letter case) is not a secret key (see
 * SECRET_KEY_SEQUENCES), but auth flows put their one-time codes there:
 * OTPs, backup codes, OAuth authorization codes, verification codes. So its
 * value decides. Kept: numbers, a 1–3 digit status code, and words — letters
 * in segments split by `_`, `-`, `.` or spaces, each segment one case or
 * capitalised (`FORBIDDEN`, `INSUFFICIENT_FUNDS`, `not_found`, `en-US`).
 * Redacted: any other string with a digit, or of 16 or more characters.
 */
export function isCodeSecret(key: string, value: unknown): boolean {
  if (typeof value !== "string" || key.toLowerCase() !== "code") return false;
  if (/^\d{1,3}$/.test(value)) return false;
  if (/^[A-Za-z]+(?:[_.\- ][A-Za-z]+)*$/.test(value) && value.split(/[_.\- ]/).every((w) => /^(?:[a-z]+|[A-Z]+|[A-Z][a-z]+)$/.test(w))) {
    return false;
  }
  return /\d/.test(value) || value.length >= 16;
}

// ---------------------------------------------------------------------------
// Secrets by shape, inside any text.

/**
 * What a secret found inside text is replaced with: the kind is kept so an
 * auditor can tell "a JWT was in this error message" from "a card number
 * was", without any of it.
 */
export const secretMarker = (kind: SecretValueKind) => `[REDACTED:${kind}]`;
/** What a value after a secret-looking name in text (`password=…`, `"token": "…"`) is replaced with, as for a key. */
const TEXT_MASK = "[REDACTED]";

/** The shapes recognised inside text. */
export const SECRET_VALUE_KINDS = [
  "private-key",
  "jwt",
  "bearer-token",
  "basic-auth",
  "url-password",
  "aws-access-key-id",
  "github-token",
  "slack-token",
  "stripe-key",
  "google-api-key",
  "openai-key",
  "sendgrid-key",
  "npm-token",
  "card-number",
] as const;
export type SecretValueKind = (typeof SECRET_VALUE_KINDS)[number];

/** Any text shorter than this holds none of the shapes (the shortest is `pin=1`). */
const MIN_SCAN_LENGTH = 5;
/** Nor any token shape (the shortest is `Basic` and six characters); most ids and enum values are shorter. */
const MIN_TOKEN_TEXT = 12;

/*
 * Rules that keep every scan linear on any input (a 100 KB adversarial
 * string is tested):
 * - each token shape begins with a literal, then a lookbehind that refuses a
 *   start inside a run of the token's own characters, so a long run is
 *   scanned from its first character only;
 * - every repetition is over a class that cannot also match what follows it,
 *   or is bounded;
 * - name=value is found by a loop over the `=` signs that reads the name
 *   backwards, not by a regex: a replace callback per `=` in a log line cost
 *   more than everything else together.
 * Private keys are found with indexOf instead (their body is unbounded).
 *
 * The shapes are split in groups, each run only when a cheap check finds its
 * first characters: one regex with every alternative costs about five times
 * as much per character as the groups' checks together, and most strings
 * (ids, labels, enum values) pass no check at all.
 */
const TOKENS_CHECK = /eyJ|[Bb][Ee][Aa][Rr][Ee][Rr]|[Bb][Aa][Ss][Ii][Cc]|A[KS]IA|AIza|gh[pousr]_|github_pat_|xox[abprse]-|k_live_|k_test_|whsec_|sk-|SG\.|npm_/;
const TOKEN_SHAPES = new RegExp(
  [
    String.raw`(?<jwt>eyJ(?<![A-Za-z0-9_-]eyJ)[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*)`,
    String.raw`(?<bearer>[Bb](?<![A-Za-z0-9][Bb])[Ee][Aa][Rr][Ee][Rr][ \t]+)(?<bearerToken>[A-Za-z0-9._~+/-]*[A-Za-z0-9_~+/-]=*)`,
    String.raw`(?<basic>[Bb](?<![A-Za-z0-9][Bb])[Aa][Ss][Ii][Cc][ \t]+)(?<basicToken>[A-Za-z0-9+/]{6,}={0,2})`,
    String.raw`(?<aws>A(?<![A-Za-z0-9]A)[KS]IA[A-Z0-9]{16}(?![A-Za-z0-9]))`,
    String.raw`(?<github>g(?<![A-Za-z0-9_]g)(?:h[pousr]_[A-Za-z0-9]{30,255}|ithub_pat_[A-Za-z0-9_]{30,255}))`,
    String.raw`(?<slack>x(?<![A-Za-z0-9_-]x)ox[abprse]-[A-Za-z0-9-]{10,255})`,
    String.raw`(?<stripe>[sr](?<![A-Za-z0-9_][sr])k_(?:live|test)_[A-Za-z0-9]{10,247}|w(?<![A-Za-z0-9_]w)hsec_[A-Za-z0-9+/=]{10,247})`,
    String.raw`(?<google>A(?<![A-Za-z0-9_-]A)Iza[0-9A-Za-z_-]{35})`,
    String.raw`(?<openai>s(?<![A-Za-z0-9_-]s)k-[A-Za-z0-9_-]{32,300})`,
    String.raw`(?<sendgrid>S(?<![A-Za-z0-9_-]S)G\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64})`,
    String.raw`(?<npm>n(?<![A-Za-z0-9_]n)pm_[A-Za-z0-9]{36})`,
  ].join("|"),
  "g",
);
// The user may be empty (redis://:password@host); the password runs to the authority's last "@"
// (an unescaped "@" in it would otherwise cut it short).
const URL_PASSWORD = /(?<url>:\/\/[^\s:@/?#]{0,256}:)(?<urlPassword>[^\s/?#]{1,256})@/g;
const CARD =
  /(?<card>[0-9](?<![0-9A-Za-z_.][0-9])[0-9]{3}(?:(?<sep>[ -])[0-9]{4}\k<sep>[0-9]{4}\k<sep>[0-9]{4}(?:\k<sep>[0-9]{3})?|(?<amexSep>[ -])[0-9]{6}\k<amexSep>[0-9]{4,5}|[0-9]{9,15})(?![0-9A-Za-z_]|\.[0-9]))/g;
const JSON_FIELD =
  /(?<jsonKey>"(?<jsonName>[A-Za-z][A-Za-z0-9_. -]{0,63})"\s*:\s*)(?<jsonValue>"(?:[^"\\]|\\.)+"|[0-9][0-9.eE+-]{0,63})/g;

type Groups = Record<string, string | undefined>;

function replaceShape(match: string, ...rest: unknown[]): string {
  const g = rest[rest.length - 1] as Groups;
  if (g.jwt !== undefined) return secretMarker("jwt");
  if (g.bearer !== undefined) {
    const token = g.bearerToken ?? "";
    // "Bearer undefined", "bearer of bad news" are not credentials; real tokens are long or not plain words.
    const credential = token.length >= 16 || (token.length >= 8 && /[0-9._~+/=-]/.test(token));
    return credential ? g.bearer + secretMarker("bearer-token") : match;
  }
  if (g.basic !== undefined) return isBasicCredential(g.basicToken ?? "") ? g.basic + secretMarker("basic-auth") : match;
  if (g.url !== undefined) return `${g.url}${secretMarker("url-password")}@`;
  if (g.aws !== undefined) return secretMarker("aws-access-key-id");
  if (g.github !== undefined) return secretMarker("github-token");
  if (g.slack !== undefined) return secretMarker("slack-token");
  if (g.stripe !== undefined) return secretMarker("stripe-key");
  if (g.google !== undefined) return secretMarker("google-api-key");
  // Random keys have digits; a long kebab-case slug that happens to start with "sk-" does not.
  if (g.openai !== undefined) return /[0-9]/.test(match) ? secretMarker("openai-key") : match;
  if (g.sendgrid !== undefined) return secretMarker("sendgrid-key");
  if (g.npm !== undefined) return secretMarker("npm-token");
  if (g.jsonKey !== undefined) {
    const value = g.jsonValue ?? "";
    if (value.startsWith('"[REDACTED') || !isSecretKey(g.jsonName ?? "")) return match;
    return `${g.jsonKey}"${TEXT_MASK}"`;
  }
  return match;
}

const isNameChar = (c: number) =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 45; // a-z A-Z 0-9 _ . -
const isLetter = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
const isBlank = (c: number) => c === 32 || c === 9;
/** Characters that end a value after `=`: whitespace and the separators of query strings, cookies, lists and markup. */
const endsValue = (c: number) =>
  c <= 32 || c === 38 || c === 59 || c === 44 || c === 34 || c === 39 || c === 60 || c === 62; // & ; , " ' < >
/** Not the last character of a value, as in "(see ?token=abc)." — the cost is a password ending in one. */
const closesSentence = (c: number) => c === 46 || c === 41 || c === 93 || c === 125; // . ) ] }

/**
 * `name=value` (or `name = value`) where the name is a secret's by the key
 * rules: `?access_token=…&`, `PGPASSWORD=…`, `otpauth://…?secret=…`. The
 * name is read backwards from each `=`: a letter, then up to 63 of
 * `[A-Za-z0-9_.-]`, not preceded by another of them.
 */
function redactParams(text: string): string {
  let out = "";
  let copied = 0;
  const n = text.length;
  for (let eq = text.indexOf("="); eq >= 0; eq = text.indexOf("=", eq + 1)) {
    let end = eq;
    if (end > 0 && isBlank(text.charCodeAt(end - 1))) end--;
    let start = end;
    while (start > 0 && end - start <= 64 && isNameChar(text.charCodeAt(start - 1))) start--;
    if (start === end || end - start > 64 || !isLetter(text.charCodeAt(start))) continue;
    let v = eq + 1;
    if (v < n && isBlank(text.charCodeAt(v))) v++;
    if (v >= n || endsValue(text.charCodeAt(v)) || text.charCodeAt(v) === 61 || text.startsWith("[REDACTED", v)) continue;
    if (!isSecretKey(text.slice(start, end))) continue;
    let ve = v + 1;
    while (ve < n && !endsValue(text.charCodeAt(ve))) ve++;
    while (ve > v + 1 && closesSentence(text.charCodeAt(ve - 1))) ve--;
    out += text.slice(copied, v) + TEXT_MASK;
    copied = ve;
    eq = ve - 1;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/**
 * Card numbers, found with an exec loop rather than replace: a run of digit
 * groups that is not a card ("+44 20 7946 0018 4000 0000 0000 0002") must
 * not swallow the card that starts inside it, so the scan resumes at its
 * next group instead of after it.
 */
function redactCards(text: string): string {
  let out = "";
  let copied = 0;
  CARD.lastIndex = 0;
  for (let m = CARD.exec(text); m !== null; m = CARD.exec(text)) {
    // Four groups and a fifth of three digits may be a 16-digit card followed by another number.
    const length = isCardNumber(m[0]) ? m[0].length : m[0].length > 19 && isCardNumber(m[0].slice(0, 19)) ? 19 : 0;
    if (length > 0) {
      out += text.slice(copied, m.index) + secretMarker("card-number");
      copied = m.index + length;
      CARD.lastIndex = copied;
    } else if (m.groups?.sep !== undefined || m.groups?.amexSep !== undefined) {
      CARD.lastIndex = m.index + 5;
    }
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** `Basic <b64>` is a credential when it decodes to printable `user:password`. */
function isBasicCredential(b64: string): boolean {
  let decoded: string;
  try {
    decoded = atob(b64);
  } catch {
    return false;
  }
  return /^[\x20-\x7e]+$/.test(decoded) && decoded.indexOf(":") > 0;
}

/**
 * A card number: 13–19 digits with a major scheme's prefix and length, and a
 * valid Luhn check digit. The prefixes keep 13-digit millisecond timestamps
 * and 17–19-digit snowflake ids out; Luhn removes nine in ten of the rest.
 */
export function isCardNumber(text: string): boolean {
  const d = text.replace(/[ -]/g, "");
  const n = d.length;
  if (n < 13 || n > 19) return false;
  const p2 = Number(d.slice(0, 2));
  const p3 = Number(d.slice(0, 3));
  const p4 = Number(d.slice(0, 4));
  const p6 = Number(d.slice(0, 6));
  const scheme =
    (d[0] === "4" && (n === 13 || n === 16 || n === 19)) || // Visa
    (((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) && n === 16) || // Mastercard
    ((p2 === 34 || p2 === 37) && n === 15) || // American Express
    ((p4 === 6011 || (p3 >= 644 && p3 <= 649) || p2 === 65 || (p6 >= 622126 && p6 <= 622925)) && n >= 16) || // Discover
    (p2 === 62 && n >= 16) || // UnionPay
    (p4 >= 3528 && p4 <= 3589 && n >= 16) || // JCB
    (((p3 >= 300 && p3 <= 305) || p2 === 36 || p2 === 38 || p2 === 39) && n >= 14) || // Diners Club
    ([5018, 5020, 5038, 5893, 6304, 6759, 6761, 6762, 6763].includes(p4) && n >= 13) || // Maestro
    (p4 >= 2200 && p4 <= 2204 && n >= 16); // Mir
  return scheme && luhn(d);
}

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let x = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      x *= 2;
      if (x > 9) x -= 9;
    }
    sum += x;
  }
  return sum % 10 === 0;
}

const PEM_BEGIN = "-----BEGIN";
const PEM_HEADER = /^-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/;
const PEM_FOOTER = /^-----END [A-Z0-9 ]{0,40}-----/;

/**
 * Private-key blocks, from `-----BEGIN … PRIVATE KEY-----` to the matching
 * `-----END …-----`, or to the end of the text when it was cut short: a
 * truncated key still gives most of it away.
 */
function redactPrivateKeys(text: string): string {
  let from = text.indexOf(PEM_BEGIN);
  if (from < 0) return text;
  let out = "";
  let copied = 0;
  while (from >= 0) {
    const header = PEM_HEADER.exec(text.slice(from, from + 80));
    if (header === null) {
      from = text.indexOf(PEM_BEGIN, from + PEM_BEGIN.length);
      continue;
    }
    const endAt = text.indexOf("-----END", from + header[0].length);
    let stop = text.length;
    if (endAt >= 0) {
      const footer = PEM_FOOTER.exec(text.slice(endAt, endAt + 60));
      stop = footer === null ? endAt + "-----END".length : endAt + footer[0].length;
    }
    out += text.slice(copied, from) + secretMarker("private-key");
    copied = stop;
    from = text.indexOf(PEM_BEGIN, stop);
  }
  return out + text.slice(copied);
}

/**
 * `text` with every recognised secret replaced by a marker and the rest kept
 * as it was: JWTs, Bearer and Basic credentials, private-key blocks, URL
 * passwords, AWS access key ids, GitHub, Slack, Stripe (secret, restricted
 * and webhook; publishable keys are public by design), Google, OpenAI-style,
 * SendGrid and npm keys, card numbers, and the value after a secret-looking
 * name (`password=…`, `"token": "…"`). Returns `text` itself when nothing is
 * found. Never throws: if scanning fails, the whole text is withheld.
 */
export function redactSecretsInText(text: string): string {
  if (text.length < MIN_SCAN_LENGTH) return text;
  try {
    let out = text.includes("-----BEGIN") ? redactPrivateKeys(text) : text;
    if (out.length >= MIN_TOKEN_TEXT && TOKENS_CHECK.test(out)) out = out.replace(TOKEN_SHAPES, replaceShape);
    if (out.includes("://")) out = out.replace(URL_PASSWORD, replaceShape);
    if (out.includes("=")) out = redactParams(out);
    if (out.includes('"')) out = out.replace(JSON_FIELD, replaceShape);
    if (out.length >= 13) out = redactCards(out);
    return out;
  } catch {
    return TEXT_MASK;
  }
}
