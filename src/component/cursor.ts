/**
 * Every cursor the component hands out, encoded and checked in one place.
 *
 * A cursor is `<kind prefix><query tag>.<payload>.<mac>`: the prefix says
 * which kind of cursor it is (one table below, so no two kinds share one),
 * the tag is a short hash of the query it belongs to (the function and its
 * normalised arguments), the payload is the position, whose shape the kind
 * decides, and the MAC is an HMAC-SHA-256 over kind, query and payload with
 * a key the component generates and keeps. A cursor of another kind or
 * another query, or one altered anywhere, is refused with INVALID_CURSOR
 * before anything is read.
 *
 * The key is created by the first mutation the component runs other than
 * `log` (the background cron's first tick, within a minute of deployment;
 * cleanup, rollup, exports and holds do it too). Until then cursors carry a
 * MAC under a fixed bootstrap key, which catches accidental damage but not a
 * forger; they stop being accepted once the real key exists, and the React
 * hooks start over on INVALID_CURSOR. Reading the key is one small document
 * per call that seals or opens a cursor.
 */
import type { MutationCtx, QueryCtx } from "./_generated/server.js";
import { auditError } from "../shared/errors.js";
import { fnv1a, fromBase64, toBase64 } from "../shared/text.js";
import type { Position } from "./read.js";

export const CURSOR_KINDS = {
  /** One index range through Convex's own paginator: Convex's cursor is the payload. */
  range: { prefix: "r1.", sealed: true },
  /** A position in several ranges merged newest first (or their end): several actions, search. */
  merged: { prefix: "m1.", sealed: true },
  /** A page of the search index: Convex's cursor is the payload. */
  text: { prefix: "t1.", sealed: true },
  /** Where a retention scan stopped, with its clock and totals. */
  cleanup: { prefix: "c1.", sealed: true },
  /** An export's position: kept in its job document, never handed out, so not sealed. */
  export: { prefix: "e1.", sealed: false },
  /** The last checkpoint size of a page of checkpoints. */
  checkpoint: { prefix: "k1.", sealed: true },
  /** A sealed export's next sequence number: kept in its job document, never handed out. */
  leaf: { prefix: "s1.", sealed: false },
  /** Where an erasure stopped: its phase (events, statistics buckets, parts) and position. */
  erasure: { prefix: "g1.", sealed: true },
} as const;
export type CursorKind = keyof typeof CURSOR_KINDS;
const PREFIXES = Object.values(CURSOR_KINDS).map((k) => k.prefix);

/**
 * The message starts with "InvalidCursor" because convex/react's
 * usePaginatedQuery looks for that word and starts over instead of failing.
 */
export function invalidCursor(field: string, foreign: boolean) {
  return auditError(
    "INVALID_CURSOR",
    foreign ? "InvalidCursor: this cursor belongs to a different query" : "InvalidCursor: the cursor is not valid for this query",
    field,
  );
}

/** A cursor names its query by a short hash, never by its arguments; the MAC covers the whole shape. */
const tagOf = (shape: string) => fnv1a(shape).toString(36);

// ---- The key ------------------------------------------------------------------

const BOOTSTRAP_KEY = new TextEncoder().encode("convex-audit-log: no cursor key yet");
const keysByTransaction = new WeakMap<object, Promise<CryptoKey>>();

