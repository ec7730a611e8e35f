/**
 * Checks that a payload (metadata, before, after) is a value Convex can store,
 * with a typed error that says where it is not. Runs on the client before the
 * value is serialised (a function or a cycle would otherwise fail with a
 * generic error) and again in the component, which is the authority.
 */
import { convexToJson, type Value } from "convex/values";
import { auditError } from "./errors.js";
import { utf8Length } from "./text.js";
import { LIMITS } from "./validators.js";

export type PathSeg = string | number;

export function renderPath(path: readonly PathSeg[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;

/**
 * Throws INVALID_VALUE or TOO_DEEP unless `value` is storable. `label` names
 * the argument in messages (e.g. "metadata").
 */
export function assertStorable(
  value: unknown,
  label: string,
  maxDepth: number = LIMITS.maxPayloadDepth,
): void {
  const ancestors = new Set<object>();
  const path: PathSeg[] = [];
  const where = () => {
    if (path.length === 0) return label;
    const rest = renderPath(path);
    // `metadata[0]` and `metadata["café"]`, not `metadata.[0]`.
    return rest.startsWith("[") ? `${label}${rest}` : `${label}.${rest}`;
  };
  const bad = (what: string) => auditError("INVALID_VALUE", `${where()}: ${what}`, where());

  const visit = (v: unknown, depth: number): void => {
    switch (typeof v) {
      case "string":
      case "boolean":
        return;
      case "number":
        if (!Number.isFinite(v)) throw bad(`${v} is not a finite number`);
        return;
      case "bigint":
        if (v < MIN_INT64 || v > MAX_INT64) throw bad("bigint outside the 64-bit range");
        return;
      case "undefined":
        throw bad("undefined is not storable (use null)");
      case "function":
        throw bad("functions cannot be stored");
      case "symbol":
        throw bad("symbols cannot be stored");
      case "object":
        break;
    }
    if (v === null) return;
    const obj = v as object;
    if (obj instanceof ArrayBuffer) return;
    if (depth >= maxDepth) {
      throw auditError(
        "TOO_DEEP",
        `${where()}: nested more than ${maxDepth} levels (Convex allows 16 in a whole document)`,
        where(),
      );
    }
    if (ancestors.has(obj)) throw bad("circular reference");
    ancestors.add(obj);
    if (Array.isArray(obj)) {
      if (obj.length > LIMITS.maxArrayLength) {
        throw bad(`array of ${obj.length} items; Convex allows ${LIMITS.maxArrayLength}`);
      }
      for (let i = 0; i < obj.length; i++) {
        path.push(i);
        if (!(i in obj)) throw bad("sparse array hole is not storable");
        visit(obj[i], depth + 1);
        path.pop();
      }
    } else {
      if (!isPlainObject(obj)) {
        const name = (obj as { constructor?: { name?: string } }).constructor?.name ?? "object";
        throw bad(`${name} is not a plain object`);
      }
      const keys = Object.keys(obj);
      if (keys.length > LIMITS.maxObjectEntries) {
        throw bad(`object with ${keys.length} fields; Convex allows ${LIMITS.maxObjectEntries}`);
      }
      if (Object.getOwnPropertySymbols(obj).length > 0) throw bad("symbol keys cannot be stored");
      for (const key of keys) {
        path.push(key);
        checkFieldName(key, bad);
        const child = (obj as Record<string, unknown>)[key];
        // Convex drops undefined object fields, as JSON does; only array slots must be defined.
        if (child !== undefined) visit(child, depth + 1);
        path.pop();
      }
    }
    ancestors.delete(obj);
  };
  visit(value, 0);
}

function checkFieldName(key: string, bad: (what: string) => Error): void {
  if (key.length === 0) throw bad("empty field name");
  if (key.length > LIMITS.maxFieldNameLength) throw bad("field name longer than 1024 characters");
  if (key.startsWith("$")) throw bad("field names starting with '$' are reserved by Convex");
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 32 || c >= 127) throw bad("field names must be printable ASCII");
  }
}

/** Size of a value as Convex's JSON encoding of it, in UTF-8 bytes. */
export function encodedSize(value: unknown): number {
  return utf8Length(JSON.stringify(convexToJson(value as Value)));
}


/** Deep equality for storable values. */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null) return false;
  if (typeof a !== "object") return false;
  if (a instanceof ArrayBuffer || b instanceof ArrayBuffer) {
    if (!(a instanceof ArrayBuffer && b instanceof ArrayBuffer)) return false;
    if (a.byteLength !== b.byteLength) return false;
    const x = new Uint8Array(a);
    const y = new Uint8Array(b);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    return a.every((x, i) => valuesEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  if (ak.length !== bk.length) return false;
  return ak.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && valuesEqual(ao[k], bo[k]));
}
