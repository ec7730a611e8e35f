/**
 * The pages of a sealed export (format `sealed`, sealedExport.ts's
 * contract): the leaves from 0 to the checkpoint the export started at, in
 * order, each with its event read once through `by_seq`, or a `deleted` line
 * when the event is gone. The leaf hash comes from the tree, not from the
 * event, so an event edited in the database shows as modified to the
 * verifier, at its own sequence number.
 */
import type { Doc } from "./_generated/dataModel.js";
import type { QueryCtx } from "./_generated/server.js";
import { auditError } from "../shared/errors.js";
import type { SearchFilters } from "../shared/filters.js";
import { INTEGRITY_LIMITS } from "../shared/integrity.js";
import { toB64 } from "../shared/merkle.js";
import { deletedLine, eventLine } from "../shared/sealedExport.js";
import { utf8Length } from "../shared/text.js";
import { invalidCursor, openCursor, sealCursor } from "./cursor.js";
import { latestCheckpointDoc } from "./proofs.js";
import { TileReader } from "./tiles.js";

/** A sealed export is of the whole log (a filter or a scope would leave gaps the verifier must call deletions), up to the latest checkpoint. */
export async function sealedExportSize(ctx: QueryCtx, args: { filters?: SearchFilters; scope?: unknown }): Promise<number> {
  const filters = Object.entries(args.filters ?? {}).filter(([, v]) => v !== undefined);
  if (filters.length > 0) throw auditError("INVALID_ARGUMENT", "a sealed export is of the whole log: leave the filters out", "filters");
  if (args.scope !== undefined) throw auditError("FORBIDDEN", "a sealed export holds every tenant's events: admins only");
  const cp = await latestCheckpointDoc(ctx);
  if (cp === null) throw auditError("NOT_SEALED", "no checkpoint yet: run auditLog.checkpoint first", "format");
  return cp.size;
}

const SHAPE = "sealed-export";

export async function sealedPage(
  ctx: QueryCtx,
  job: Doc<"reports">,
  cursor: string | null,
  maxOutputBytes: number,
): Promise<{ chunk: string; rows: number; scanned: number; isDone: boolean; cursor: string | null }> {
  let from = 0;
  if (cursor !== null) {
    from = Number(await openCursor(ctx, "leaf", SHAPE, cursor, "cursor"));
    if (!Number.isSafeInteger(from) || from < 0) throw invalidCursor("cursor", false);
  }
  const size = job.treeSize ?? 0;
  const scale = job.scale ?? 1;
  const end = Math.min(size, from + Math.max(1, Math.floor(INTEGRITY_LIMITS.verifyPage * scale)));
  const reader = new TileReader(ctx);
  const out: string[] = [];
  let bytes = 0;
  let seq = from;
  const range = ctx.db.query("events").withIndex("by_seq", (q) => q.gte("seq", from).lt("seq", end));
  const events = range[Symbol.asyncIterator]();
  let next = await events.next();
  while (seq < end && bytes < maxOutputBytes) {
    const [leaf] = await reader.leaves(seq, 1);
    let line: string;
    if (!next.done && next.value.seq === seq) {
      line = eventLine(next.value, toB64(leaf));
      // Another event claiming the same leaf is written too: the verifier reports it as inserted.
      for (next = await events.next(); !next.done && next.value.seq === seq; next = await events.next()) line += eventLine(next.value, toB64(leaf));
    } else line = deletedLine(seq, toB64(leaf));
    out.push(line);
    bytes += utf8Length(line);
    seq++;
  }
  const isDone = seq >= size;
  return { chunk: out.join(""), rows: seq - from, scanned: seq - from, isDone, cursor: isDone ? null : await sealCursor(ctx, "leaf", SHAPE, String(seq)) };
}
