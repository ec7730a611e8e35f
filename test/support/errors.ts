import { ConvexError } from "convex/values";
import { expect } from "vitest";
import { isAuditLogError, type AuditLogErrorCode } from "../../src/shared/errors.js";

/** Asserts that `p` rejects with the package's typed error carrying `code` (its data is printed otherwise). */
export async function expectCode(p: Promise<unknown>, code: AuditLogErrorCode) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${code}`).toBeInstanceOf(ConvexError);
  expect(isAuditLogError(err, code), JSON.stringify((err as { data?: unknown }).data)).toBe(true);
}
