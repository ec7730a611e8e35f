/**
 * Every cursor the component hands out, encoded and checked in one place.
 *
 * A cursor is `<kind prefix><query tag>.<payload>`: the prefix says which
 * kind of cursor it is (one table below, so no two kinds share one), the tag
 * is a hash of the query it belongs to (the function and its normalised
 * arguments), and the payload is the position, whose shape the kind decides.
 * A cursor of another kind or another query, or one whose payload does not
 * parse, is refused with INVALID_CURSOR before anything is read.
 */
import { auditError } from "../shared/errors.js";
import { fnv1a, fromBase64, toBase64 } from "../shared/text.js";
import type { Position } from "./read.js";

export const CURSOR_KINDS = {
  /** One index range through Convex's own paginator: Convex's cursor is the payload. */
  range: "r1.",
  /** A position in several ranges merged newest first (or their end): search, several actions, exports. */
  merged: "m1.",
  /** A page of the search index: Convex's cursor is the payload. */
  text: "t1.",
  /** Where a retention scan stopped, with its clock and totals. */
  cleanup: "c1.",
} as const;
export type CursorKind = keyof typeof CURSOR_KINDS;

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

/** A cursor names its query by a short hash, never by its arguments. */
const tagOf = (shape: string) => fnv1a(shape).toString(36);

export function sealCursor(kind: CursorKind, shape: string, payload: string): string {
  return `${CURSOR_KINDS[kind]}${tagOf(shape)}.${payload}`;
}

/** The payload of a cursor of this kind and query; INVALID_CURSOR otherwise. */
export function openCursor(kind: CursorKind, shape: string, cursor: string, field: string): string {
  const prefix = CURSOR_KINDS[kind];
  if (!cursor.startsWith(prefix)) {
    throw invalidCursor(field, Object.values(CURSOR_KINDS).some((p) => cursor.startsWith(p)));
  }
  const rest = cursor.slice(prefix.length);
  const dot = rest.indexOf(".");
  if (dot < 0) throw invalidCursor(field, false);
  if (rest.slice(0, dot) !== tagOf(shape)) throw invalidCursor(field, true);
  const payload = rest.slice(dot + 1);
  // An empty payload would read as "from the start" to Convex's paginator.
  if (payload.length === 0) throw invalidCursor(field, false);
  return payload;
}

/** A JSON payload, base64 of its UTF-8. */
export function sealJson(kind: CursorKind, shape: string, body: unknown): string {
  return sealCursor(kind, shape, toBase64(JSON.stringify(body)));
}

/** The parsed JSON payload (unchecked: the caller checks its shape). */
export function openJson(kind: CursorKind, shape: string, cursor: string, field: string): unknown {
  const payload = openCursor(kind, shape, cursor, field);
  try {
    return JSON.parse(fromBase64(payload));
  } catch {
    throw invalidCursor(field, false);
  }
}

export function encodePosition(shape: string, at: Position | "end"): string {
  return sealJson("merged", shape, at === "end" ? { end: 1 } : { t: at.t, c: at.c });
}

export function decodePosition(shape: string, cursor: string, field: string): Position | "end" {
  const body = openJson("merged", shape, cursor, field);
  if (typeof body !== "object" || body === null) throw invalidCursor(field, false);
  const { t, c, end } = body as Record<string, unknown>;
  if (end === 1) return "end";
  if (typeof t !== "number" || typeof c !== "number" || !Number.isFinite(t) || !Number.isFinite(c)) {
    throw invalidCursor(field, false);
  }
  return { t, c };
}
