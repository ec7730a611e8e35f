/**
 * Checking a receipt (an `EventProof`) anywhere, with nothing of the
 * deployment: the event hashes to its leaf, the leaf is in the tree the
 * checkpoint names (RFC 9162 inclusion proof), and the checkpoint is signed
 * by the verifier key. The viewer runs this in the browser; a customer can
 * run it on a receipt file. Pin the verifier key in your app (or hand it to
 * customers out of band): a key that comes with the receipt only shows the
 * receipt agrees with itself.
 */
import type { EventProof } from "./integrity.js";
import { eventJson, eventLeafHash, type SealInfo } from "./leaf.js";
import { hashFromB64, sameHash, toB64, verifyInclusion } from "./merkle.js";
import { parseCheckpoint, parseNote, parseVerifierKey, signedBy } from "./note.js";

export type ReceiptCheck = {
  ok: boolean;
  /** What failed, in words; empty when `ok`. */
  problems: string[];
  /** The key that signed the checkpoint, if one of those given did. */
  signedBy: string | null;
  size: number | null;
  time: number | null;
};

export function verifyReceipt(receipt: EventProof, verifierKeys: string[] = receipt.verifierKeys): ReceiptCheck {
  const problems: string[] = [];
  const out = (signer: string | null, size: number | null, time: number | null): ReceiptCheck => ({
    ok: problems.length === 0,
    problems,
    signedBy: signer,
    size,
    time,
  });
  const keys = verifierKeys.map(parseVerifierKey);
  if (keys.length === 0 || keys.some((k) => k === null)) problems.push("no usable verifier key");
  const note = parseNote(receipt.checkpoint?.note);
  const cp = note === null ? null : parseCheckpoint(note.text);
  if (note === null || cp === null) {
    problems.push("the checkpoint is not a signed checkpoint note");
    return out(null, null, null);
  }
  const signers = signedBy(note, keys.filter((k) => k !== null));
  if (signers.length === 0) problems.push("the checkpoint is not signed by the verifier key");
  const seal = receipt.event?.seal as SealInfo | undefined;
  const event = receipt.event as unknown as Record<string, unknown>;
  const computed = seal === undefined ? null : eventLeafHash(eventJson(event), seal);
  const leaf = hashFromB64(receipt.leafHash);
  if (computed === null || leaf === null || !sameHash(computed, leaf)) problems.push("the event does not hash to its leaf (it was changed)");
  const proof = (Array.isArray(receipt.proof) ? receipt.proof : []).map(hashFromB64);
  if (leaf === null || proof.some((p) => p === null) || !verifyInclusion(leaf, receipt.seq, cp.size, proof as Uint8Array[], cp.root)) {
    problems.push(`the leaf is not in the tree of the checkpoint (size ${cp.size})`);
  }
  if (receipt.event?.seq !== receipt.seq) problems.push("the event's sequence number is not the receipt's");
  if (receipt.checkpoint.size !== cp.size || receipt.checkpoint.root !== toB64(cp.root)) problems.push("the checkpoint's fields disagree with its signed text");
  return out(signers[0]?.text ?? null, cp.size, cp.time ?? null);
}
