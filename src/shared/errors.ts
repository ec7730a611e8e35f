import { ConvexError } from "convex/values";

/** Every error a caller of this package is expected to handle. */
export const ERROR_CODES = [
  "INVALID_ACTION",
  "INVALID_SEVERITY",
  "INVALID_ARGUMENT",
  "INVALID_VALUE",
  "TOO_DEEP",
  "EVENT_TOO_LARGE",
  "TOO_MANY_EVENTS",
  "BATCH_TOO_LARGE",
  "INVALID_CURSOR",
  "INVALID_CONFIG",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "ROLLUP_BEHIND",
  "REPORT_TOO_LARGE",
  "NOT_FOUND",
  "NOT_SEALED",
  "HELD",
  /** An HTTP delivery of events with a missing, wrong or stale signature (src/shared/signing.ts). */
  "INVALID_SIGNATURE",
  /** An event naming an actor other than the signed-in user, with `strictActor` on. */
  "ACTOR_MISMATCH",
  /** A scoped statistics window holding more events than one query may read (narrow the window). */
  "WINDOW_TOO_LARGE",
] as const;
export type AuditLogErrorCode = (typeof ERROR_CODES)[number];

export type AuditLogErrorData = {
  code: AuditLogErrorCode;
  message: string;
  /** Where in the input the problem is, e.g. `events[3].metadata.a.b`. */
  path?: string;
};

export function auditError(
  code: AuditLogErrorCode,
  message: string,
  path?: string,
): ConvexError<AuditLogErrorData> {
  const data: AuditLogErrorData = path === undefined ? { code, message } : { code, message, path };
  return new ConvexError(data);
}

/**
 * True for errors raised by convex-audit-log, on either side of the component
 * boundary. Narrow further with `err.data.code`.
 */
export function isAuditLogError(
  err: unknown,
  code?: AuditLogErrorCode,
): err is ConvexError<AuditLogErrorData> {
  if (!(err instanceof ConvexError)) return false;
  const data: unknown = err.data;
  if (typeof data !== "object" || data === null) return false;
  const c = (data as { code?: unknown }).code;
  if (typeof c !== "string" || !(ERROR_CODES as readonly string[]).includes(c)) return false;
  return code === undefined || c === code;
}
