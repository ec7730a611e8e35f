/**
 * What a leaf of the transparency log commits to: an event in a canonical
 * serialisation (RFC 8785, JSON Canonicalization Scheme, of the event in
 * Convex's JSON encoding), with its personal fields replaced by salted
 * commitments, so that erasing a person (deleting the values and the salt)
 * leaves the leaf, and so the tree, valid, while the erased values can no
 * longer be confirmed by guessing.
 *
 * The leaf data is the UTF-8 of
 *
 *   JCS({ "$format": "convex-audit-log/leaf/v1", "_id", "_creationTime", ...event fields })
 *
 * with every field of the event but `searchText` (derived from the others and
 * rebuilt on erasure), `seq` and `seal` (where the leaf is, not what it says).
 * A personal field's value is `{ "$commit": base64(SHA-256(
 *   "convex-audit-log/commit/v1" 0x00 salt JCS(path) 0x00 JCS(value))) }`.
 * Convex field names never start with "$", so neither marker can be forged
 * by an event's own content.
 *
 * Pure and synchronous: the component, the viewer and the CLI compute the
 * same bytes.
 */
import { sha256 } from "@noble/hashes/sha2";
import { convexToJson, type Value } from "convex/values";
import { fromB64, leafHash, toB64, type Hash } from "./merkle.js";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** RFC 8785: keys sorted by UTF-16 code units, ECMAScript number and string forms, no whitespace. */
export function canonicalJson(value: Json): string {
  if (value === null || typeof value === "boolean") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error("canonical JSON has no NaN or Infinity");
    return JSON.stringify(value);
  }
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value !== "object") throw new Error(`canonical JSON cannot hold a ${typeof value}`);
  const keys = Object.keys(value).sort();
  return `{${keys
    .filter((k) => value[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
    .join(",")}}`;
}

export const LEAF_FORMAT = "convex-audit-log/leaf/v1";
const COMMIT_DOMAIN = new TextEncoder().encode("convex-audit-log/commit/v1\u0000");
const enc = new TextEncoder();

/** Where the personal values of an event are, as paths of keys from the event's root. */
export type FieldPath = string[];

/** Personal fields of every event: who the actor is and where they were. */
export const PERSONAL_PATHS: readonly FieldPath[] = [
  ["actorId"],
  ["actor", "name"],
  ["actor", "email"],
  ["context", "ip"],
  ["context", "userAgent"],
  ["context", "sessionId"],
];

/** How an event was sealed: the salt of its commitments (until erased), which paths they cover, and after erasure the commitments themselves. */
export type SealInfo = { salt?: string; paths: FieldPath[]; erased?: string[] };

/** Fields stored on an event document that are not part of what the leaf says. */
export const UNSEALED_FIELDS = ["searchText", "seq", "seal"] as const;

export function commitment(salt: Uint8Array, path: FieldPath, value: Json): string {
  const h = sha256
    .create()
    .update(COMMIT_DOMAIN)
    .update(salt)
    .update(enc.encode(canonicalJson(path)))
    .update(Uint8Array.of(0))
    .update(enc.encode(canonicalJson(value)))
    .digest();
  return toB64(h);
}

type JsonObject = { [key: string]: Json };
const isObject = (x: unknown): x is JsonObject => typeof x === "object" && x !== null && !Array.isArray(x);

function getAt(obj: JsonObject, path: FieldPath): Json | undefined {
  let cur: Json | undefined = obj;
  for (const k of path) {
    if (Array.isArray(cur) && /^(0|[1-9][0-9]*)$/.test(k)) cur = cur[Number(k)];
    else if (isObject(cur) && Object.prototype.hasOwnProperty.call(cur, k)) cur = cur[k];
    else return undefined;
  }
  return cur;
}

/** Sets the value at `path` (its parents must exist); false if they do not. */
function setAt(obj: JsonObject, path: FieldPath, value: Json): boolean {
  let cur: Json = obj;
  for (const k of path.slice(0, -1)) {
    if (Array.isArray(cur) && /^(0|[1-9][0-9]*)$/.test(k) && Number(k) < cur.length) cur = cur[Number(k)];
    else if (isObject(cur) && typeof cur[k] === "object" && cur[k] !== null) cur = cur[k];
    else return false;
  }
  const last = path[path.length - 1];
  if (Array.isArray(cur)) {
    if (!/^(0|[1-9][0-9]*)$/.test(last) || Number(last) >= cur.length) return false;
    cur[Number(last)] = value;
    return true;
  }
  if (!isObject(cur)) return false;
  cur[last] = value;
  return true;
}

/** An event document in Convex's JSON encoding, without the fields the leaf leaves out. */
export function eventJson(doc: Record<string, unknown>): JsonObject {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) {
    if (v === undefined || (UNSEALED_FIELDS as readonly string[]).includes(k)) continue;
    out[k] = v;
  }
  return convexToJson(out as Value) as JsonObject;
}

