/**
 * Argument checks, one of each kind: every public entry point validates
 * with these before it reads or writes, so a bad argument gets the same
 * typed error (and the same wording) wherever it is passed.
 */
import { auditError, type AuditLogErrorCode } from "./errors.js";
import { LIMITS, type TimeWindow } from "./validators.js";

/** Whether `value` is one of `allowed`; narrows it without a cast. */
export function isOneOf<T extends string>(value: unknown, allowed: readonly T[]): value is T {
  return typeof value === "string" && (allowed as readonly string[]).includes(value);
}

/** `value` if it is one of `allowed`, else a typed error that lists them. */
export function oneOf<T extends string>(
  value: unknown,
  allowed: readonly T[],
  field: string,
  code: AuditLogErrorCode = "INVALID_ARGUMENT",
  hint = "",
): T {
  if (!isOneOf(value, allowed)) {
    const shown = typeof value === "string" ? JSON.stringify(value.slice(0, 64)) : String(typeof value);
    throw auditError(code, `${field}: ${shown} is not one of ${allowed.join(", ")}${hint}`, field);
  }
  return value;
}

/** An integer in [min, max], else INVALID_ARGUMENT naming the range. */
export function intInRange(value: unknown, min: number, max: number, field: string, what = "an integer"): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw auditError(
      "INVALID_ARGUMENT",
      `${field} must be ${what} from ${min.toLocaleString("en")} to ${max.toLocaleString("en")}`,
      field,
    );
  }
  return value;
}

/** A page size: an integer from 1 to LIMITS.maxPageSize. */
export function checkPageSize(n: unknown, field = "paginationOpts.numItems"): number {
  return intInRange(n, 1, LIMITS.maxPageSize, field);
}

/** Both ends times a Date can hold when given, and in order. */
export function checkWindow(w: TimeWindow, names: readonly [string, string] = ["fromTimestamp", "toTimestamp"]): void {
  if (w.fromTimestamp !== undefined) checkTimestamp(w.fromTimestamp, names[0]);
  if (w.toTimestamp !== undefined) checkTimestamp(w.toTimestamp, names[1]);
  if (w.fromTimestamp !== undefined && w.toTimestamp !== undefined && w.fromTimestamp > w.toTimestamp) {
    throw auditError("INVALID_ARGUMENT", `${names[0]} is after ${names[1]}`, names[0]);
  }
}

/**
 * A string of at most `max` characters; `required` refuses undefined,
 * `allowEmpty` accepts "" and whitespace.
 */
export function checkString(
  value: unknown,
  field: string,
  max: number,
  { required = false, allowEmpty = false }: { required?: boolean; allowEmpty?: boolean } = {},
): asserts value is string | undefined {
  if (value === undefined) {
    if (required) throw auditError("INVALID_ARGUMENT", `${field} is required`, field);
    return;
  }
  if (typeof value !== "string") throw auditError("INVALID_ARGUMENT", `${field} must be a string`, field);
  if (!allowEmpty && value.trim().length === 0) throw auditError("INVALID_ARGUMENT", `${field} must not be empty`, field);
  if (value.length > max) {
    throw auditError("INVALID_ARGUMENT", `${field} is ${value.length} characters; the limit is ${max}`, field);
  }
}

/**
 * What an id or an action may not hold: control characters, lone surrogates
 * (Convex stores UTF-8; a lone surrogate has none, and the JS client and the
 * backend would order it differently), bidi overrides and isolates (text
 * that displays other than it reads), and line or paragraph separators.
 */
const UNPRINTABLE = /[\p{Cc}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\u2028\u2029\uD800-\uDFFF]/u;

export function isPrintable(value: string): boolean {
  return !UNPRINTABLE.test(value);
}

/**
 * An id-like string (an actor, tenant, resource, key or tag): non-empty, at
 * most `max` characters, printable (see UNPRINTABLE). Undefined passes
 * unless `required`.
 */
export function checkId(
  value: unknown,
  field: string,
  max: number = LIMITS.maxIdLength,
  { required = false }: { required?: boolean } = {},
): asserts value is string | undefined {
  checkString(value, field, max, { required });
  if (value !== undefined && !isPrintable(value)) {
    throw auditError(
      "INVALID_ARGUMENT",
      `${field} holds a control character, a lone surrogate, a bidi control or a line separator`,
      field,
    );
  }
}

/** A required id (see checkId). */
export function checkKey(value: unknown, field: string, max: number = LIMITS.maxIdLength): string {
  checkId(value, field, max, { required: true });
  return value ?? "";
}

/** A timestamp in ms that a Date can hold (±8.64e15, about ±275,000 years). */
export function checkTimestamp(value: unknown, field: string, min = -LIMITS.maxTimestamp): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > LIMITS.maxTimestamp) {
    throw auditError(
      "INVALID_ARGUMENT",
      `${field} must be a number of milliseconds from ${min === 0 ? "0" : "-8.64e15"} to 8.64e15 (a time a Date can hold)`,
      field,
    );
  }
  return value;
}
