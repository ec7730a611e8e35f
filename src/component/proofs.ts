/**
 * The transparency log's read side and its checkpoints: the latest signed
 * tree head, inclusion proofs of one event, consistency proofs between two
 * sizes, and the page the `verify` action checks events with. Every proof
 * is made from the tiles (tiles.ts), so it costs a handful of reads however
 * large the log; every answer names the checkpoint it is against.
 */
import type { GenericActionCtx } from "convex/server";
import { api, internal } from "./_generated/api.js";
import type { DataModel, Doc } from "./_generated/dataModel.js";
import type { MutationCtx, QueryCtx } from "./_generated/server.js";
import { AuditActions } from "../shared/catalog.js";
import { checkPageSize } from "../shared/checks.js";
import { auditError } from "../shared/errors.js";
import type { ReadScope } from "../shared/filters.js";
import {
  INTEGRITY_LIMITS,
  type CheckpointDoc,
  type ConsistencyProof,
  type EventProof,
  type LatestCheckpoint,
  type TreeHead,
  type VerifyReport,
  type SeqRange,
  decodeRanges,
  toRanges,
} from "../shared/integrity.js";
import { eventJson, eventLeafHash, type SealInfo } from "../shared/leaf.js";
import { consistencyProof, inclusionProof, sameHash, toB64, treeHash } from "../shared/merkle.js";
import { parseCheckpoint, parseNote, parseVerifierKey, signedBy } from "../shared/note.js";
import { invalidCursor, openJson, sealJson } from "./cursor.js";
import { configurePersonalFields, ensureState, sealBatch, stateDoc } from "./sealing.js";
import { TileReader } from "./tiles.js";

type Checkpoint = Doc<"checkpoints">;
const view = (c: Checkpoint): CheckpointDoc => ({ size: c.size, root: c.root, time: c.time, note: c.note });

export async function latestCheckpointDoc(ctx: QueryCtx): Promise<Checkpoint | null> {
  return await ctx.db.query("checkpoints").withIndex("by_size").order("desc").first();
}

export async function latestCheckpoint(ctx: QueryCtx): Promise<LatestCheckpoint | null> {
  const c = await latestCheckpointDoc(ctx);
  if (c === null) return null;
  return { ...view(c), verifierKeys: (await stateDoc(ctx))?.verifierKeys ?? [] };
}

// ---- Checkpoints: the app signs, the component checks and keeps --------------------

/**
 * The tree head the app signs: one sealing step first, so a checkpoint
 * written on the app's schedule covers what arrived since the last.
 */
export async function prepareCheckpoint(ctx: MutationCtx, args: { personalFields?: string[] }): Promise<TreeHead> {
  let state = await ensureState(ctx);
  state = await configurePersonalFields(ctx, state, args.personalFields);
  const sealed = await sealBatch(ctx);
  return { origin: state.origin ?? "", size: sealed.size, root: sealed.root, time: Date.now() };
}

/**
 * Keeps a signed checkpoint, after checking it is one: a signed note whose
 * checkpoint is this tree's current head (size and root), signed by
 * `verifierKey`, at this log's origin, no older than the latest. A newer
 * checkpoint at the same size replaces the older one.
 */
