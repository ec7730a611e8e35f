/**
 * Structured deep diff of two storable values: a list of changes down nested
 * objects and arrays, in a stable order (keys of `before` first, then new keys
 * of `after`; array slots by index).
 */
import type { Change } from "./validators.js";
import { renderPath, valuesEqual, type PathSeg } from "./values.js";

/** Convex system fields, ignored at the root of a document snapshot. */
const SYSTEM_FIELDS = new Set(["_id", "_creationTime"]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof ArrayBuffer);
}

/** Removes Convex system fields from the root of a document snapshot. */
export function stripSystemFields(value: unknown): unknown {
  if (!isObject(value)) return value;
  let out: Record<string, unknown> | undefined;
  for (const key of SYSTEM_FIELDS) {
    if (key in value) {
      out ??= { ...value };
      delete out[key];
    }
  }
  return out ?? value;
}

/**
 * `before === undefined` is a create and `after === undefined` a delete: each
 * top-level field becomes an `add` (or `remove`) entry.
 */
export function diffValues(before: unknown, after: unknown): Change[] {
  // Also when the root is replaced whole (object ↔ non-object), its system fields are not part of the diff.
  before = stripSystemFields(before);
  after = stripSystemFields(after);
  const changes: Change[] = [];
  const path: PathSeg[] = [];
  const walk = (a: unknown, b: unknown) => {
    if (a === undefined && b === undefined) return;
    if (a === undefined) {
      changes.push({ path: [...path], op: "add", after: b });
      return;
    }
    if (b === undefined) {
      changes.push({ path: [...path], op: "remove", before: a });
      return;
    }
    if (isObject(a) && isObject(b)) {
      for (const key of Object.keys(a)) {
        if (path.length === 0 && SYSTEM_FIELDS.has(key)) continue;
        path.push(key);
        walk(a[key], Object.prototype.hasOwnProperty.call(b, key) ? b[key] : undefined);
        path.pop();
      }
      for (const key of Object.keys(b)) {
        if (path.length === 0 && SYSTEM_FIELDS.has(key)) continue;
        // Keys of `a` were all walked above, including those whose value is undefined.
        if (Object.prototype.hasOwnProperty.call(a, key)) continue;
        path.push(key);
        walk(undefined, b[key]);
        path.pop();
      }
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      const n = Math.max(a.length, b.length);
      for (let i = 0; i < n; i++) {
        path.push(i);
        walk(i < a.length ? a[i] : undefined, i < b.length ? b[i] : undefined);
        path.pop();
      }
      return;
    }
    if (!valuesEqual(a, b)) changes.push({ path: [...path], op: "replace", before: a, after: b });
  };
  if (before === undefined && isObject(after)) {
    walk({}, after);
  } else if (after === undefined && isObject(before)) {
    walk(before, {});
  } else {
    walk(before, after);
  }
  return changes;
}

function show(value: unknown): string {
  if (value === undefined) return "";
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof ArrayBuffer) return `<${value.byteLength} bytes>`;
  const s = JSON.stringify(value, (_k, v: unknown) =>
    typeof v === "bigint" ? `${v}n` : v instanceof ArrayBuffer ? `<${v.byteLength} bytes>` : v,
  );
  if (s.length <= 200) return s;
  // Do not cut a surrogate pair in half: a lone surrogate is not valid Unicode.
  const end = isHighSurrogate(s.charCodeAt(196)) ? 196 : 197;
  return `${s.slice(0, end)}...`;
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

/** One line per change: `+ path: after`, `- path: before`, `~ path: before → after`. */
/** One side of a change as the `diff` text writes it. Redacted values are markers, not data: printed bare. */
export function renderChangeValue(value: unknown, redacted: boolean | undefined): string {
  return redacted ? (typeof value === "string" ? value : "[REDACTED]") : show(value);
}

export function renderChanges(changes: readonly Change[]): string {
  return changes
    .map((c) => {
      const p = c.path.length === 0 ? "(root)" : renderPath(c.path);
      const before = renderChangeValue(c.before, c.redacted);
      const after = renderChangeValue(c.after, c.redacted);
      switch (c.op) {
        case "add":
          return `+ ${p}: ${after}`;
        case "remove":
          return `- ${p}: ${before}`;
        case "replace":
          return `~ ${p}: ${before} → ${after}`;
        default:
          return c.op satisfies never;
      }
    })
    .join("\n");
}
