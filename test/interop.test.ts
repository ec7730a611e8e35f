// @vitest-environment node
/**
 * Interoperability with Go's transparency-log packages
 * (golang.org/x/mod/sumdb/note and sumdb/tlog), which nobody on this project
 * wrote: Go opens our signed checkpoints with our verifier key and refuses
 * forged ones, builds the same roots from our leaves, accepts our inclusion
 * and consistency proofs and makes identical ones, signs with our signer key
 * byte for byte as we do; and we open a note Go signed with a key Go made.
 *
 * Needs Debian's `golang-go` and `golang-golang-x-mod-dev` (.ci/run installs
 * them, through scripts/ensure-go.sh). Without Go the test is skipped with a
 * message saying how to get it; in CI (CI=true) a missing Go fails it.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { consistencyProof, inclusionProof, nodeHash, RootBuilder, toB64, type Hash, type HashSource } from "../src/shared/merkle.js";
import { checkpointText, parseNote, parseVerifierKey, signedBy, signNote, parseSignerKey } from "../src/shared/note.js";
import { buildLog, keys } from "./support/exportModel.js";

const GOPATH = "/usr/share/gocode";
const here = dirname(fileURLToPath(import.meta.url));
const haveGo = spawnSync("go", ["version"]).status === 0 && existsSync(join(GOPATH, "src/golang.org/x/mod/sumdb/tlog/tlog.go"));
const why = "Go or golang.org/x/mod is not installed: `apt-get install golang-go golang-golang-x-mod-dev` (or bash scripts/ensure-go.sh) runs this test";
if (!haveGo) console.warn(`test/interop.test.ts skipped: ${why}`);

describe.skipIf(!haveGo && process.env.CI !== "true")("interoperability with Go's sumdb/note and sumdb/tlog", () => {
  test("Go opens our checkpoints, accepts our proofs and makes the same ones; we open Go's notes", () => {
    expect(haveGo, why).toBe(true);
    const work = mkdtempSync(join(tmpdir(), "audit-log-interop-"));
    const bin = join(work, "interop");
    execFileSync("go", ["build", "-o", bin, join(here, "interop", "interop.go")], {
      env: { ...process.env, GO111MODULE: "off", GOPATH, GOCACHE: join(work, "cache"), GOFLAGS: "" },
      stdio: "pipe",
    });

    const K = keys("interop.example/log");
    const n = 700; // three level-0 tiles and more: proofs cross tile boundaries
    const log = buildLog(n, [], K);
    const leaves = log.events.map((e) => e.leaf);
    const memo = new Map<string, Hash>();
    const src: HashSource = (level, index) => {
      const key = `${level}/${index}`;
      let h = memo.get(key);
      if (h === undefined) {
        h = level === 0 ? leaves[index] : nodeHash(src(level - 1, 2 * index), src(level - 1, 2 * index + 1));
        memo.set(key, h);
      }
      return h;
    };
    const sizes = [1, 2, 3, 7, 8, 255, 256, 257, 300, 511, 512, 513, 699, 700];
    const roots: Record<string, string> = {};
    const b = new RootBuilder();
    for (let i = 0; i < n; i++) {
      b.push(leaves[i]);
      if (sizes.includes(i + 1)) roots[String(i + 1)] = toB64(b.root());
    }
    const signer = parseSignerKey(K.signer)!;
    const notes = sizes.map((size, i) =>
      signNote(checkpointText({ origin: "interop.example/log", size, root: Uint8Array.from(atob(roots[size]), (c) => c.charCodeAt(0)), time: 1_800_000_000_000 + i }), [signer]),
    );
    const other = parseSignerKey(keys("interop.example/log", 9).signer)!;
    const badNotes = [
      notes[3].replace("\n7\n", "\n8\n"),
      signNote(parseNote(notes[3])!.text, [other]),
      notes[3].replace(/\n\u2014 \S+ (\S)/, (m, c: string) => m.slice(0, -1) + (c === "A" ? "B" : "A")),
    ];
    const inclusion = [];
    for (const size of sizes) for (const index of [0, size - 1, Math.floor(size / 2), 255 % size, 256 % size]) {
      inclusion.push({ index, size, proof: inclusionProof(src, index, size).map(toB64) });
    }
    const consistency = [];
    for (const size of sizes) for (const old of sizes) if (old <= size) consistency.push({ old, new: size, proof: consistencyProof(src, old, size).map(toB64) });
    const text = "interop.example/log\n42\n" + toB64(new Uint8Array(32).fill(4)) + "\ntime 1\n";
    const input = { vkey: K.verifier, skey: K.signer, notes, badNotes, leaves: leaves.map(toB64), roots, inclusion, consistency, text };

    const out = JSON.parse(execFileSync(bin, [], { input: JSON.stringify(input) }).toString()) as {
      errors: string[];
      checked: number;
      noteTexts: string[];
      goVkey: string;
      goNote: string;
      goSignedText: string;
    };
    expect(out.errors).toEqual([]);
    expect(out.checked).toBe(notes.length + badNotes.length + sizes.length + inclusion.length + consistency.length);
    expect(out.noteTexts).toEqual(notes.map((x) => parseNote(x)!.text));
    // Go, signing our text with our key, writes exactly the note we write.
    expect(out.goSignedText).toBe(signNote(text, [signer]));
    // A note and key Go made: we parse the key and check the signature; another key does not.
    const goKey = parseVerifierKey(out.goVkey)!;
    expect(goKey).not.toBeNull();
    expect(signedBy(parseNote(out.goNote)!, [goKey])).toHaveLength(1);
    expect(signedBy(parseNote(out.goNote)!, [parseVerifierKey(K.verifier)!])).toHaveLength(0);
  }, 120_000);
});
