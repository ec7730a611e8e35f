/**
 * The transparency log's registered functions: sealing (sealing.ts, the
 * loop the cron keeps going), checkpoints the app signs, proofs and
 * verification (proofs.ts), erasure (erasure.ts). The chain schedules itself
 * by the path `integrity.sealStep`.
 */
import { paginationOptsValidator } from "convex/server";
import { v } from "convex/values";
import { action, internalMutation, internalQuery, mutation, query } from "./_generated/server.js";
import { vReadScope } from "../shared/filters.js";
import {
  vCheckpointDoc,
  vErasureResult,
  vConsistencyProof,
  vEventProof,
  vLatestCheckpoint,
  vSealResult,
  vSealStatus,
  vTreeHead,
  vVerifyPage,
  vVerifyReport,
} from "../shared/integrity.js";
import { ensureCursorKey } from "./cursor.js";
import {
  addCheckpoint as addCheckpointHandler,
  checkpointPage,
  latestCheckpoint as latestCheckpointHandler,
  prepareCheckpoint as prepareCheckpointHandler,
  proveConsistency as proveConsistencyHandler,
  proveEvent as proveEventHandler,
  retentionRecordPage,
  verifyPage as verifyPageHandler,
  verifyRange,
} from "./proofs.js";
import { eraseSubject as eraseSubjectHandler } from "./erasure.js";
import { sealNow, sealStatus, sealStep as sealStepHandler } from "./sealing.js";

/** One sealing step now (tests, imports, an app's own schedule); call again until `caughtUp`. */
export const seal = mutation({
  args: { maxEvents: v.optional(v.number()), settleMs: v.optional(v.number()), personalFields: v.optional(v.array(v.string())) },
  returns: vSealResult,
  handler: async (ctx, args) => {
    await ensureCursorKey(ctx);
    return await sealNow(ctx, args);
  },
});

export const status = query({ args: {}, returns: vSealStatus, handler: sealStatus });

export const sealStep = internalMutation({ args: { seq: v.number() }, returns: v.null(), handler: sealStepHandler });

/** The head to sign, after one more sealing step. */
export const prepareCheckpoint = mutation({
  args: { personalFields: v.optional(v.array(v.string())) },
  returns: vTreeHead,
  handler: prepareCheckpointHandler,
});

export const addCheckpoint = mutation({
  args: { note: v.string(), verifierKeys: v.array(v.string()) },
  returns: vCheckpointDoc,
  handler: addCheckpointHandler,
});

export const latestCheckpoint = query({ args: {}, returns: v.union(vLatestCheckpoint, v.null()), handler: latestCheckpointHandler });

export const checkpoints = query({
  args: { paginationOpts: paginationOptsValidator },
  returns: v.object({ page: v.array(vCheckpointDoc), isDone: v.boolean(), continueCursor: v.string() }),
  handler: checkpointPage,
});

export const proveEvent = query({ args: { eventId: v.string(), scope: v.optional(vReadScope) }, returns: vEventProof, handler: proveEventHandler });

export const proveConsistency = query({
  args: { oldSize: v.number(), newSize: v.optional(v.number()) },
  returns: vConsistencyProof,
  handler: proveConsistencyHandler,
});

/** One page of `verify` (public within the component, so the bench can measure a page; apps call `verify`). */
export const verifyPage = query({ args: { fromSeq: v.number(), toSeq: v.number() }, returns: vVerifyPage, handler: verifyPageHandler });

export const retentionRecords = internalQuery({
  args: { cursor: v.union(v.string(), v.null()) },
  returns: v.object({ ranges: v.array(v.string()), isDone: v.boolean(), continueCursor: v.string() }),
  handler: retentionRecordPage,
});

/** Every leaf of a range checked against its event; each event read once. */
export const verify = action({
  args: { fromSeq: v.optional(v.number()), toSeq: v.optional(v.number()) },
  returns: vVerifyReport,
  handler: verifyRange,
});

/** One batch of erasing a subject (erasure.ts): call again with `continueCursor` until `isDone`. */
export const eraseSubject = mutation({
  args: { actorId: v.string(), cursor: v.optional(v.union(v.string(), v.null())), personalFields: v.optional(v.array(v.string())) },
  returns: vErasureResult,
  handler: async (ctx, args) => {
    await ensureCursorKey(ctx);
    return await eraseSubjectHandler(ctx, args);
  },
});
