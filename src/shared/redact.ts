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
 *
 * Modes: mask → "[REDACTED]"; hash → "hmac-sha256:<32 hex>" (keyed, so equal
 * values correlate without being readable); remove → the key is dropped.
 */
import { auditError } from "./errors.js";
import { REDACTION_MODES, type Change, type LogOptions, type RedactionMode } from "./validators.js";
import { isSecretKey } from "./secrets.js";
import type { PathSeg } from "./values.js";

export const MASK = "[REDACTED]";

// The key rules live with the value rules in secrets.ts; these names stay importable from here.
export { SECRET_KEY_PARTS, SECRET_KEY_SEQUENCES, SECRET_KEY_TOKENS, SECRET_KEYS_EXACT, isSecretKey } from "./secrets.js";

export type Redactor = {
  /** The mode that applies at `path` (the shallowest match), if any. */
  match(path: readonly PathSeg[]): RedactionMode | undefined;
  redactPayload(value: unknown, base?: readonly PathSeg[]): Promise<unknown>;
  redactChanges(changes: readonly Change[]): Promise<Change[]>;
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

  // Keys repeat across arrays of objects; a redactor lives for one call, so the cache is bounded by it.
  const secretCache = new Map<string, boolean>();
  const isSecret = (key: string) => {
    let hit = secretCache.get(key);
    if (hit === undefined) secretCache.set(key, (hit = isSecretKey(key)));
    return hit;
  };

  const matchKey = (path: readonly PathSeg[]): RedactionMode | undefined => {
    const last = path[path.length - 1];
    if (typeof last !== "string") return undefined;
    const secret = defaults && isSecret(last);
    const mode = configured(path, last);
    // A secret-looking key is never hashed, even when a piiFields entry asks for hash.
    if (mode === "hash" && secret) return secretMode;
    if (mode) return mode;
    return secret ? secretMode : undefined;
  };

  const match = (path: readonly PathSeg[]) => {
    for (let i = 1; i <= path.length; i++) {
      const m = matchKey(path.slice(0, i));
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

  const redactPayload = async (value: unknown, base: readonly PathSeg[] = []): Promise<unknown> => {
    const rootMode = base.length > 0 ? match(base) : undefined;
    if (rootMode) return rootMode === "remove" ? undefined : replacement(rootMode, value);
    // The walk is synchronous; only hashing is async, so hashes are filled in afterwards.
    // (An await per node made a 10 KB payload cost hundreds of microseconds.)
    const pending: Array<{ out: Record<string, unknown>; key: string; value: unknown }> = [];
    const path = [...base];
    const walk = (v: unknown): unknown => {
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
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(v as Record<string, unknown>)) {
        if (child === undefined) continue;
        path.push(key);
        const mode = matchKey(path);
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

  const redactChanges = async (changes: readonly Change[]): Promise<Change[]> => {
    const out: Change[] = [];
    for (const c of changes) {
      const mode = match(c.path);
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

  return { match, redactPayload, redactChanges };
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