export async function addCheckpoint(ctx: MutationCtx, { note, verifierKeys }: { note: string; verifierKeys: string[] }): Promise<CheckpointDoc> {
  const bad = (message: string, path = "note") => auditError("INVALID_ARGUMENT", message, path);
  const parsed = parseNote(note);
  if (parsed === null) throw bad("not a signed note");
  const cp = parseCheckpoint(parsed.text);
  if (cp === null || cp.time === undefined) throw bad("the note is not a checkpoint with a time line");
  if (verifierKeys.length === 0 || verifierKeys.length > 8) throw bad("one to eight verifier keys", "verifierKeys");
  const vks = verifierKeys.map((k, i) => {
    const vk = parseVerifierKey(k);
    if (vk === null) throw bad("not a note verifier key", `verifierKeys[${i}]`);
    return vk;
  });
  // Every key given must have signed: during a rotation the note carries the old and the new signature.
  if (signedBy(parsed, vks).length !== vks.length) throw bad("the note is not signed by every key given");
  const state = await ensureState(ctx);
  if (state.origin !== undefined && state.origin !== cp.origin) {
    throw auditError("INVALID_CONFIG", `this log's checkpoints have the origin ${JSON.stringify(state.origin)}; a log keeps one origin`, "origin");
  }
  if (cp.size !== state.size || toB64(cp.root) !== state.root) throw bad("the checkpoint is not the tree's current head");
  const latest = await latestCheckpointDoc(ctx);
  if (latest !== null && cp.time < latest.time) throw bad("the checkpoint is older than the latest one");
  const fields = { size: cp.size, root: state.root, time: cp.time, note };
  if (latest !== null && latest.size === cp.size) await ctx.db.replace(latest._id, fields);
  else await ctx.db.insert("checkpoints", fields);
  const fresh = vks.map((k) => k.text).filter((k) => !state.verifierKeys.includes(k));
  if (state.origin === undefined || fresh.length > 0) await ctx.db.patch(state._id, { origin: cp.origin, verifierKeys: [...state.verifierKeys, ...fresh] });
  return fields;
}

/** Checkpoints in size order, oldest first: `checkpoints.jsonl` of an export is these, one per line. */
export async function checkpointPage(
  ctx: QueryCtx,
  { paginationOpts }: { paginationOpts: { numItems: number; cursor: string | null } },
): Promise<{ page: CheckpointDoc[]; isDone: boolean; continueCursor: string }> {
  const numItems = Math.min(checkPageSize(paginationOpts.numItems), INTEGRITY_LIMITS.maxCheckpointsPage);
  const shape = "checkpoints";
  let after = -1;
  if (paginationOpts.cursor !== null) {
    const body = await openJson(ctx, "checkpoint", shape, paginationOpts.cursor, "paginationOpts.cursor");
    if (typeof body !== "number" || !Number.isSafeInteger(body) || body < -1) throw invalidCursor("paginationOpts.cursor", false);
    after = body;
  }
  const page = await ctx.db
    .query("checkpoints")
    .withIndex("by_size", (q) => q.gt("size", after))
    .take(numItems + 1);
  const isDone = page.length <= numItems;
  const rows = page.slice(0, numItems);
  const last = rows.length > 0 ? rows[rows.length - 1].size : after;
  return { page: rows.map(view), isDone, continueCursor: await sealJson(ctx, "checkpoint", shape, last) };
}

// ---- Proofs -------------------------------------------------------------------------

function notFound() {
  return auditError("NOT_FOUND", "no such event in your audit log", "eventId");
}

/**
 * The inclusion proof of one event against the latest checkpoint. An id
 * that is not an event, or an event outside the caller's scope, is
 * NOT_FOUND either way, so a scoped caller learns nothing of others' events.
 */
export async function proveEvent(ctx: QueryCtx, { eventId, scope }: { eventId: string; scope?: ReadScope }): Promise<EventProof> {
  const id = typeof eventId === "string" ? ctx.db.normalizeId("events", eventId) : null;
  if (id === null) throw notFound();
  const event = await ctx.db.get(id);
  if (event === null) throw notFound();
  if (scope?.tenantId !== undefined && event.tenantId !== scope.tenantId) throw notFound();
  if (scope?.actorId !== undefined && event.actorId !== scope.actorId) throw notFound();
  if (event.seq === undefined) throw auditError("NOT_SEALED", "the event is not sealed yet (within about a minute of `log`)", "eventId");
  const cp = await latestCheckpointDoc(ctx);
  if (cp === null || cp.size <= event.seq) {
    throw auditError("NOT_SEALED", "no checkpoint covers the event yet (the app's checkpoint schedule signs one)", "eventId");
  }
  const reader = new TileReader(ctx);
  const [leaf] = await reader.leaves(event.seq, 1);
  const proof = await reader.run((src) => inclusionProof(src, event.seq!, cp.size));
  return {
    event,
    seq: event.seq,
    leafHash: toB64(leaf),
    proof: proof.map(toB64),
    checkpoint: view(cp),
    verifierKeys: (await stateDoc(ctx))?.verifierKeys ?? [],
  };
}

