/**
 * Property tests of the offline verifier: random sealed logs, each with one
 * random tampering (change any field, delete, insert, swap two, truncate the
 * tail, replay an old checkpoint, re-sign with another key, fork the tree):
 * every one is detected (a finding, exit 1, or for a checkpoint file no key
 * verifies, exit 2), and never reported as verified. Untouched logs, erased
 * subjects and retention's deletions raise no alarm.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { parseSignerKey, signNote, checkpointText } from "../shared/note.js";
import { RootBuilder, leafHash, toB64 } from "../shared/merkle.js";
import { buildLog, erase, expire, files, keys } from "../../test/support/exportModel.js";
import { verifyExport } from "./verifyExport.js";

const K = keys();
const OTHER = keys("test.example/audit", 2);

const arbLog = fc.record({
  n: fc.integer({ min: 2, max: 70 }),
  cuts: fc.array(fc.integer({ min: 1, max: 70 }), { maxLength: 4 }),
  erased: fc.array(fc.nat(), { maxLength: 3 }),
});

type Lines = { events: string[]; checkpoints: string[]; key: string };
const split = (f: { events: string; checkpoints: string; key: string }): Lines => ({
  events: f.events.split("\n").filter((l) => l !== ""),
  checkpoints: f.checkpoints.split("\n").filter((l) => l !== ""),
  key: f.key,
});
const join = (l: Lines) => ({ events: l.events.map((x) => x + "\n").join(""), checkpoints: l.checkpoints.map((x) => x + "\n").join(""), key: l.key });

/** A JSON value changed somewhere: a field's value, a new field, or a field removed. */
function mutateValue(obj: Record<string, unknown>, pick: number, how: number): boolean {
  const paths: string[][] = [];
  const walk = (v: unknown, p: string[]) => {
    if (typeof v === "object" && v !== null) {
      for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
      if (!Array.isArray(v)) paths.push(p);
    } else paths.push(p);
  };
  walk(obj, []);
  const candidates = paths.filter((p) => p.length > 0 && !["seq", "leafHash"].includes(p[0]));
  if (candidates.length === 0) return false;
  const path = candidates[pick % candidates.length];
  let parent = obj as Record<string, unknown>;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string, unknown>;
  const last = path[path.length - 1];
  const old = parent[last];
  if (how % 3 === 0) parent[last] = typeof old === "string" ? old + "!" : typeof old === "number" ? old + 1 : "changed";
  else if (how % 3 === 1 && !Array.isArray(parent)) delete parent[last];
  else if (typeof old === "object" && old !== null && !Array.isArray(old)) (old as Record<string, unknown>).added = 1;
  else parent[last] = [old];
  return true;
}

const TAMPERINGS = ["field", "fieldAndHash", "delete", "insert", "swap", "truncate", "replay", "resign", "fork", "renumber"] as const;

function tamper(l: Lines, kind: (typeof TAMPERINGS)[number], a: number, b: number, n: number): Lines | null {
  const ev = [...l.events];
  const cps = [...l.checkpoints];
  const i = a % ev.length;
  const j = b % ev.length;
  switch (kind) {
    case "field":
    case "fieldAndHash": {
      const row = JSON.parse(ev[i]);
      if (!mutateValue(row, b, a)) return null;
      if (kind === "fieldAndHash") row.leafHash = toB64(leafHash(new TextEncoder().encode(JSON.stringify(row))));
      ev[i] = JSON.stringify(row);
      break;
    }
    case "delete":
      ev.splice(i, 1);
      break;
    case "insert": {
      const row = JSON.parse(ev[i]);
      row.summary = "an event nobody logged";
      ev.splice(j, 0, JSON.stringify(row));
      break;
    }
    case "swap":
      if (i === j) return null;
      [ev[i], ev[j]] = [ev[j], ev[i]];
      break;
    case "renumber": {
      // Delete one line and renumber the rest so the sequence has no gap.
      ev.splice(i, 1);
      for (let x = i; x < ev.length; x++) {
        const row = JSON.parse(ev[x]);
        row.seq = x;
        ev[x] = JSON.stringify(row);
      }
      break;
    }
    case "truncate":
      ev.splice(ev.length - 1 - (a % Math.min(5, ev.length)));
      break;
    case "replay": {
      // An older checkpoint again, after the newest; or the newest dropped for an older one.
      if (cps.length < 2) return null;
      const old = cps[a % (cps.length - 1)];
      if (b % 2 === 0) cps.push(old);
      else cps[cps.length - 1] = old;
      break;
    }
    case "resign": {
      const x = a % cps.length;
      const row = JSON.parse(cps[x]);
      const text = row.note.slice(0, row.note.lastIndexOf("\n\n") + 1);
      row.note = signNote(text, [parseSignerKey(OTHER.signer)!]);
      cps[x] = JSON.stringify(row);
      break;
    }
    case "fork": {
      // The log's own key signs a tree whose leaves differ: a checkpoint at some size with another root.
      const size = 1 + (a % n);
      const b2 = new RootBuilder();
      for (let x = 0; x < size; x++) b2.push(leafHash(new TextEncoder().encode(`fork ${x} ${x === size - 1 ? "!" : ""}`)));
      const note = signNote(checkpointText({ origin: "test.example/audit", size, root: b2.root(), time: 1_850_000_000_000 }), [parseSignerKey(K.signer)!]);
      cps.push(JSON.stringify({ size, note }));
      cps.sort((p, q) => JSON.parse(p).size - JSON.parse(q).size);
      break;
    }
  }
  return { events: ev, checkpoints: cps, key: l.key };
}

