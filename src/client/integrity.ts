/**
 * The transparency log, from the app's side: the one part that must run in
 * the app is signing, because components cannot read the app's environment
 * and the signing key belongs there, not in the database. `checkpoint` asks
 * the component for its head (after one more sealing step), signs it as a
 * C2SP signed note with every configured key, and hands the note back for
 * the component to check and keep.
 */
import type { ComponentApi } from "../component/_generated/component.js";
import { auditError } from "../shared/errors.js";
import type { CheckpointDoc } from "../shared/integrity.js";
import { fromB64 } from "../shared/merkle.js";
import { checkpointText, parseSignerKey, signNote, type SignerKey } from "../shared/note.js";
import type { IntegrityOptions, RunMutationCtx } from "./types.js";

/** The configured signer keys: one, or several during a rotation (each signs; the first is the current one). */
export function signerKeys(options: IntegrityOptions | undefined): SignerKey[] {
  const given = options?.signingKey;
  const list = (Array.isArray(given) ? given : typeof given === "string" ? given.split(/[\s,]+/) : []).filter((k) => k.length > 0);
  if (list.length === 0) {
    throw auditError("INVALID_CONFIG", "integrity.signingKey is not set: generate one with `npx convex-audit-log keygen` and keep it in an environment variable", "integrity.signingKey");
  }
  return list.map((k, i) => {
    const key = parseSignerKey(k);
    if (key === null) throw auditError("INVALID_CONFIG", "integrity.signingKey is not a note signer key (PRIVATE+KEY+name+hash+key)", `integrity.signingKey[${i}]`);
    return key;
  });
}

export async function checkpoint(component: ComponentApi, ctx: RunMutationCtx, options: IntegrityOptions | undefined): Promise<CheckpointDoc> {
  const keys = signerKeys(options);
  const head = await ctx.runMutation(component.integrity.prepareCheckpoint, { personalFields: options?.personalFields });
  const origin = options?.origin ?? (head.origin || keys[0].name);
  const note = signNote(checkpointText({ origin, size: head.size, root: fromB64(head.root)!, time: head.time }), keys);
  return await ctx.runMutation(component.integrity.addCheckpoint, { note, verifierKeys: keys.map((k) => k.verifier.text) });
}