function checkSize(n: unknown, name: string, max: number, min = 1): number {
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < min || n > max) {
    throw auditError("INVALID_ARGUMENT", `${name} must be an integer from ${min} to ${max} (the tree's signed size)`, name);
  }
  return n;
}

/**
 * That the tree of `oldSize` leaves is a prefix of the tree at `newSize` (a
 * checkpoint's size; the latest when left out): RFC 9162 2.1.4.
 */
export async function proveConsistency(ctx: QueryCtx, args: { oldSize: number; newSize?: number }): Promise<ConsistencyProof> {
  const latest = await latestCheckpointDoc(ctx);
  if (latest === null) throw auditError("NOT_SEALED", "no checkpoint yet", "newSize");
  let cp = latest;
  if (args.newSize !== undefined) {
    const newSize = checkSize(args.newSize, "newSize", latest.size);
    const at = await ctx.db
      .query("checkpoints")
      .withIndex("by_size", (q) => q.eq("size", newSize))
      .first();
    if (at === null) throw auditError("INVALID_ARGUMENT", `no checkpoint has size ${newSize}`, "newSize");
    cp = at;
  }
  const oldSize = checkSize(args.oldSize, "oldSize", cp.size);
  const reader = new TileReader(ctx);
  const { proof, oldRoot, newRoot } = await reader.run((src) => ({
    proof: consistencyProof(src, oldSize, cp.size),
    oldRoot: treeHash(src, oldSize),
    newRoot: treeHash(src, cp.size),
  }));
  // The tiles and the signed root must agree; if not, the store was altered after signing.
  if (toB64(newRoot) !== cp.root) throw new Error("the stored tree does not match its checkpoint");
  return { oldSize, newSize: cp.size, oldRoot: toB64(oldRoot), newRoot: cp.root, proof: proof.map(toB64), checkpoint: view(cp) };
}

// ---- Verification -------------------------------------------------------------------

/**
 * One page of `verify`: the leaves from `fromSeq` (up to a page, and below
 * `toSeq`), each event read once by `by_seq` and hashed again. Seqs with no
 * event are returned for the action to classify (retention or not).
 */
export async function verifyPage(ctx: QueryCtx, { fromSeq, toSeq }: { fromSeq: number; toSeq: number }) {
  const end = Math.min(toSeq, fromSeq + INTEGRITY_LIMITS.verifyPage);
  const reader = new TileReader(ctx);
  const bySeq = new Map<number, Doc<"events">[]>();
  for await (const e of ctx.db.query("events").withIndex("by_seq", (q) => q.gte("seq", fromSeq).lt("seq", end))) {
    const list = bySeq.get(e.seq!) ?? [];
    list.push(e);
    bySeq.set(e.seq!, list);
  }
  const modified: { seq: number; eventId: string }[] = [];
  const absent: number[] = [];
  for (let seq = fromSeq; seq < end; ) {
    const count = Math.min(end - seq, INTEGRITY_LIMITS.tileWidth - (seq % INTEGRITY_LIMITS.tileWidth));
    const leaves = await reader.leaves(seq, count);
    for (let i = 0; i < count; i++, seq++) {
      const events = bySeq.get(seq);
      if (events === undefined) {
        absent.push(seq);
        continue;
      }
      // Two events claiming one leaf: at most one can be the sealed one.
      let matched = false;
      for (const e of events) {
        const h = e.seal === undefined ? null : eventLeafHash(eventJson(e), e.seal as SealInfo);
        if (!matched && h !== null && sameHash(h, leaves[i])) matched = true;
        else modified.push({ seq, eventId: e._id });
      }
    }
  }
  const m = await ctx.meta.getTransactionMetrics();
  return { checked: end - fromSeq, modified, absent, next: end, documentsRead: m.documentsRead.used };
}

