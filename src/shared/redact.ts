/**
 * Redaction of payloads (metadata, before/after snapshots, diff entries).
 *
 * - Configured `piiFields` match a key case-insensitively at any depth
 *   ("email"), or a dotted path from the payload root ("user.email"; array
 *   indexes are skipped, so "items.card" matches items[3].card).
 * - Unless `redactDefaults: false`, keys that look like secrets are redacted
 *   too (the token rules in secrets.ts): those are masked, or removed in
 *   remove mode, and never hashed, since a keyed hash of a low-entropy secret
 *   can be brute forced by whoever holds the key.
 * - A matching key redacts its whole subtree.
 * - Name/value pairs (`[{ name: "password", value: "hunter2" }]`, AWS-style
 *   `{ Key, Value }`, HAR headers): when an object's name-like field holds a
 *   key that would be redacted, its value-like fields are redacted as if they
 *   were that key.
 * - Unless `redactDefaults: false`, every string left in the payload (at any
 *   depth, diff values included) is scanned for secrets by their shape (JWTs,
 *   Bearer credentials, private keys, cloud and payment keys, card numbers …,
 *   see secrets.ts): only the secret is replaced, by a marker naming its kind.
 *
 * Modes: mask → "[REDACTED]"; hash → "hmac-sha256:<32 hex>" (keyed, so equal
 * values correlate without being readable); remove → the key is dropped.
 */
import { auditError } from "./errors.js";
import { REDACTION_MODES, type Change, type LogOptions, type RedactionMode } from "./validators.js";
import { isCodeSecret, isSecretKey, redactSecretsInText } from "./secrets.js";
import type { PathSeg } from "./values.js";

export const MASK = "[REDACTED]";

// The key rules live with the value rules in secrets.ts; these names stay importable from here.
export { SECRET_KEY_PARTS, SECRET_KEY_SEQUENCES, SECRET_KEY_TOKENS, SECRET_KEYS_EXACT, isSecretKey } from "./secrets.js";

/**
 * Fields of an object that name a key (`{ name: "password", value: … }`) and
 * fields that hold that key's value, compared lowercase without punctuation
 * (`Key`/`Value` in AWS tags, `field_name`).
 */
export const PAIR_NAME_FIELDS = [
  "name", "key", "field", "fieldname", "header", "headername", "param", "parameter", "paramname",
  "attribute", "attr", "label", "property", "prop", "variable", "var",
] as const;
export const PAIR_VALUE_FIELDS = ["value", "values", "val", "content"] as const;
const PAIR_NAMES = new Set<string>(PAIR_NAME_FIELDS);
const PAIR_VALUES = new Set<string>(["value", "values", "val"]);
/** A key name longer than this is prose, not a key name: not looked at as a pair's name. */
const MAX_PAIR_NAME = 128;
const SECRET_PAIR = "secret";
const NOT_PAIR = 0;
const PAIR_NAME = 1;
const PAIR_VALUE = 2;
/**
 * `content` beside a name is a file's or a document's as often as a key's
 * value (`{ name: "Password reset guide", content }`): it counts only when
 * the name is one word, as key names are. `data` never counts: `{ name,
 * data }` is an event envelope.
 */
const PAIR_CONTENT = 3;

// A key's pair role depends on no option, so one cache serves every redactor; bounded, since keys come from callers.
const roleCache = new Map<string, number>();
function roleOf(key: string): number {
  let role = roleCache.get(key);
  if (role === undefined) {
    const k = key.toLowerCase().replace(/[^a-z0-9]/g, "");
    role = PAIR_NAMES.has(k) ? PAIR_NAME : PAIR_VALUES.has(k) ? PAIR_VALUE : k === "content" ? PAIR_CONTENT : NOT_PAIR;
    if (roleCache.size >= 4096) roleCache.clear();
    roleCache.set(key, role);
  }
  return role;
}

/** Snapshots a change list was computed from, so a change inside a pair can see the pair's name. */
export type ChangeRoots = { before?: unknown; after?: unknown };

export type Redactor = {
  /**
   * The mode that applies at `path` (the shallowest match), if any. With
   * `roots`, a value field whose parent object (in either root) is a
   * name/value pair counts too.
   */
  match(path: readonly PathSeg[], roots?: ChangeRoots): RedactionMode | undefined;
  redactPayload(value: unknown, base?: readonly PathSeg[]): Promise<unknown>;
  redactChanges(changes: readonly Change[], roots?: ChangeRoots): Promise<Change[]>;
  /** Free text (an event's summary or error message): secrets found by shape replaced, the rest kept. */
  redactText(text: string): string;
};

function parseMode(mode: string | undefined, where: string): RedactionMode {
  if (mode === undefined) return "mask";
  if (!(REDACTION_MODES as readonly string[]).includes(mode)) {
    throw auditError(
      "INVALID_CONFIG",
      `${where}: unknown redaction mode ${JSON.stringify(mode)} (use mask, hash or remove)`,
      where,
    );
  }
  return mode as RedactionMode;
}

