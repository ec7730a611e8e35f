/**
 * What the plugin reads from a BetterAuth endpoint call, read defensively:
 * a request body is whatever a client sent (any size, any shape, a
 * `__proto__` key), so only named own fields are read, only strings of at
 * most 256 printable characters are kept, and nothing else of the body ever
 * reaches an event. Secrets (passwords, tokens, codes, keys) are never read
 * at all; identifiers a failed attempt carries are HMAC-hashed.
 */
import { isPrintable } from "../shared/checks.js";
import { LIMITS } from "../shared/validators.js";

export type Json = Record<string, unknown>;

/** A session as BetterAuth hands it to hooks: the parts the plugin reads. */
export type SeenSession = {
  user: { id: string; role?: string };
  session: { id?: string; impersonatedBy?: string; activeOrganizationId?: string };
};

/** One endpoint call, as the plugin saw it in its before and after hooks. */
export type Seen = {
  path: string;
  body: Json;
  query: Json;
  params: Json;
  /** What the endpoint returned, when it did not fail. */
  returned: Json;
  /** Its failure: an HTTP status, BetterAuth's error code and message. */
  error?: { status: number; code?: string; message?: string };
  /** The caller's session (before the endpoint ran, for endpoints that end or replace it). */
  session?: SeenSession;
  /** A session the endpoint created (sign-in, sign-up, verification). */
  newSession?: SeenSession;
  /** A user the before hook resolved: the one a pending second factor, a reset token or a revoked session belongs to. */
  pendingUserId?: string;
  /** An id the before hook resolved for a target (a revoked session's id). */
  pendingTargetId?: string;
  /** The provider of an account the endpoint removes, resolved before it is gone. */
  pendingProvider?: string;
  /** Where a redirect went (OAuth callbacks and links report errors in it). */
  location?: string;
  /** The request came with an API key (the api-key plugin's sessions). */
  apiKeyId?: string;
};

const own = (o: unknown, key: string): unknown =>
  typeof o === "object" && o !== null && Object.prototype.hasOwnProperty.call(o, key) ? (o as Json)[key] : undefined;

/** An object's own field, if it is an object; never an inherited one. */
export function obj(o: unknown, key?: string): Json {
  const v = key === undefined ? o : own(o, key);
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

/** A short printable string field, or undefined: what an id or a name may be. */
export function str(o: unknown, key: string, max: number = LIMITS.maxIdLength): string | undefined {
  const v = own(o, key);
  if (typeof v !== "string" || v.length === 0 || v.length > max || !isPrintable(v)) return undefined;
  return v;
}

/** A role may be a string or a list of strings (the admin plugin's set-role). */
export function role(o: unknown, key = "role"): string | undefined {
  const v = own(o, key);
  if (Array.isArray(v)) {
    const parts = v.filter((x): x is string => typeof x === "string" && x.length > 0 && x.length <= 64 && isPrintable(x));
    return parts.length > 0 && parts.length === v.length ? parts.slice(0, 16).join(",") : undefined;
  }
  return str(o, key, 256);
}

/** The names (never the values) of the fields a body changes, as "a,b,c": at most 20 printable names. */
export function fieldNames(o: unknown, skip: readonly string[] = []): string | undefined {
  if (typeof o !== "object" || o === null || Array.isArray(o)) return undefined;
  const names = Object.keys(o)
    .filter((k) => !skip.includes(k) && k.length <= 64 && isPrintable(k))
    .slice(0, 20);
  return names.length > 0 ? names.sort().join(",") : undefined;
}

/** The user id a returned value names (`{ user }`, a session, or a user itself). */
export function returnedUserId(r: Json): string | undefined {
  return str(obj(r, "user"), "id") ?? str(r, "userId");
}

/** A session object as the plugin needs it, if `v` is one. */
export function asSession(v: unknown): SeenSession | undefined {
  const user = obj(v, "user");
  const id = str(user, "id");
  if (id === undefined) return undefined;
  const session = obj(v, "session");
  const out: SeenSession = { user: { id }, session: {} };
  const r = role(user);
  if (r !== undefined) out.user.role = r;
  for (const key of ["id", "impersonatedBy", "activeOrganizationId"] as const) {
    const x = str(session, key);
    if (x !== undefined) out.session[key] = x;
  }
  return out;
}

const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (key === undefined) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    if (keys.size > 16) keys.clear();
    keys.set(secret, key);
  }
  return key;
}

/**
 * `hmac-sha256:<32 hex>` of an identifier (an email, a username), trimmed
 * and lowercased first, so repeated attempts on one account group together
 * while the log never holds what was typed. The same format as the
 * component's `hash` redaction mode.
 */
export async function hashIdentifier(secret: string, identifier: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), encoder.encode(identifier.trim().toLowerCase()));
  return `hmac-sha256:${[...new Uint8Array(mac).slice(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** A key for identifiers derived from BetterAuth's own secret, so apps need not configure one. */
export async function deriveIdentifierKey(authSecret: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(authSecret), encoder.encode("convex-audit-log/identifier/v1"));
  return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The error code a redirect reports in its `error` parameter (OAuth callbacks, magic links), if any. */
export function redirectError(location: string | undefined): string | undefined {
  if (location === undefined) return undefined;
  const q = location.indexOf("?");
  if (q < 0) return undefined;
  const error = new URLSearchParams(location.slice(q + 1)).get("error");
  return error !== null && error.length > 0 ? error.slice(0, 128) : undefined;
}