/** The leaves whose events retention deleted, from the sealed records it logged (one page of records). */
export async function retentionRecordPage(ctx: QueryCtx, { cursor }: { cursor: string | null }) {
  const result = await ctx.db
    .query("events")
    .withIndex("by_action", (q) => q.eq("action", AuditActions.AUDIT_RETENTION_DELETED))
    .paginate({ numItems: 200, cursor });
  const ranges: string[] = [];
  for (const e of result.page) {
    const seqs = (e.metadata as { seqs?: unknown } | undefined)?.seqs;
    if (typeof seqs === "string") ranges.push(seqs);
  }
  return { ranges, isDone: result.isDone, continueCursor: result.continueCursor };
}

type VerifyCtx = Pick<GenericActionCtx<DataModel>, "runQuery">;

/**
 * `verify`: every leaf from `fromSeq` to `toSeq` (default: the tree's size)
 * against its event, page by page, each event read once. A leaf with no event
 * is `expired` when a sealed retention record lists it, else `missing`.
 */
export async function verifyRange(ctx: VerifyCtx, args: { fromSeq?: number; toSeq?: number }): Promise<VerifyReport> {
  const status = await ctx.runQuery(api.integrity.status, {});
  const size = status.size;
  const fromSeq = args.fromSeq ?? 0;
  const toSeq = args.toSeq ?? size;
  for (const [name, n] of [["fromSeq", fromSeq], ["toSeq", toSeq]] as const) {
    if (!Number.isSafeInteger(n) || n < 0 || n > size) throw auditError("INVALID_ARGUMENT", `${name} must be an integer from 0 to ${size} (the tree's size)`, name);
  }
  if (toSeq < fromSeq) throw auditError("INVALID_ARGUMENT", "toSeq is before fromSeq", "toSeq");
  let documentsRead = 0;
  const expiredRanges: SeqRange[] = [];
  for (let cursor: string | null = null; ; ) {
    const page: { ranges: string[]; isDone: boolean; continueCursor: string } = await ctx.runQuery(internal.integrity.retentionRecords, { cursor });
    for (const r of page.ranges) expiredRanges.push(...(decodeRanges(r) ?? []));
    if (page.isDone) break;
    cursor = page.continueCursor;
  }
  const isExpired = (seq: number) => expiredRanges.some((r) => seq >= r.from && seq <= r.to);
  const modified: { seq: number; eventId: string }[] = [];
  let modifiedCount = 0;
  const missing: number[] = [];
  const expired: number[] = [];
  let checked = 0;
  for (let seq = fromSeq; seq < toSeq; ) {
    const page = await ctx.runQuery(api.integrity.verifyPage, { fromSeq: seq, toSeq });
    checked += page.checked;
    documentsRead += page.documentsRead;
    modifiedCount += page.modified.length;
    for (const m of page.modified) if (modified.length < INTEGRITY_LIMITS.maxListed) modified.push(m);
    for (const s of page.absent) (isExpired(s) ? expired : missing).push(s);
    seq = page.next;
  }
  const cap = (rs: SeqRange[]) => rs.slice(0, INTEGRITY_LIMITS.maxListed);
  return {
    fromSeq,
    toSeq,
    checked,
    ok: modifiedCount === 0 && missing.length === 0,
    modified,
    modifiedCount,
    missing: cap(toRanges(missing)),
    missingCount: missing.length,
    expired: cap(toRanges(expired)),
    expiredCount: expired.length,
    documentsRead,
  };
}
