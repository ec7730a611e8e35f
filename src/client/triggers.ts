/**
 * Change capture through convex-helpers `Triggers`: `auditLog.trigger(options)`
 * is a trigger function for one table. Every insert, patch, replace and
 * delete that goes through the wrapped `ctx.db` is logged with its
 * structured diff and the acting user, in the same transaction as the write
 * (convex-helpers runs triggers inside the mutation; Triggers reports a
 * patch and a replace both as "update").
 *
 * ```ts
 * const triggers = new Triggers<DataModel>();
 * triggers.register("projects", auditLog.trigger({ resourceType: "projects", ignoreFields: ["updatedAt"], piiFields: ["apiSecret"] }));
 * export const mutation = customMutation(rawMutation, customCtx(triggers.wrapDB));
 * ```
 */
import { auditError } from "../shared/errors.js";
import type { PiiField, Severity } from "../shared/validators.js";
import type { LogChangeArgs, RunMutationCtx } from "./types.js";

type Operation = "insert" | "update" | "delete";
/** A change as convex-helpers Triggers hands it to a trigger. */
export type TableChange<Doc> = { id: string; operation: Operation } & (
  | { operation: "insert"; oldDoc: null; newDoc: Doc }
  | { operation: "update"; oldDoc: Doc; newDoc: Doc }
  | { operation: "delete"; oldDoc: Doc; newDoc: null }
);

export type TriggerOptions<Doc> = {
  /** The event's resourceType: the table's name, usually. */
  resourceType: string;
  /** Actions per operation. Default `<resourceType>.created`, `.updated`, `.deleted`. */
  actions?: Partial<Record<Operation, string>>;
  /** Fields left out of the snapshots and the diff; an update that changes only these is not logged. */
  ignoreFields?: string[];
  /** Fields redacted for this table's events, on top of the AuditLog's `piiFields`. */
  piiFields?: PiiField[];
  /** The event's resourceId. Default the document's id. */
  resourceId?: (doc: Doc, id: string) => string;
  /** The event's tenant, from the document (the new one; the old one for a delete). */
  tenantId?: (doc: Doc) => string | undefined;
  /** Default: the catalog's, else info. */
  severity?: Severity;
};

type Logger = {
  logChangeWith(ctx: RunMutationCtx, event: LogChangeArgs, redact: { piiFields?: PiiField[] }): Promise<string>;
};

function without(doc: unknown, ignore: readonly string[]): Record<string, unknown> | null {
  if (doc === null || typeof doc !== "object") return null;
  if (ignore.length === 0) return doc as Record<string, unknown>;
  return Object.fromEntries(Object.entries(doc).filter(([k]) => !ignore.includes(k)));
}

/** Equal as Convex stores them (key order aside). */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (a instanceof ArrayBuffer || b instanceof ArrayBuffer) {
    if (!(a instanceof ArrayBuffer && b instanceof ArrayBuffer) || a.byteLength !== b.byteLength) return false;
    const x = new Uint8Array(a);
    const y = new Uint8Array(b);
    return x.every((byte, i) => byte === y[i]);
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export function tableTrigger<Doc extends object>(auditLog: Logger, options: TriggerOptions<Doc>) {
  if (typeof options.resourceType !== "string" || options.resourceType.length === 0) {
    throw auditError("INVALID_CONFIG", "trigger options need a resourceType (the table's name)", "resourceType");
  }
  const ignore = ["_creationTime", ...(options.ignoreFields ?? [])];
  const verbs: Record<Operation, string> = { insert: "created", update: "updated", delete: "deleted" };
  return async (ctx: RunMutationCtx, change: TableChange<Doc>): Promise<void> => {
    const before = without(change.oldDoc, ignore);
    const after = without(change.newDoc, ignore);
    if (change.operation === "update" && same(before, after)) return;
    const doc = (change.newDoc ?? change.oldDoc) as Doc;
    const tenantId = options.tenantId?.(doc);
    const event: LogChangeArgs = {
      action: options.actions?.[change.operation] ?? `${options.resourceType}.${verbs[change.operation]}`,
      resourceType: options.resourceType,
      resourceId: options.resourceId?.(doc, change.id) ?? change.id,
      before,
      after,
      metadata: { operation: change.operation },
      ...(tenantId !== undefined ? { tenantId } : {}),
      ...(options.severity !== undefined ? { severity: options.severity } : {}),
    };
    await auditLog.logChangeWith(ctx, event, { piiFields: options.piiFields });
  };
}