export function createRedactor(options: LogOptions = {}): Redactor {
  const defaultMode = parseMode(options.redactionMode, "redactionMode");
  const byName = new Map<string, RedactionMode>();
  const byPath = new Map<string, RedactionMode>();
  for (const [i, entry] of (options.piiFields ?? []).entries()) {
    const field = typeof entry === "string" ? entry : entry.field;
    const mode =
      typeof entry === "string" ? defaultMode : parseMode(entry.mode ?? defaultMode, `piiFields[${i}].mode`);
    const parts = field.split(".").map((p) => p.trim().toLowerCase());
    if (field.length === 0 || field.length > 1024 || parts.some((p) => p.length === 0)) {
      throw auditError("INVALID_CONFIG", `piiFields[${i}]: ${JSON.stringify(field)} is not a field name or dotted path`, `piiFields[${i}]`);
    }
    if (parts.length === 1) byName.set(parts[0], mode);
    else byPath.set(parts.join("."), mode);
  }
  const usesHash = defaultMode === "hash" || [...byName.values(), ...byPath.values()].includes("hash");
  const hashKey = options.hashKey;
  if (usesHash && (hashKey === undefined || hashKey.length < 16)) {
    throw auditError(
      "INVALID_CONFIG",
      "hash redaction needs a hashKey of at least 16 characters (keep it in an environment variable)",
      "hashKey",
    );
  }
  const defaults = options.redactDefaults !== false;
  // Secrets are never hashed: a keyed hash of a short password can be brute forced.
  const secretMode: RedactionMode = defaultMode === "remove" ? "remove" : "mask";

  const configured = (path: readonly PathSeg[], last: string): RedactionMode | undefined => {
    const named = byName.get(last.toLowerCase());
    if (named) return named;
    if (byPath.size === 0) return undefined;
    const dotted = path
      .filter((s): s is string => typeof s === "string")
      .map((s) => s.toLowerCase())
      .join(".");
    return byPath.get(dotted);
  };

  const matchKey = (path: readonly PathSeg[]): RedactionMode | undefined => {
    const last = path[path.length - 1];
    if (typeof last !== "string") return undefined;
    const secret = defaults && isSecretKey(last);
    const mode = configured(path, last);
    // A secret-looking key is never hashed, even when a piiFields entry asks for hash.
    if (mode === "hash" && secret) return secretMode;
    if (mode) return mode;
    return secret ? secretMode : undefined;
  };

  /**
   * What a pair's name does to its value, as if the name were the value's key:
   * SECRET_PAIR when it names a secret (masked or removed, never hashed), else
   * the mode of a piiFields entry with that name, if any.
   */
  const nameMode = (name: string): RedactionMode | typeof SECRET_PAIR | undefined => {
    if (name.length === 0 || name.length > MAX_PAIR_NAME) return undefined;
    if (defaults && isSecretKey(name)) return SECRET_PAIR;
    return byName.get(name.trim().toLowerCase());
  };

  /**
   * How the value fields (`role` PAIR_VALUE or PAIR_CONTENT) of `obj` are
   * redacted if it is a name/value pair whose name is redacted.
   */
  const pairMode = (obj: Record<string, unknown>, keys: readonly string[], role: number) => {
    let found: RedactionMode | undefined;
    for (const key of keys) {
      if (roleOf(key) !== PAIR_NAME) continue;
      const name = obj[key];
      if (typeof name !== "string" || (role === PAIR_CONTENT && /\s/.test(name.trim()))) continue;
      const m = nameMode(name);
      if (m === SECRET_PAIR) return m;
      found ??= m;
    }
    return found;
  };

  const pairAt = (path: readonly PathSeg[], roots: ChangeRoots): RedactionMode | undefined => {
    const last = path[path.length - 1];
    const role = typeof last === "string" ? roleOf(last) : NOT_PAIR;
    if (role !== PAIR_VALUE && role !== PAIR_CONTENT) return undefined;
    let found: RedactionMode | undefined;
    for (const root of [roots.before, roots.after]) {
      const parent = at(root, path, path.length - 1);
      if (!isRecord(parent)) continue;
      const m = pairMode(parent, Object.keys(parent), role);
      if (m === SECRET_PAIR) return secretMode;
      found ??= m;
    }
    return found;
  };

  const match = (path: readonly PathSeg[], roots?: ChangeRoots) => {
    for (let i = 1; i <= path.length; i++) {
      const prefix = path.slice(0, i);
      const m = matchKey(prefix) ?? (roots ? pairAt(prefix, roots) : undefined);
      if (m) return m;
    }
    return undefined;
  };

  let keyPromise: Promise<CryptoKey> | undefined;
  const hash = async (value: unknown): Promise<string> => {
    keyPromise ??= crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(hashKey),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const mac = await crypto.subtle.sign("HMAC", await keyPromise, new TextEncoder().encode(canonical(value)));
    const hex = [...new Uint8Array(mac).slice(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
    return `hmac-sha256:${hex}`;
  };

  const replacement = async (mode: RedactionMode, value: unknown) =>
    mode === "hash" ? hash(value) : MASK;

  const redactText = (text: string) => (defaults ? redactSecretsInText(text) : text);

  const redactPayload = async (value: unknown, base: readonly PathSeg[] = []): Promise<unknown> => {
    const rootMode = base.length > 0 ? match(base) : undefined;
    if (rootMode) return rootMode === "remove" ? undefined : replacement(rootMode, value);
    // The walk is synchronous; only hashing is async, so hashes are filled in afterwards.
    // (An await per node made a 10 KB payload cost hundreds of microseconds.)
    const pending: Array<{ out: Record<string, unknown>; key: string; value: unknown }> = [];
    const path = [...base];
    const walk = (v: unknown): unknown => {
      if (typeof v === "string") return redactText(v);
      if (typeof v !== "object" || v === null || v instanceof ArrayBuffer) return v;
      if (Array.isArray(v)) {
        const out: unknown[] = new Array(v.length);
        for (let i = 0; i < v.length; i++) {
          path.push(i);
          out[i] = walk(v[i]);
          path.pop();
        }
        return out;
      }
      const obj = v as Record<string, unknown>;
      const keys = Object.keys(obj);
      const out: Record<string, unknown> = {};
      for (const key of keys) {
        const child = obj[key];
        if (child === undefined) continue;
        path.push(key);
        let mode = matchKey(path);
        const role = keys.length > 1 ? roleOf(key) : NOT_PAIR;
        const pair = role === PAIR_VALUE || role === PAIR_CONTENT ? pairMode(obj, keys, role) : undefined;
        if (pair !== undefined) {
          // A secret pair's value is masked even when a piiFields entry hashes that key.
          if (pair === SECRET_PAIR) mode = secretMode;
          else mode ??= pair;
        }
        if (mode === undefined && defaults && isCodeSecret(key, child)) mode = secretMode;
        if (mode === undefined) setField(out, key, walk(child));
        else if (mode === "mask") setField(out, key, MASK);
        else if (mode === "hash") {
          setField(out, key, MASK); // holds the key's place until its hash is ready
          pending.push({ out, key, value: child });
        }
        path.pop();
      }
      return out;
    };
    const result = walk(value);
    for (const p of pending) setField(p.out, p.key, await hash(p.value));
    return result;
  };

  const redactChanges = async (changes: readonly Change[], roots?: ChangeRoots): Promise<Change[]> => {
    const out: Change[] = [];
    for (const c of changes) {
      const last = c.path[c.path.length - 1];
      const code = defaults && typeof last === "string" && (isCodeSecret(last, c.before) || isCodeSecret(last, c.after));
      const mode = match(c.path, roots) ?? (code ? secretMode : undefined);
      if (mode === undefined) {
        const entry: Change = { path: c.path, op: c.op };
        if (c.before !== undefined) entry.before = await redactPayload(c.before, c.path);
        if (c.after !== undefined) entry.after = await redactPayload(c.after, c.path);
        out.push(entry);
        continue;
      }
      // The change stays visible; only its values are hidden.
      const entry: Change = { path: c.path, op: c.op, redacted: true };
      if (mode !== "remove") {
        if (c.before !== undefined) entry.before = await replacement(mode, c.before);
        if (c.after !== undefined) entry.after = await replacement(mode, c.after);
      }
      out.push(entry);
    }
    return out;
  };

  return { match, redactPayload, redactChanges, redactText };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof ArrayBuffer);
}

/** The value at the first `n` segments of `path` inside `root`, if there is one. */
function at(root: unknown, path: readonly PathSeg[], n: number): unknown {
  let v = root;
  for (let i = 0; i < n; i++) {
    const seg = path[i];
    if (typeof seg === "number") {
      if (!Array.isArray(v)) return undefined;
      v = v[seg];
    } else {
      if (!isRecord(v) || !Object.prototype.hasOwnProperty.call(v, seg)) return undefined;
      v = v[seg];
    }
  }
  return v;
}

/** `out[key] = value`, except that a "__proto__" key is kept as a field rather than setting the prototype. */
function setField(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    out[key] = value;
  }
}

/** Deterministic JSON for hashing: sorted keys, bigint and bytes spelled out. */
export function canonical(value: unknown): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "bigint") return `{"$int64":"${value}"}`;
    return JSON.stringify(value) ?? "null";
  }
  if (value instanceof ArrayBuffer) {
    return `{"$bytes":"${[...new Uint8Array(value)].map((b) => b.toString(16).padStart(2, "0")).join("")}"}`;
  }
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`).join(",")}}`;
}
