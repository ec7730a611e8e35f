/**
 * What an `auditedMutation` with `onFailure: "commit"` resolves to when its
 * handler failed, and how a caller turns it back into the error. Shared by
 * the server side (src/client/audited.ts) and the browser (the React hook),
 * so it imports nothing but `convex/values`.
 */
import { ConvexError, v, type Infer } from "convex/values";

export const vAuditFailure = v.object({
  auditFailure: v.object({ message: v.string(), code: v.optional(v.string()), data: v.optional(v.any()) }),
});
export type AuditFailure = Infer<typeof vAuditFailure>;

export function isAuditFailure(result: unknown): result is AuditFailure {
  return typeof result === "object" && result !== null && "auditFailure" in result && typeof (result as AuditFailure).auditFailure === "object";
}

/** The original error of a committed failure, thrown again (a ConvexError with its data, else an Error); any other result is returned. */
export function throwIfAuditFailure<R>(result: R): Exclude<R, AuditFailure> {
  if (isAuditFailure(result)) {
    const f = result.auditFailure;
    if (f.data !== undefined) throw new ConvexError(f.data as never);
    throw new Error(f.message);
  }
  return result as Exclude<R, AuditFailure>;
}