describe("the offline verifier", () => {
  test("untouched logs, with erased subjects and retention's deletions, raise no alarm (300 random logs)", () => {
    fc.assert(
      fc.property(arbLog, fc.array(fc.nat(), { maxLength: 5 }), ({ n, cuts, erased }, expiredPicks) => {
        const log = buildLog(n, cuts, K);
        for (const e of erased) erase(log, e % n);
        const seqs = [...new Set(expiredPicks.map((x) => x % n))];
        if (seqs.length > 0) expire(log, seqs, K);
        const r = verifyExport(files(log, K));
        expect(r.findings).toEqual([]);
        expect(r.exitCode).toBe(0);
        expect(r.expired.reduce((s, x) => s + x.to - x.from + 1, 0)).toBe(seqs.length);
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  test("one random tampering in each of 600 random logs: every one detected, none verified", () => {
    fc.assert(
      fc.property(arbLog, fc.constantFrom(...TAMPERINGS), fc.nat(), fc.nat(), ({ n, cuts, erased }, kind, a, b) => {
        const log = buildLog(n, cuts, K);
        for (const e of erased) erase(log, e % n);
        const t = tamper(split(files(log, K)), kind, a, b, n);
        fc.pre(t !== null);
        const r = verifyExport(join(t!));
        expect(r.exitCode).not.toBe(0);
        if (r.exitCode === 1) expect(r.findings.length).toBeGreaterThan(0);
        else expect(kind).toBe("resign"); // every checkpoint re-signed: no key verifies any, unusable input
      }),
      { numRuns: 600 },
    );
  }, 120_000);

  test("a changed field is reported at its own sequence number", () => {
    const log = buildLog(40, [10, 20], K);
    const l = split(files(log, K));
    const row = JSON.parse(l.events[17]);
    row.metadata.n = 999;
    l.events[17] = JSON.stringify(row);
    const r = verifyExport(join(l));
    expect(r.exitCode).toBe(1);
    expect(r.findings.map((f) => [f.kind, f.seq])).toEqual([["modified", 17]]);
  });

  test("deletions outside retention are findings; a forged retention record does not excuse them", () => {
    const log = buildLog(30, [], K);
    log.events[4].deleted = true;
    const r = verifyExport(files(log, K));
    expect(r.findings.map((f) => [f.kind, f.seq])).toEqual([["deleted", 4]]);
    // A retention record edited to list seq 4 no longer hashes to its leaf: still a finding.
    const log2 = buildLog(30, [], K);
    expire(log2, [7], K);
    const l = split(files(log2, K));
    const rec = JSON.parse(l.events[30]);
    rec.metadata.seqs = "4,7";
    l.events[30] = JSON.stringify(rec);
    l.events[4] = JSON.stringify({ seq: 4, leafHash: JSON.parse(l.events[4]).leafHash, deleted: true });
    const r2 = verifyExport(join(l));
    expect(r2.exitCode).toBe(1);
    expect(r2.findings.map((f) => f.kind).sort()).toEqual(["deleted", "deleted", "modified"]);
  });

  test("unusable input is exit 2 with a message, never a crash", () => {
    const f = files(buildLog(5, [], K), K);
    const cases: Array<[Partial<typeof f>, RegExp]> = [
      [{ key: "" }, /no verifier key/],
      [{ key: K.signer }, /signer \(private\) key/],
      [{ key: "nonsense+key" }, /not a note verifier key/],
      [{ key: OTHER.verifier }, /no checkpoint .* signed by the verifier key/],
      [{ checkpoints: "" }, /no checkpoint/],
      [{ checkpoints: f.checkpoints.slice(0, -20) }, /not JSON|not a signed checkpoint/],
      [{ checkpoints: '{"size":5,"note":"hello"}\n' }, /not a signed checkpoint/],
      [{ events: f.events.slice(0, -10) }, /not JSON/],
      [{ events: "[1,2]\n" }, /not an object|sequence number/],
      [{ events: '{"seq":"0","leafHash":"x"}\n' }, /sequence number/],
      [{ events: "\u0000\u0001garbage" }, /not JSON/],
    ];
    for (const [change, message] of cases) {
      const r = verifyExport({ ...f, ...change });
      expect(r.exitCode).toBe(2);
      expect(r.fatal).toMatch(message);
    }
  });
});
