/**
 * `eraseSubject({ actorId })` (GDPR article 17), one batch per call, in
 * three phases a cursor names:
 *
 * 1. events: the subject's events (`by_actor`, every tenant) lose their
 *    personal values (actor id, name and email, the request's ip, user agent
 *    and session, the configured personal fields). A sealed event keeps the
 *    commitments of the values and loses their salt, so its leaf (and the
 *    tree, every receipt and checkpoint) stays valid while the erased values
 *    can no longer be confirmed by guessing. `searchText` is rebuilt. An
 *    erased event leaves `by_actor`, so the next call finds the rest.
 * 2. and 3. statistics: the rollups' count maps and digests hold actor ids;
 *    every bucket and part is read once and the subject's id replaced by
 *    `[erased]` (their counts are kept, merged under that key, so totals
 *    stay exact).
 *
 * A subject under a legal hold is refused (HELD): the hold exists to keep
 * their events as they are.
 */
import { jsonToConvex, type JSONValue } from "convex/values";
import type { Doc } from "./_generated/dataModel.js";
import type { MutationCtx } from "./_generated/server.js";
import { AuditActions } from "../shared/catalog.js";
import { checkId } from "../shared/checks.js";
import { auditError } from "../shared/errors.js";
import type { ErasureResult } from "../shared/integrity.js";
import { eraseSealed, eventJson, personalPathsOf, type Json, type SealInfo } from "../shared/leaf.js";
import { searchTextOf } from "../shared/prepare.js";
import type { EventDoc } from "../shared/validators.js";
import { invalidCursor, openJson, sealJson } from "./cursor.js";
import { logEvents } from "./log.js";
import { loadConfig } from "./retentionConfig.js";
import { checkPersonalFields, ensureState } from "./sealing.js";

export const ERASED = "[erased]";
const EVENTS_PER_CALL = 200;
const STAT_DOCS_PER_CALL = 200;

type Phase = { p: "events" } | { p: "buckets" | "parts"; c: number | null };
type Tally = { events: number; sealedEvents: number; statDocuments: number };

/** An event without the subject's personal values (JSON form in, stored fields out). */
function erasedDoc(e: Doc<"events">, configured: string[][]): { fields: Record<string, unknown>; sealed: boolean } {
  const json = eventJson(e);
  let out: { [k: string]: Json };
  let seal: SealInfo | undefined = e.seal as SealInfo | undefined;
  if (seal !== undefined && seal.erased === undefined) {
    const r = eraseSealed(json, seal);
    if (r === null) throw new Error(`event ${e._id} does not match its seal; verify it before erasing`);
    out = r.event;
    seal = r.seal;
  } else {
    // Not sealed yet (its leaf will be of the erased event), or erased already: remove the values.
    out = JSON.parse(JSON.stringify(json)) as { [k: string]: Json };
    const paths = seal?.paths ?? personalPathsOf(out, configured);
    for (const p of paths) {
      let parent: Json | undefined = out;
      for (const k of p.slice(0, -1)) parent = parent !== null && typeof parent === "object" ? (parent as Record<string, Json>)[k] : undefined;
      if (parent !== null && typeof parent === "object" && !Array.isArray(parent)) delete (parent as Record<string, Json>)[p[p.length - 1]];
    }
  }
  const { _id, _creationTime, ...rest } = jsonToConvex(out as JSONValue) as Record<string, unknown>;
  void _id;
  void _creationTime;
  const fields: Record<string, unknown> = { ...rest };
  if (e.seq !== undefined) fields.seq = e.seq;
  if (seal !== undefined) fields.seal = seal;
  fields.searchText = searchTextOf(fields as unknown as EventDoc);
  return { fields, sealed: e.seq !== undefined };
}

