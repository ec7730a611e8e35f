/**
 * Checks an export (sealedExport.ts's contract) offline, with nothing but
 * the files and the verifier key: every checkpoint's signature, that the
 * checkpoints agree with one another (each newer tree extends the older
 * ones), every event against its leaf, the leaves against every checkpoint,
 * and that no sequence number is missing, repeated or out of order.
 *
 * Pure (strings in, a report out), so the property tests drive it directly
 * and the CLI (main.ts) only reads files and prints.
 *
 * Exit codes: 0 all holds; 1 a finding (something was modified, deleted,
 * inserted, reordered, truncated or forged); 2 unusable input (a key that is
 * not one, corrupt or truncated files, no checkpoint signed by the key).
 */
import { decodeRanges } from "../shared/integrity.js";
import { eventLeafHash, type Json, type SealInfo } from "../shared/leaf.js";
import { hashFromB64, RootBuilder, sameHash, toB64, type Hash } from "../shared/merkle.js";
import { parseCheckpoint, parseNote, parseVerifierKey, signedBy, type VerifierKey } from "../shared/note.js";

export type FindingKind = "modified" | "deleted" | "inserted" | "reordered" | "truncated" | "uncovered" | "forged" | "fork" | "replayed";
export type Finding = { kind: FindingKind; seq?: number; toSeq?: number; message: string };

export type VerifyResult = {
  exitCode: 0 | 1 | 2;
  /** Why the input is unusable (exit 2). */
  fatal?: string;
  findings: Finding[];
  events: number;
  /** Leaves whose events retention deleted, as listed by sealed retention records: not findings. */
  expired: { from: number; to: number }[];
  checkpoints: number;
  newest?: { size: number; time?: number; root: string };
};

const AUDIT_RETENTION_DELETED = "audit.retention.deleted";

function lines(text: string): string[] {
  const out = text.split("\n");
  if (out[out.length - 1] === "") out.pop();
  return out;
}

type Line = { seq: number; leafHash: Hash; leafText: string; deleted: boolean; event?: Record<string, Json>; seal?: SealInfo; line: number };
type Cp = { size: number; root: Hash; time?: number; origin: string; line: number };

function fatal(message: string): VerifyResult {
  return { exitCode: 2, fatal: message, findings: [], events: 0, expired: [], checkpoints: 0 };
}

function rangesText(seqs: number[]): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = [];
  for (const s of [...new Set(seqs)].sort((a, b) => a - b)) {
    const last = out[out.length - 1];
    if (last !== undefined && last.to + 1 === s) last.to = s;
    else out.push({ from: s, to: s });
  }
  return out;
}

export function parseKeys(keyText: string): VerifierKey[] | string {
  const texts = lines(keyText.replace(/\r/g, "")).map((l) => l.trim()).filter((l) => l.length > 0 && !l.startsWith("#"));
  if (texts.length === 0) return "the key file holds no verifier key";
  const keys: VerifierKey[] = [];
  for (const t of texts) {
    const k = parseVerifierKey(t);
    if (k === null) {
      return t.startsWith("PRIVATE+KEY+")
        ? "the key file holds a signer (private) key; verify takes the verifier key (keygen prints both)"
        : `the key file's line ${JSON.stringify(t.slice(0, 40))} is not a note verifier key (name+hash+base64)`;
    }
    keys.push(k);
  }
  return keys;
}

