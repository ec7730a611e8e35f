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

/** Whether a key's value should be treated as a secret by the default rules. */
export function isSecretKey(key: string): boolean {
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