/** A JSON map or digest with the subject's id replaced; null when it held none. */
function scrub(json: string, actorId: string): string | null {
  const rows = JSON.parse(json) as unknown[];
  let changed = false;
  const out = rows.map((row) => {
    if (!Array.isArray(row)) return row;
    if (row.length === 2 && typeof row[0] === "string") {
      const k = row[0];
      if (k === "u" + actorId) return (changed = true), ["u" + ERASED, row[1]];
      if (k.startsWith("x") && k.endsWith("\u0000" + actorId)) return (changed = true), [k.slice(0, k.length - actorId.length) + ERASED, row[1]];
      return row;
    }
    // A digest entry: [timestamp, severity, category, status, action, actor, tenant].
    if (row.length === 7 && row[5] === actorId) return (changed = true), [...row.slice(0, 5), ERASED, row[6]];
    return row;
  });
  return changed ? JSON.stringify(out) : null;
}

export async function eraseSubject(
  ctx: MutationCtx,
  args: { actorId: string; cursor?: string | null; personalFields?: string[] },
): Promise<ErasureResult> {
  checkId(args.actorId, "actorId", undefined, { required: true });
  const actorId = args.actorId;
  if (actorId === ERASED) throw auditError("INVALID_ARGUMENT", "that is the placeholder erased subjects become", "actorId");
  const config = await loadConfig(ctx);
  if (config?.heldActors.includes(actorId)) {
    throw auditError("HELD", "a legal hold keeps this subject's events as they are: release it before erasing", "actorId");
  }
  const shape = JSON.stringify(["erase", actorId]);
  let phase: Phase = { p: "events" };
  if (args.cursor != null) {
    const body = (await openJson(ctx, "erasure", shape, args.cursor, "cursor")) as Phase | null;
    const ok =
      body !== null &&
      typeof body === "object" &&
      (body.p === "events" || ((body.p === "buckets" || body.p === "parts") && (body.c === null || Number.isFinite(body.c))));
    if (!ok) throw invalidCursor("cursor", false);
    phase = body;
  }
  const state = await ensureState(ctx);
  const configured = checkPersonalFields(args.personalFields ?? state.personalFields).map((p) => p);
  const tally: Tally = { events: 0, sealedEvents: 0, statDocuments: 0 };
  let next: Phase | null = phase;

  if (phase.p === "events") {
    const events = await ctx.db
      .query("events")
      .withIndex("by_actor", (q) => q.eq("actorId", actorId))
      .take(EVENTS_PER_CALL);
    for (const e of events) {
      const { fields, sealed } = erasedDoc(e, configured);
      await ctx.db.replace(e._id, fields as never);
      tally.events++;
      if (sealed) tally.sealedEvents++;
    }
    next = events.length < EVENTS_PER_CALL ? { p: "buckets", c: null } : { p: "events" };
  } else {
    const table = phase.p === "buckets" ? "statBuckets" : "statParts";
    const after = phase.c;
    const docs = await ctx.db
      .query(table)
      .withIndex("by_creation_time", (q) => (after === null ? q : q.gt("_creationTime", after)))
      .take(STAT_DOCS_PER_CALL);
    for (const d of docs) {
      const patch: Record<string, string> = {};
      const fields = table === "statBuckets" ? (["main", "joint", "digest"] as const) : (["data"] as const);
      for (const f of fields) {
        const value = (d as Record<string, unknown>)[f];
        if (typeof value !== "string") continue;
        const s = scrub(value, actorId);
        if (s !== null) patch[f] = s;
      }
      if (Object.keys(patch).length > 0) {
        await ctx.db.patch(d._id, patch as never);
        tally.statDocuments++;
      }
    }
    const last = docs.length > 0 ? docs[docs.length - 1]._creationTime : after;
    if (docs.length < STAT_DOCS_PER_CALL) next = phase.p === "buckets" ? { p: "parts", c: null } : null;
    else next = { p: phase.p, c: last };
  }
  const isDone = next === null;
  if (isDone) {
    // On the record without the subject: the request's reference is the app's to log.
    await logEvents(
      ctx,
      [{ action: AuditActions.AUDIT_SUBJECT_ERASED, actor: { type: "system" }, summary: "A subject's personal data was erased from the audit log" }],
      {},
      () => "",
    );
  }
  return {
    ...tally,
    isDone,
    continueCursor: isDone ? null : await sealJson(ctx, "erasure", shape, next),
  };
}