/**
 * The leaf data of an event (in Convex's JSON encoding, `eventJson`) sealed
 * with `seal`, or null when the event cannot be the one sealed: a committed
 * path with neither its value nor (after erasure) its commitment, a salt
 * that is not one. Such an event was modified.
 */
export function leafData(event: JsonObject, seal: SealInfo): Uint8Array | null {
  const copy = JSON.parse(JSON.stringify(event)) as JsonObject;
  if (copy["$format"] !== undefined) return null;
  // A seal is exactly these fields: anything else in one was not written by sealing.
  if (typeof seal !== "object" || seal === null || Object.keys(seal).some((k) => k !== "salt" && k !== "paths" && k !== "erased")) return null;
  const salt = seal.salt === undefined ? null : fromB64(seal.salt);
  if (seal.salt !== undefined && (salt === null || salt.length !== 16)) return null;
  if (seal.erased !== undefined && seal.erased.length !== seal.paths.length) return null;
  for (let i = 0; i < seal.paths.length; i++) {
    const path = seal.paths[i];
    if (!Array.isArray(path) || path.length === 0 || !path.every((k) => typeof k === "string")) return null;
    let c: string;
    if (seal.erased !== undefined) {
      if (getAt(copy, path) !== undefined) return null; // an erased value is back
      c = seal.erased[i];
      if (typeof c !== "string") return null;
    } else {
      const value = getAt(copy, path);
      if (value === undefined || salt === null) return null;
      c = commitment(salt, path, value);
    }
    if (!setAt(copy, path, { $commit: c })) return null;
  }
  return enc.encode(canonicalJson({ $format: LEAF_FORMAT, ...copy }));
}

/** The RFC 9162 leaf hash of a sealed event, or null (see `leafData`). */
export function eventLeafHash(event: JsonObject, seal: SealInfo): Hash | null {
  const data = leafData(event, seal);
  return data === null ? null : leafHash(data);
}

/** Every personal path present in this event: the built-in ones and the configured ones that hold a value, in a fixed order. */
export function personalPathsOf(event: JsonObject, configured: readonly FieldPath[]): FieldPath[] {
  const out: FieldPath[] = [];
  const seen = new Set<string>();
  const add = (p: FieldPath) => {
    const key = JSON.stringify(p);
    if (seen.has(key) || getAt(event, p) === undefined) return;
    // A path inside one already committed is covered by it.
    if (out.some((q) => q.length < p.length && q.every((k, i) => k === p[i]))) return;
    seen.add(key);
    out.push(p);
  };
  for (const p of PERSONAL_PATHS) add(p);
  for (const p of configured) {
    add(p);
    // A configured payload path has copies in the diff: each change at that path, and the diff's text.
    if ((p[0] === "before" || p[0] === "after") && p.length > 1) {
      const changes = getAt(event, ["changes"]);
      if (Array.isArray(changes)) {
        changes.forEach((c, i) => {
          if (!isObject(c) || !Array.isArray(c.path) || c.path.length !== p.length - 1) return;
          if (!c.path.every((k, j) => String(k) === p[j + 1])) return;
          add(["changes", String(i), "before"]);
          add(["changes", String(i), "after"]);
          add(["diff"]);
        });
      }
    }
  }
  return out;
}

/** Seals an event: a fresh salt (16 random bytes) and the personal paths it commits. */
export function newSeal(event: JsonObject, configured: readonly FieldPath[], random16: Uint8Array): SealInfo {
  return { salt: toB64(random16), paths: personalPathsOf(event, configured) };
}

/** Erases the values a seal commits from an event (JSON form), keeping their commitments: the same leaf. */
export function eraseSealed(event: JsonObject, seal: SealInfo): { event: JsonObject; seal: SealInfo } | null {
  if (seal.erased !== undefined) return { event, seal };
  const salt = seal.salt === undefined ? null : fromB64(seal.salt);
  if (salt === null) return null;
  const copy = JSON.parse(JSON.stringify(event)) as JsonObject;
  const erased: string[] = [];
  for (const path of seal.paths) {
    const value = getAt(copy, path);
    if (value === undefined) return null;
    erased.push(commitment(salt, path, value));
  }
  // Deepest first, so removing an array slot's value never shifts another path.
  for (const path of [...seal.paths].sort((a, b) => b.length - a.length)) removeAt(copy, path);
  return { event: copy, seal: { paths: seal.paths, erased } };
}

function removeAt(obj: JsonObject, path: FieldPath): void {
  const parent = getAt(obj, path.slice(0, -1));
  const last = path[path.length - 1];
  if (isObject(parent)) delete parent[last];
  // An array slot cannot be removed without moving the others: it keeps a null placeholder.
  else if (Array.isArray(parent)) parent[Number(last)] = null;
}

/** Parses a configured personal field ("metadata.user.email") into a path. */
export function parseFieldPath(field: string): FieldPath | null {
  if (typeof field !== "string" || field.length === 0 || field.length > 256) return null;
  const parts = field.split(".");
  return parts.every((p) => p.length > 0 && !p.startsWith("$")) ? parts : null;
}
