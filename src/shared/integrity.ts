/**
 * The transparency log's documents and results, as validators: the schema,
 * the component's function signatures and the client's types come from
 * these (component/integrity.ts has the functions, sealing.ts the loop,
 * tiles.ts the tree's storage, proofs.ts the read side).
 */
import { v, type Infer } from "convex/values";
import { vEvent, vSealInfo } from "./validators.js";

export { vSealInfo };

export const INTEGRITY_LIMITS = {
  /** Tiles are 2^8 hashes wide (C2SP tlog-tiles' height). */
  tileHeight: 8,
  tileWidth: 256,
  /** Events one sealing step seals at most ... */
  batchEvents: 2000,
  /** ... and the bytes of them it reads (each is read once and written once). */
  batchBytes: 6 * 1024 * 1024,
  /**
   * Events younger than this wait for the next step: a mutation that logs is
   * rarely this slow, so the step's read of the unsealed range does not
   * conflict with a logger still running (correctness does not depend on it:
   * an event that commits late is sealed by a later step).
   */
  settleMs: 5_000,
  /** Sequence numbers one `verify` page checks at most. */
  verifyPage: 2000,
  /** Findings a `verify` report lists (it counts them all). */
  maxListed: 1000,
  /** Configured personal fields, at most. */
  maxPersonalFields: 32,
  /** Checkpoints per page of `checkpoints`. */
  maxCheckpointsPage: 1000,
} as const;

export const vCheckpointDoc = v.object({
  size: v.number(),
  /** Base64 root of the first `size` leaves. */
  root: v.string(),
  /** When the log had this size (the note's `time` line), ms. */
  time: v.number(),
  /** The signed note's full text. */
  note: v.string(),
});
export type CheckpointDoc = Infer<typeof vCheckpointDoc>;

/** The checkpoint as callers get it, with the verifier keys the app registered (the viewer checks the note with one). */
export const vLatestCheckpoint = v.object({
  ...vCheckpointDoc.fields,
  verifierKeys: v.array(v.string()),
});
export type LatestCheckpoint = Infer<typeof vLatestCheckpoint>;

/** An inclusion proof of one event against the latest checkpoint: everything a receipt holder needs offline. */
export const vEventProof = v.object({
  event: vEvent,
  seq: v.number(),
  /** Base64 RFC 9162 leaf hash, as the tree holds it. */
  leafHash: v.string(),
  /** Base64 hashes, leaf to root (RFC 9162 2.1.3). */
  proof: v.array(v.string()),
  checkpoint: vCheckpointDoc,
  verifierKeys: v.array(v.string()),
});
export type EventProof = Infer<typeof vEventProof>;

export const vConsistencyProof = v.object({
  oldSize: v.number(),
  newSize: v.number(),
  oldRoot: v.string(),
  newRoot: v.string(),
  proof: v.array(v.string()),
  /** The checkpoint at newSize (the latest when none was asked for). */
  checkpoint: vCheckpointDoc,
});
export type ConsistencyProof = Infer<typeof vConsistencyProof>;

/** What `prepareCheckpoint` hands the app to sign: the tree head after one more sealing step. */
export const vTreeHead = v.object({ origin: v.string(), size: v.number(), root: v.string(), time: v.number() });
export type TreeHead = Infer<typeof vTreeHead>;

export const vSealResult = v.object({
  sealed: v.number(),
  caughtUp: v.boolean(),
  size: v.number(),
  root: v.string(),
});
export type SealResult = Infer<typeof vSealResult>;

export const vSealStatus = v.object({
  status: v.union(v.literal("running"), v.literal("failed"), v.literal("new")),
  size: v.number(),
  root: v.string(),
  batches: v.number(),
  updatedAt: v.union(v.number(), v.null()),
  /** The longest any event sealed so far waited between `log` and its seal, ms (creation to the step that sealed it). */
  maxWaitMs: v.number(),
  /** The last step that sealed anything: when, how many, and the longest wait in it. */
  lastBatch: v.union(v.object({ at: v.number(), events: v.number(), maxWaitMs: v.number() }), v.null()),
  latestCheckpoint: v.union(v.object({ size: v.number(), time: v.number() }), v.null()),
  personalFields: v.array(v.string()),
});
export type SealStatus = Infer<typeof vSealStatus>;

const vRange = v.object({ from: v.number(), to: v.number() });
export type SeqRange = Infer<typeof vRange>;

/** What `verify` found over a range of sequence numbers. */
export const vVerifyReport = v.object({
  fromSeq: v.number(),
  toSeq: v.number(),
  checked: v.number(),
  ok: v.boolean(),
  /** Events whose content no longer hashes to their leaf (edited, or their seal altered). */
  modified: v.array(v.object({ seq: v.number(), eventId: v.string() })),
  modifiedCount: v.number(),
  /** Leaves with no event and no retention record: deleted outside retention. */
  missing: v.array(vRange),
  missingCount: v.number(),
  /** Leaves whose event retention deleted (listed by a sealed `audit.retention.deleted` record): not tampering. */
  expired: v.array(vRange),
  expiredCount: v.number(),
  /** Documents read, as the runtime counted them. */
  documentsRead: v.number(),
});
export type VerifyReport = Infer<typeof vVerifyReport>;

/** One page of the verify walk (an internal query the `verify` action calls). */
export const vVerifyPage = v.object({
  checked: v.number(),
  modified: v.array(v.object({ seq: v.number(), eventId: v.string() })),
  absent: v.array(v.number()),
  next: v.number(),
  documentsRead: v.number(),
});

export const vErasureResult = v.object({
  events: v.number(),
  sealedEvents: v.number(),
  statDocuments: v.number(),
  isDone: v.boolean(),
  continueCursor: v.union(v.string(), v.null()),
});
export type ErasureResult = Infer<typeof vErasureResult>;

/** Sequence ranges as text ("0-9,12,15-20"): a retention record's list of the leaves whose events it deleted. */
export function encodeRanges(seqs: number[]): string {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

export function decodeRanges(text: unknown): SeqRange[] | null {
  if (typeof text !== "string") return null;
  if (text === "") return [];
  const out: SeqRange[] = [];
  for (const part of text.split(",")) {
    const m = /^(0|[1-9][0-9]{0,15})(?:-(0|[1-9][0-9]{0,15}))?$/.exec(part);
    if (m === null) return null;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) return null;
    out.push({ from, to });
  }
  return out;
}

/** Sorted, merged ranges of a set of sequence numbers. */
export function toRanges(seqs: Iterable<number>): SeqRange[] {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const out: SeqRange[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && last.to + 1 === s) last.to = s;
    else out.push({ from: s, to: s });
  }
  return out;
}
