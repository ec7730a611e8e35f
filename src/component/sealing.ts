/**
 * Sealing: a single-writer loop (loop.ts) gives each event the next sequence
 * number and appends its leaf (leaf.ts) to the tree (tiles.ts). Nothing on
 * the log path changes: `log` inserts one document and reads nothing; the
 * loop finds unsealed events on the `by_seq` index (no `seq` yet, oldest
 * first), so an event whose mutation committed late is sealed by a later
 * step rather than skipped, and no cursor can pass it by.
 *
 * One step reads its events, patches each with its `seq` and `seal` (the
 * salt and the paths its leaf commits), rewrites the tiles it fills and the
 * last tile of each level it reaches, and records the new size, root and
 * right edge in the state document: one write per event plus about one per
 * 256 events and a few per step.
 *
 * The component's cron (background.ts) starts a chain of steps every minute
 * when none is running; while a backlog remains each step schedules the next
 * at once. A failed step is resumed at half its size by loop.ts's rule; one
 * that keeps failing at the smallest size marks the loop failed, which
 * `seal` (the on-demand entry) restarts.
 */
import { internal } from "./_generated/api.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import type { MutationCtx, QueryCtx } from "./_generated/server.js";
import { intInRange } from "../shared/checks.js";
import { auditError } from "../shared/errors.js";
import { INTEGRITY_LIMITS, type SealResult, type SealStatus } from "../shared/integrity.js";
import { eventJson, leafData, newSeal, parseFieldPath, type FieldPath } from "../shared/leaf.js";
import { encodedSize } from "../shared/values.js";
import { EMPTY_ROOT, fromB64, leafHash, RootBuilder, toB64, type Hash } from "../shared/merkle.js";
import { isCurrentStep, nextStep, recovery, shrunk } from "./loop.js";
import { appendLeaves } from "./tiles.js";

type State = Doc<"sealState">;

export async function stateDoc(ctx: QueryCtx): Promise<State | null> {
  return await ctx.db.query("sealState").first();
}

/** The state document, created on first use. */
export async function ensureState(ctx: MutationCtx): Promise<State> {
  const have = await stateDoc(ctx);
  if (have !== null) return have;
  const now = Date.now();
  const fields = {
    status: "running" as const,
    seq: 0,
    updatedAt: now,
    size: 0,
    root: toB64(EMPTY_ROOT),
    edge: [],
    batches: 0,
    maxWaitMs: 0,
    personalFields: [],
    verifierKeys: [],
  };
  const id = await ctx.db.insert("sealState", fields);
  return (await ctx.db.get(id))!;
}

/** Configured personal fields, checked: dotted paths from the event's root. */
export function checkPersonalFields(fields: string[]): FieldPath[] {
  if (fields.length > INTEGRITY_LIMITS.maxPersonalFields) {
    throw auditError("INVALID_CONFIG", `at most ${INTEGRITY_LIMITS.maxPersonalFields} personal fields`, "personalFields");
  }
  return fields.map((f, i) => {
    const p = parseFieldPath(f);
    if (p === null) throw auditError("INVALID_CONFIG", `personal field ${JSON.stringify(String(f).slice(0, 64))} is not a dotted path of field names`, `personalFields[${i}]`);
    return p;
  });
}

/** Stores the app's personal fields when they changed: they apply to every event sealed from then on. */
export async function configurePersonalFields(ctx: MutationCtx, state: State, fields: string[] | undefined): Promise<State> {
  if (fields === undefined) return state;
  checkPersonalFields(fields);
  if (JSON.stringify(fields) === JSON.stringify(state.personalFields)) return state;
  await ctx.db.patch(state._id, { personalFields: fields });
  return { ...state, personalFields: fields };
}

export type SealOptions = { maxEvents?: number; settleMs?: number; onSealed?: (id: string, seq: number) => void };

/**
 * One step: seals the next unsealed events, oldest first. `loopFields`
 * gives the loop's own fields (its next step), written with the rest in one
 * write; a direct call leaves them as they are.
 */