async function hmacKey(raw: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

const decodeKey = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

/** This transaction's cursor key: read once per call, only by calls that seal or open a cursor. */
function cursorKey(ctx: QueryCtx): Promise<CryptoKey> {
  let key = keysByTransaction.get(ctx.db);
  if (key === undefined) {
    key = (async () => {
      const doc = await ctx.db.query("cursorKey").first();
      return await hmacKey(doc === null ? BOOTSTRAP_KEY : decodeKey(doc.key));
    })();
    keysByTransaction.set(ctx.db, key);
  }
  return key;
}

/**
 * Creates the component's cursor key if it has none yet (mutations other
 * than `log` call this). The key read here serves the call's cursors too.
 */
export async function ensureCursorKey(ctx: MutationCtx): Promise<void> {
  const doc = await ctx.db.query("cursorKey").first();
  let raw: Uint8Array<ArrayBuffer>;
  if (doc !== null) raw = decodeKey(doc.key);
  else {
    raw = crypto.getRandomValues(new Uint8Array(32));
    await ctx.db.insert("cursorKey", { key: btoa(String.fromCharCode(...raw)), createdAt: Date.now() });
  }
  keysByTransaction.set(ctx.db, hmacKey(raw));
}

async function macOf(ctx: QueryCtx, kind: CursorKind, shape: string, payload: string): Promise<string> {
  const data = new TextEncoder().encode(`${kind}\u0000${shape}\u0000${payload}`);
  return base64url(new Uint8Array(await crypto.subtle.sign("HMAC", await cursorKey(ctx), data)).slice(0, 16));
}

// ---- Sealing and opening ------------------------------------------------------

export async function sealCursor(ctx: QueryCtx, kind: CursorKind, shape: string, payload: string): Promise<string> {
  const { prefix, sealed } = CURSOR_KINDS[kind];
  const body = `${prefix}${tagOf(shape)}.${payload}`;
  return sealed ? `${body}.${await macOf(ctx, kind, shape, payload)}` : body;
}

/** The payload of a cursor of this kind and query; INVALID_CURSOR otherwise. */
export async function openCursor(ctx: QueryCtx, kind: CursorKind, shape: string, cursor: string, field: string): Promise<string> {
  const { prefix, sealed } = CURSOR_KINDS[kind];
  if (typeof cursor !== "string" || !cursor.startsWith(prefix)) {
    throw invalidCursor(field, typeof cursor === "string" && PREFIXES.some((p) => cursor.startsWith(p)));
  }
  const rest = cursor.slice(prefix.length);
  const dot = rest.indexOf(".");
  if (dot < 0) throw invalidCursor(field, false);
  if (rest.slice(0, dot) !== tagOf(shape)) throw invalidCursor(field, true);
  let payload = rest.slice(dot + 1);
  if (sealed) {
    const last = payload.lastIndexOf(".");
    if (last < 0) throw invalidCursor(field, false);
    const mac = payload.slice(last + 1);
    payload = payload.slice(0, last);
    if (!timingSafeEqual(mac, await macOf(ctx, kind, shape, payload))) throw invalidCursor(field, false);
  }
  // An empty payload would read as "from the start" to Convex's paginator.
  if (payload.length === 0) throw invalidCursor(field, false);
  return payload;
}

function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** A JSON payload, base64 of its UTF-8. */
export async function sealJson(ctx: QueryCtx, kind: CursorKind, shape: string, body: unknown): Promise<string> {
  return await sealCursor(ctx, kind, shape, toBase64(JSON.stringify(body)));
}

/** The parsed JSON payload (unchecked: the caller checks its shape). */
export async function openJson(ctx: QueryCtx, kind: CursorKind, shape: string, cursor: string, field: string): Promise<unknown> {
  const payload = await openCursor(ctx, kind, shape, cursor, field);
  try {
    return JSON.parse(fromBase64(payload));
  } catch {
    throw invalidCursor(field, false);
  }
}

/**
 * A position as two float64s (timestamp, creation time), base64url: the same
 * length whatever the numbers, so a document that keeps one (an export job)
 * is the same size wherever it stopped.
 */
export async function encodePosition(ctx: QueryCtx, shape: string, at: Position | "end", kind: "merged" | "export" = "merged"): Promise<string> {
  if (at === "end") return await sealCursor(ctx, kind, shape, "end");
  const view = new DataView(new ArrayBuffer(16));
  view.setFloat64(0, at.t);
  view.setFloat64(8, at.c);
  return await sealCursor(ctx, kind, shape, base64url(new Uint8Array(view.buffer)));
}

export async function decodePosition(
  ctx: QueryCtx,
  shape: string,
  cursor: string,
  field: string,
  kind: "merged" | "export" = "merged",
): Promise<Position | "end"> {
  const payload = await openCursor(ctx, kind, shape, cursor, field);
  if (payload === "end") return "end";
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(payload.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  } catch {
    throw invalidCursor(field, false);
  }
  if (bytes.length !== 16) throw invalidCursor(field, false);
  const view = new DataView(bytes.buffer);
  const t = view.getFloat64(0);
  const c = view.getFloat64(8);
  if (!Number.isFinite(t) || !Number.isFinite(c)) throw invalidCursor(field, false);
  return { t, c };
}

const base64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
