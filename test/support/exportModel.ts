/**
 * A sealed log built in memory, with no Convex: events sealed as the
 * component seals them (leaf.ts), the tree, signed checkpoints, and the
 * export files of sealedExport.ts's contract. The property tests tamper with
 * these files; the CLI tests write them to disk.
 */
import { encodeRanges } from "../../src/shared/integrity.js";
import { eraseSealed, eventJson, leafData, newSeal, type Json, type SealInfo } from "../../src/shared/leaf.js";
import { leafHash, RootBuilder, toB64, type Hash } from "../../src/shared/merkle.js";
import { checkpointText, generateKey, parseSignerKey, signNote } from "../../src/shared/note.js";
import { checkpointLine, deletedLine, eventLine } from "../../src/shared/sealedExport.js";

export type Keys = { signer: string; verifier: string };

export function keys(name = "test.example/audit", seed = 1): Keys {
  const random = new Uint8Array(32).map((_, i) => (seed * 131 + i * 7) & 255);
  return generateKey(name, random);
}

export type ModelEvent = { doc: Record<string, unknown> & { seq: number; seal: SealInfo }; leaf: Hash; deleted: boolean };

export type SealedLog = { events: ModelEvent[]; checkpoints: { size: number; note: string; root: Hash }[] };

/** An event as the component stores it, varied by `i`. */
export function makeEvent(i: number, seedText = ""): Record<string, unknown> {
  const e: Record<string, unknown> = {
    _id: `k${(i * 7919 + 17).toString(36)}${seedText}`,
    _creationTime: 1_700_000_000_000 + i * 1.5,
    action: ["user.login", "record.updated", "user.logout"][i % 3],
    category: i % 3 === 1 ? "data" : "auth",
    severity: ["info", "warning", "error", "critical"][i % 4],
    status: i % 5 === 0 ? "failure" : "success",
    actor: { type: "user", name: `Person ${i % 7}`, email: `p${i % 7}@example.com` },
    actorId: `user_${i % 7}`,
    timestamp: 1_700_000_000_000 + i * 1000,
    metadata: { n: i, note: `note ${seedText}${i}`, nested: { list: [i, "x", null, true] }, email: `m${i}@example.com` },
    context: { ip: `10.0.${i % 9}.${i % 250}`, userAgent: "Firefox/140" },
  };
  if (i % 4 === 0) e.tenantId = `org${i % 3}`;
  if (i % 6 === 0) {
    e.before = { title: "a", email: "old@example.com" };
    e.after = { title: "b", email: "new@example.com" };
    e.changes = [
      { path: ["title"], op: "replace", before: "a", after: "b" },
      { path: ["email"], op: "replace", before: "old@example.com", after: "new@example.com" },
    ];
    e.diff = '~ title: "a" → "b"\n~ email: ...';
  }
  return e;
}

const PERSONAL = [["metadata", "email"], ["before", "email"], ["after", "email"]];

/** Seals `n` events, with checkpoints at the sizes given (the last at n), signed by `k`. */
export function buildLog(n: number, checkpointSizes: number[], k: Keys, seedText = ""): SealedLog {
  const events: ModelEvent[] = [];
  for (let i = 0; i < n; i++) {
    const doc = makeEvent(i, seedText);
    const json = eventJson(doc);
    const seal = newSeal(json, PERSONAL, new Uint8Array(16).map((_, j) => (i * 31 + j) & 255));
    const leaf = leafHash(leafData(json, seal)!);
    events.push({ doc: { ...doc, seq: i, seal }, leaf, deleted: false });
  }
  const signer = parseSignerKey(k.signer)!;
  const checkpoints = [...new Set([...checkpointSizes, n])]
    .filter((s) => s >= 0 && s <= n)
    .sort((a, b) => a - b)
    .map((size, j) => {
      const b = new RootBuilder();
      for (let i = 0; i < size; i++) b.push(events[i].leaf);
      const root = b.root();
      return { size, root, note: signNote(checkpointText({ origin: "test.example/audit", size, root, time: 1_800_000_000_000 + j * 60_000 }), [signer]) };
    });
  return { events, checkpoints };
}

/** Erases the personal fields of event i (as eraseSubject does): the leaf stays the same. */
export function erase(log: SealedLog, i: number): void {
  const ev = log.events[i];
  const { seq, seal, ...rest } = ev.doc;
  const erased = eraseSealed(eventJson(rest) as { [k: string]: Json }, seal)!;
  ev.doc = { ...(erased.event as Record<string, unknown>), seq, seal: erased.seal };
}

/** Deletes events by retention: their lines become `deleted` and a sealed retention record lists them (a new leaf, and a checkpoint over it). */
export function expire(log: SealedLog, seqs: number[], k: Keys): void {
  for (const s of seqs) log.events[s].deleted = true;
  const i = log.events.length;
  const doc: Record<string, unknown> = {
    _id: `retention${i}`,
    _creationTime: 1_700_000_000_000 + i * 1.5,
    action: "audit.retention.deleted",
    category: "system",
    severity: "info",
    status: "success",
    actor: { type: "system" },
    timestamp: 1_700_000_000_000 + i * 1000,
    metadata: { seqs: encodeRanges(seqs), count: seqs.length },
  };
  const json = eventJson(doc);
  const seal = newSeal(json, [], new Uint8Array(16).fill(9));
  log.events.push({ doc: { ...doc, seq: i, seal }, leaf: leafHash(leafData(json, seal)!), deleted: false });
  const b = new RootBuilder();
  for (const e of log.events) b.push(e.leaf);
  const signer = parseSignerKey(k.signer)!;
  const size = log.events.length;
  const root = b.root();
  log.checkpoints.push({ size, root, note: signNote(checkpointText({ origin: "test.example/audit", size, root, time: 1_900_000_000_000 }), [signer]) });
}

export function files(log: SealedLog, k: Keys): { events: string; checkpoints: string; key: string } {
  return {
    events: log.events.map((e) => (e.deleted ? deletedLine(e.doc.seq, toB64(e.leaf)) : eventLine(e.doc, toB64(e.leaf)))).join(""),
    checkpoints: log.checkpoints.map(checkpointLine).join(""),
    key: k.verifier + "\n",
  };
}