export async function sealBatch(
  ctx: MutationCtx,
  opts: SealOptions = {},
  scale = 1,
  loopFields?: (result: SealResult) => Promise<Partial<State>>,
): Promise<SealResult & { documentsWritten: number }> {
  const maxEvents = intInRange(opts.maxEvents ?? INTEGRITY_LIMITS.batchEvents, 1, 4 * INTEGRITY_LIMITS.batchEvents, "maxEvents");
  const settleMs = opts.settleMs ?? INTEGRITY_LIMITS.settleMs;
  if (!Number.isFinite(settleMs) || settleMs < 0 || settleMs > 86_400_000) {
    throw auditError("INVALID_ARGUMENT", "settleMs must be from 0 to 86,400,000", "settleMs");
  }
  const state = await ensureState(ctx);
  const configured = checkPersonalFields(state.personalFields);
  const now = Date.now();
  const upper = now - settleMs;
  const limit = Math.max(1, Math.floor(maxEvents * scale));
  const byteLimit = INTEGRITY_LIMITS.batchBytes * scale;

  const leaves: Hash[] = [];
  let bytes = 0;
  let more = false;
  let maxWait = 0;
  let documentsWritten = 0;
  for await (const e of ctx.db
    .query("events")
    .withIndex("by_seq", (q) => q.eq("seq", undefined).lte("_creationTime", upper))) {
    if (leaves.length >= limit || (leaves.length > 0 && bytes >= byteLimit)) {
      more = true;
      break;
    }
    const json = eventJson(e);
    const seal = newSeal(json, configured, crypto.getRandomValues(new Uint8Array(16)));
    const data = leafData(json, seal);
    // Cannot happen for a stored event (every committed path holds a value); a loud failure beats a leaf that lies.
    if (data === null) throw new Error(`event ${e._id} cannot be sealed`);
    const seq = state.size + leaves.length;
    await ctx.db.patch(e._id, { seq, seal });
    opts.onSealed?.(e._id, seq);
    documentsWritten++;
    leaves.push(leafHash(data));
    bytes += encodedSize(e);
    maxWait = Math.max(maxWait, now - e._creationTime);
  }

  let { size, root, edge } = state;
  if (leaves.length > 0) {
    documentsWritten += await appendLeaves(ctx, size, leaves);
    const builder = RootBuilder.from(edge.map((x) => ({ level: x.level, hash: fromB64(x.hash)! })));
    if (builder.size !== size) throw new Error(`the tree's right edge covers ${builder.size} leaves, its size is ${size}`);
    for (const l of leaves) builder.push(l);
    size = builder.size;
    root = toB64(builder.root());
    edge = builder.edge().map((x) => ({ level: x.level, hash: toB64(x.hash) }));
  }
  const result: SealResult = { sealed: leaves.length, caughtUp: !more, size, root };
  const own = loopFields ? await loopFields(result) : {};
  const progress: Partial<State> =
    leaves.length === 0
      ? {}
      : {
          size,
          root,
          edge,
          batches: state.batches + 1,
          maxWaitMs: Math.max(state.maxWaitMs, maxWait),
          lastBatch: { at: now, events: leaves.length, maxWaitMs: maxWait },
          updatedAt: now,
        };
  if (leaves.length > 0 || loopFields) {
    await ctx.db.patch(state._id, { ...progress, ...own });
    documentsWritten++;
  }
  return { ...result, documentsWritten };
}

// ---- The loop -----------------------------------------------------------------------

/** One step of the chain the cron starts; while there is more it schedules the next at once. */
export async function sealStep(ctx: MutationCtx, { seq }: { seq: number }): Promise<null> {
  const state = await stateDoc(ctx);
  if (!isCurrentStep(state, seq)) return null;
  await sealBatch(ctx, {}, state!.scale ?? 1, async (result) => {
    const job = result.caughtUp ? undefined : await ctx.scheduler.runAfter(0, internal.integrity.sealStep, { seq: seq + 1 });
    return nextStep(state!, job, Date.now());
  });
  return null;
}

async function schedule(ctx: MutationCtx, state: State): Promise<Id<"_scheduled_functions">> {
  return await ctx.scheduler.runAfter(0, internal.integrity.sealStep, { seq: state.seq });
}

/**
 * The cron's part (background.ts), by loop.ts's rule: start a chain when
 * none is on its way; resume one whose step failed or stalled at half size;
 * mark the loop failed when it stalled at the smallest.
 */
export async function sealTick(ctx: MutationCtx, now: number): Promise<"running" | "scheduled" | "failed"> {
  const state = await ensureState(ctx);
  if (state.status === "failed") return "failed";
  if (state.job === undefined) {
    await ctx.db.patch(state._id, { job: await schedule(ctx, state) });
    return "scheduled";
  }
  const action = await recovery(ctx, state, now);
  if (action === "wait") return "running";
  if (action === "resume") {
    const scale = shrunk(state.scale);
    await ctx.db.patch(state._id, { job: await schedule(ctx, state), scale, updatedAt: now });
    return "scheduled";
  }
  await ctx.db.patch(state._id, { status: "failed", job: undefined, updatedAt: now });
  return "failed";
}

/** `seal` on demand: one step now; a loop marked failed starts again. */
export async function sealNow(ctx: MutationCtx, args: SealOptions & { personalFields?: string[] }): Promise<SealResult> {
  let state = await ensureState(ctx);
  state = await configurePersonalFields(ctx, state, args.personalFields);
  if (state.status === "failed") await ctx.db.patch(state._id, { status: "running", scale: shrunk(state.scale), job: undefined });
  const { documentsWritten: _w, ...result } = await sealBatch(ctx, { maxEvents: args.maxEvents, settleMs: args.settleMs });
  return result;
}

export async function sealStatus(ctx: QueryCtx): Promise<SealStatus> {
  const state = await stateDoc(ctx);
  const latest = await ctx.db.query("checkpoints").withIndex("by_size").order("desc").first();
  return {
    status: state === null ? "new" : state.status,
    size: state?.size ?? 0,
    root: state?.root ?? toB64(EMPTY_ROOT),
    batches: state?.batches ?? 0,
    updatedAt: state?.updatedAt ?? null,
    maxWaitMs: state?.maxWaitMs ?? 0,
    lastBatch: state?.lastBatch ?? null,
    latestCheckpoint: latest === null ? null : { size: latest.size, time: latest.time },
    personalFields: state?.personalFields ?? [],
  };
}
