/**
 * Delivery sinks' registered functions: configuration and the operator's
 * controls (deliveryConfig.ts), status, and the loop's steps
 * (deliveryLoop.ts), which schedule each other by these paths.
 */
import { paginationOptsValidator } from "convex/server";
import { v } from "convex/values";
import { internalAction, internalMutation, mutation, query } from "./_generated/server.js";
import { vSinkArgs, vSinkStatus } from "../shared/delivery.js";
import { vLogOptions } from "../shared/validators.js";
import { vClaim, vOutcome } from "./deliveryBatch.js";
import {
  backfillSink,
  configureSink,
  pauseSink,
  purgeLedger as purgeLedgerHandler,
  removeSink,
  resumeSink,
} from "./deliveryConfig.js";
import {
  claim as claimHandler,
  deliverNow,
  deliverStep as deliverStepHandler,
  fail as failHandler,
  getSink,
  listSinks,
  mirrorStep as mirrorStepHandler,
  record as recordHandler,
} from "./deliveryLoop.js";

const vBy = { by: v.optional(v.string()), options: v.optional(vLogOptions) };

/** Adds a sink (its loop starts at once) or changes one (its cursor kept). */
export const configure = mutation({
  args: { ...vSinkArgs, ...vBy },
  returns: v.object({ created: v.boolean() }),
  handler: configureSink,
});

export const pause = mutation({ args: { name: v.string(), ...vBy }, returns: v.boolean(), handler: pauseSink });
export const resume = mutation({ args: { name: v.string(), ...vBy }, returns: v.boolean(), handler: resumeSink });
export const backfill = mutation({ args: { name: v.string(), fromSeq: v.number(), ...vBy }, returns: v.object({ nextSeq: v.number() }), handler: backfillSink });
export const remove = mutation({ args: { name: v.string(), ...vBy }, returns: v.boolean(), handler: removeSink });

/** A step now for running sinks with none on its way (one sink by name, or all); returns how many started. */
export const deliver = mutation({ args: { name: v.optional(v.string()) }, returns: v.number(), handler: deliverNow });

/** Pass `now` (rounded) from a reactive caller: a query's clock does not move its result. */
export const list = query({
  args: { paginationOpts: paginationOptsValidator, now: v.optional(v.number()) },
  returns: v.object({ page: v.array(vSinkStatus), isDone: v.boolean(), continueCursor: v.string() }),
  handler: listSinks,
});

export const get = query({ args: { name: v.string(), now: v.optional(v.number()) }, returns: v.union(vSinkStatus, v.null()), handler: getSink });

// ---- The loop's steps -----------------------------------------------------------------

const vStep = { sinkId: v.id("sinks"), seq: v.number() };

export const claim = internalMutation({ args: vStep, returns: vClaim, handler: claimHandler });

export const record = internalMutation({
  args: {
    ...vStep,
    outcome: vOutcome,
  },
  returns: v.boolean(),
  handler: recordHandler,
});

export const fail = internalMutation({
  args: {
    ...vStep,
    failure: v.object({
      code: v.string(),
      message: v.string(),
      retryable: v.boolean(),
      httpStatus: v.optional(v.number()),
      retryAfterMs: v.optional(v.number()),
      documentsRead: v.optional(v.number()),
    }),
  },
  returns: v.boolean(),
  handler: failHandler,
});

export const deliverStep = internalAction({ args: vStep, returns: v.null(), handler: deliverStepHandler });
export const mirrorStep = internalMutation({ args: vStep, returns: v.null(), handler: mirrorStepHandler });
export const purgeLedger = internalMutation({ args: { sink: v.id("sinks") }, returns: v.null(), handler: purgeLedgerHandler });