export function verifyExport(input: { events: string; checkpoints: string; key: string }): VerifyResult {
  const keys = parseKeys(input.key);
  if (typeof keys === "string") return fatal(keys);
  const findings: Finding[] = [];

  // ---- Checkpoints ----
  const cps: Cp[] = [];
  const unsigned: { line: number; size: number }[] = [];
  const cpLines = lines(input.checkpoints);
  if (cpLines.length === 0) return fatal("checkpoints.jsonl holds no checkpoint");
  for (let i = 0; i < cpLines.length; i++) {
    let row: unknown;
    try {
      row = JSON.parse(cpLines[i]);
    } catch {
      return fatal(`checkpoints.jsonl line ${i + 1} is not JSON (corrupt or truncated)`);
    }
    const r = row as { size?: unknown; note?: unknown };
    if (typeof r !== "object" || r === null || typeof r.note !== "string" || typeof r.size !== "number") {
      return fatal(`checkpoints.jsonl line ${i + 1} is not {"size": N, "note": "..."}`);
    }
    const note = parseNote(r.note);
    const cp = note === null ? null : parseCheckpoint(note.text);
    if (note === null || cp === null) return fatal(`checkpoints.jsonl line ${i + 1}: the note is not a signed checkpoint (corrupt or truncated)`);
    if (signedBy(note, keys).length === 0) {
      unsigned.push({ line: i + 1, size: cp.size });
      continue;
    }
    if (cp.size !== r.size) {
      findings.push({ kind: "forged", message: `checkpoints.jsonl line ${i + 1}: its size field says ${r.size}, its signed note ${cp.size}` });
    }
    cps.push({ size: cp.size, root: cp.root, time: cp.time, origin: cp.origin, line: i + 1 });
  }
  if (cps.length === 0) {
    return fatal("no checkpoint in checkpoints.jsonl is signed by the verifier key (the wrong key file, or every checkpoint forged)");
  }
  for (const u of unsigned) {
    findings.push({ kind: "forged", message: `checkpoints.jsonl line ${u.line} (size ${u.size}): not signed by the verifier key (forged, or re-signed with another key)` });
  }
  for (const c of cps) {
    if (c.origin !== cps[0].origin) findings.push({ kind: "forged", message: `checkpoints.jsonl line ${c.line}: origin ${JSON.stringify(c.origin)}, not this log's ${JSON.stringify(cps[0].origin)}` });
  }
  for (let i = 1; i < cps.length; i++) {
    const [a, b] = [cps[i - 1], cps[i]];
    if (b.size < a.size || (b.time !== undefined && a.time !== undefined && b.time < a.time)) {
      findings.push({ kind: "replayed", message: `checkpoints.jsonl line ${b.line} (size ${b.size}) comes after size ${a.size}: replayed or reordered` });
    }
    if (b.size === a.size && !sameHash(a.root, b.root)) {
      findings.push({ kind: "fork", message: `two signed checkpoints of size ${a.size} with different roots (lines ${a.line} and ${b.line}): the log was forked` });
    }
  }

  // ---- Events ----
  const evLines = lines(input.events);
  const bySeq = new Map<number, Line[]>();
  let previous = -1;
  for (let i = 0; i < evLines.length; i++) {
    let row: unknown;
    try {
      row = JSON.parse(evLines[i]);
    } catch {
      return fatal(`events.jsonl line ${i + 1} is not JSON (corrupt or truncated)`);
    }
    if (typeof row !== "object" || row === null || Array.isArray(row)) return fatal(`events.jsonl line ${i + 1} is not an object`);
    const { seq, leafHash, seal, deleted, ...event } = row as Record<string, Json>;
    const h = hashFromB64(leafHash);
    if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 0 || h === null) {
      return fatal(`events.jsonl line ${i + 1} has no sequence number and leaf hash (seq, leafHash)`);
    }
    const line: Line = { seq, leafHash: h, leafText: leafHash as string, deleted: deleted === true, line: i + 1 };
    if (!line.deleted) {
      line.event = event;
      line.seal = seal as unknown as SealInfo;
    }
    if (seq <= previous) {
      findings.push({ kind: bySeq.has(seq) ? "inserted" : "reordered", seq, message: bySeq.has(seq) ? `seq ${seq} appears again at line ${i + 1}: an event was inserted` : `seq ${seq} at line ${i + 1} comes after seq ${previous}: reordered` });
    }
    previous = Math.max(previous, seq);
    bySeq.set(seq, [...(bySeq.get(seq) ?? []), line]);
  }

  // Every event against its own leaf; retention records first, so deleted lines can be told apart.
  const expiredBy = new Map<number, number>();
  const checkedOk = (l: Line): boolean => {
    if (l.deleted || l.event === undefined) return false;
    const seal = l.seal;
    if (typeof seal !== "object" || seal === null || !Array.isArray(seal.paths)) return false;
    const h = eventLeafHash(l.event as Record<string, Json>, seal);
    return h !== null && sameHash(h, l.leafHash);
  };
  const ok = new Map<number, boolean>();
  for (const [seq, ls] of bySeq) {
    if (ls.length !== 1) continue;
    const l = ls[0];
    const good = checkedOk(l);
    ok.set(seq, good);
    if (good && l.event!.action === AUDIT_RETENTION_DELETED) {
      const meta = l.event!.metadata as { seqs?: unknown } | undefined;
      for (const r of decodeRanges(meta?.seqs) ?? []) for (let s = r.from; s <= r.to; s++) expiredBy.set(s, seq);
    }
  }
  const expired: number[] = [];
  for (const [seq, ls] of bySeq) {
    if (ls.length !== 1) continue;
    const l = ls[0];
    if (l.deleted) {
      if (expiredBy.has(seq)) expired.push(seq);
      else findings.push({ kind: "deleted", seq, message: `seq ${seq}: the event is gone and no retention record lists it: deleted outside retention` });
    } else if (!ok.get(seq)) {
      const id = typeof l.event?._id === "string" ? ` (${l.event._id})` : "";
      findings.push({ kind: "modified", seq, message: `seq ${seq}${id}: the event does not hash to its leaf: modified` });
    }
  }
  const maxSeq = previous;
  const gaps: number[] = [];
  for (let s = 0; s <= maxSeq; s++) if (!bySeq.has(s)) gaps.push(s);
  for (const r of rangesText(gaps)) {
    findings.push({ kind: "deleted", seq: r.from, toSeq: r.to, message: `seq ${r.from === r.to ? r.from : `${r.from}–${r.to}`}: no line in the export: deleted` });
  }

  // ---- The leaves against every checkpoint ----
  const sorted = [...cps].sort((a, b) => a.size - b.size);
  const count = maxSeq + 1;
  const newest = sorted[sorted.length - 1];
  const builder = new RootBuilder();
  let broken: number | null = null; // the first seq whose leaf is unknown (missing or repeated)
  const matches = new Map<Cp, boolean | null>();
  let cpIndex = 0;
  const settle = (cp: Cp) => matches.set(cp, broken !== null && broken < cp.size ? null : sameHash(builder.root(), cp.root));
  while (cpIndex < sorted.length && sorted[cpIndex].size === 0) settle(sorted[cpIndex++]);
  for (let s = 0; s < Math.min(count, newest.size); s++) {
    const ls = bySeq.get(s);
    if (ls === undefined || ls.length !== 1) {
      if (broken === null) broken = s;
      builder.push(new Uint8Array(32));
    } else builder.push(ls[0].leafHash);
    while (cpIndex < sorted.length && sorted[cpIndex].size === s + 1) settle(sorted[cpIndex++]);
  }
  let lastGood = 0;
  for (let i = 0; i < sorted.length; i++) {
    const cp = sorted[i];
    if (cp.size > count) continue;
    const m = matches.get(cp);
    if (m === true) lastGood = Math.max(lastGood, cp.size);
    else if (m === false) {
      // A newer checkpoint that the leaves match commits to the same first cp.size leaves: this one is a fork.
      const newerMatches = sorted.slice(i + 1).some((c) => matches.get(c) === true);
      findings.push(
        newerMatches
          ? { kind: "fork", message: `checkpoint size ${cp.size} (line ${cp.line}) is not consistent with the newer checkpoints: the log was forked` }
          : {
              kind: "modified",
              seq: lastGood,
              toSeq: cp.size - 1,
              message: `seq ${lastGood}–${cp.size - 1}: the leaves do not hash to checkpoint size ${cp.size}'s root (line ${cp.line}): an event in this range was modified, inserted or deleted with its leaf hash`,
            },
      );
    }
  }
  if (newest.size > count) {
    findings.push({ kind: "truncated", seq: count, toSeq: newest.size - 1, message: `seq ${count}–${newest.size - 1}: checkpoint size ${newest.size} covers them and the export ends before: truncated` });
  }
  if (count > newest.size) {
    findings.push({ kind: "uncovered", seq: newest.size, toSeq: count - 1, message: `seq ${newest.size}–${count - 1}: no checkpoint covers them: inserted, or the newest checkpoint withheld` });
  }
  findings.sort((a, b) => (a.seq ?? -1) - (b.seq ?? -1));
  return {
    exitCode: findings.length > 0 ? 1 : 0,
    findings,
    events: evLines.length,
    expired: rangesText(expired),
    checkpoints: cps.length,
    newest: { size: newest.size, time: newest.time, root: toB64(newest.root) },
  };
}
