/**
 * The tree, its proofs and their verification against a naive reference:
 * RFC 9162's definitions (MTH, PATH, SUBPROOF) written out over an array of
 * leaves, for every tree size up to 1,000.
 */
import { sha256 } from "@noble/hashes/sha2";
import { describe, expect, test } from "vitest";
import {
  consistencyProof,
  EMPTY_ROOT,
  inclusionProof,
  leafHash,
  nodeHash,
  RootBuilder,
  treeHash,
  verifyConsistency,
  verifyInclusion,
  type Hash,
  type HashSource,
} from "./merkle.js";

const MAX = 1000;
const leaves: Hash[] = Array.from({ length: MAX }, (_, i) => leafHash(new TextEncoder().encode(`event ${i}`)));

// RFC 9162 2.1.1, 2.1.3.1, 2.1.4.1 as written, over D[a:b] (MTH memoised by range, so every size up to 1,000 stays quick).
const mthMemo = new Map<string, Hash>();
function mthR(a: number, b: number): Hash {
  if (b - a === 0) return sha256(new Uint8Array(0));
  if (b - a === 1) return leaves[a];
  const key = `${a}:${b}`;
  let h = mthMemo.get(key);
  if (h === undefined) {
    let k = 1;
    while (k * 2 < b - a) k *= 2;
    h = nodeHash(mthR(a, a + k), mthR(a + k, b));
    mthMemo.set(key, h);
  }
  return h;
}
const mth = (d: { a: number; b: number }) => mthR(d.a, d.b);
type D = { a: number; b: number };
const len = (d: D) => d.b - d.a;
const split = (d: D) => {
  let k = 1;
  while (k * 2 < len(d)) k *= 2;
  return k;
};
function path(m: number, d: D): Hash[] {
  if (len(d) === 1) return [];
  const k = split(d);
  const l = { a: d.a, b: d.a + k };
  const r = { a: d.a + k, b: d.b };
  return m < k ? [...path(m, l), mth(r)] : [...path(m - k, r), mth(l)];
}
function subproof(m: number, d: D, b: boolean): Hash[] {
  if (m === len(d)) return b ? [] : [mth(d)];
  const k = split(d);
  const l = { a: d.a, b: d.a + k };
  const r = { a: d.a + k, b: d.b };
  return m <= k ? [...subproof(m, l, b), mth(r)] : [...subproof(m - k, r, false), mth(l)];
}

/** Complete aligned subtrees of the leaves, as the tiles serve them. */
const memo = new Map<string, Hash>();
const source: HashSource = (level, index) => {
  const key = `${level}/${index}`;
  let h = memo.get(key);
  if (h === undefined) {
    h = level === 0 ? leaves[index] : nodeHash(source(level - 1, 2 * index), source(level - 1, 2 * index + 1));
    memo.set(key, h);
  }
  return h;
};

const hex = (hs: Hash[]) => hs.map((h) => Buffer.from(h).toString("hex"));
const flip = (h: Hash) => {
  const c = Uint8Array.from(h);
  c[0] ^= 1;
  return c;
};

describe("against RFC 9162's definitions", () => {
  test("the empty tree", () => {
    expect(Buffer.from(EMPTY_ROOT).toString("hex")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(treeHash(source, 0)).toEqual(EMPTY_ROOT);
  });

  test(`roots, and the root built leaf by leaf, for every size up to ${MAX}`, () => {
    const b = new RootBuilder();
    for (let n = 1; n <= MAX; n++) {
      b.push(leaves[n - 1]);
      const want = mth({ a: 0, b: n });
      expect(hex([treeHash(source, n)])).toEqual(hex([want]));
      expect(hex([b.root()])).toEqual(hex([want]));
    }
  });

  test(`inclusion proofs: made as the RFC defines them, accepted, and a changed one refused, for every size up to ${MAX}`, () => {
    for (let n = 1; n <= MAX; n++) {
      const d = { a: 0, b: n };
      const root = mth(d);
      const ms = n <= 64 ? [...Array(n).keys()] : [0, 1, n - 1, n - 2, Math.floor(n / 2), (n * 7919) % n, 255 % n, 256 % n];
      for (const m of ms) {
        const proof = inclusionProof(source, m, n);
        expect(hex(proof)).toEqual(hex(path(m, d)));
        expect(verifyInclusion(leaves[m], m, n, proof, root)).toBe(true);
        expect(verifyInclusion(flip(leaves[m]), m, n, proof, root)).toBe(false);
        if (n > 1) {
          expect(verifyInclusion(leaves[m], (m + 1) % n, n, proof, root)).toBe(false);
          expect(verifyInclusion(leaves[m], m, n, proof.slice(0, -1), root)).toBe(false);
          expect(verifyInclusion(leaves[m], m, n, [...proof, root], root)).toBe(false);
          const i = (m * 31) % proof.length;
          expect(verifyInclusion(leaves[m], m, n, proof.map((p, j) => (j === i ? flip(p) : p)), root)).toBe(false);
        }
      }
      expect(() => inclusionProof(source, n, n)).toThrow(RangeError);
    }
  });

  test(`consistency proofs: made as the RFC defines them, accepted, and a changed one refused, for every size up to ${MAX}`, () => {
    const roots = [EMPTY_ROOT];
    const b = new RootBuilder();
    for (const l of leaves) {
      b.push(l);
      roots.push(b.root());
    }
    for (let n = 1; n <= MAX; n++) {
      const d = { a: 0, b: n };
      const ms = n <= 48 ? [...Array(n).keys()].map((i) => i + 1) : [1, 2, n - 1, n, Math.floor(n / 2), 128, 256, 512].filter((m) => m >= 1 && m <= n);
      for (const m of ms) {
        const proof = consistencyProof(source, m, n);
        expect(hex(proof)).toEqual(hex(m === n ? [] : subproof(m, d, true)));
        expect(verifyConsistency(m, n, roots[m], roots[n], proof)).toBe(true);
        if (m < n) {
          expect(verifyConsistency(m, n, flip(roots[m]), roots[n], proof)).toBe(false);
          expect(verifyConsistency(m, n, roots[m], flip(roots[n]), proof)).toBe(false);
          expect(verifyConsistency(m, n, roots[m], roots[n], proof.slice(1))).toBe(false);
          expect(verifyConsistency(m, n, roots[m], roots[n], [...proof, roots[n]])).toBe(false);
          const i = (m * 13) % proof.length;
          expect(verifyConsistency(m, n, roots[m], roots[n], proof.map((p, j) => (j === i ? flip(p) : p)))).toBe(false);
        }
      }
      expect(() => consistencyProof(source, 0, n)).toThrow(RangeError);
      expect(() => consistencyProof(source, n + 1, n)).toThrow(RangeError);
    }
  });

  test("verification refuses sizes and indexes that cannot be", () => {
    const root = mth({ a: 0, b: 10 });
    const proof = inclusionProof(source, 3, 10);
    for (const [m, n] of [[-1, 10], [10, 10], [3, 0], [3.5, 10], [3, Number.MAX_SAFE_INTEGER + 2], [3, NaN]]) {
      expect(verifyInclusion(leaves[3], m, n, proof, root)).toBe(false);
    }
    expect(verifyConsistency(0, 10, EMPTY_ROOT, root, [])).toBe(false);
    expect(verifyConsistency(11, 10, root, root, [])).toBe(false);
    expect(verifyInclusion(leaves[3], 3, 10, [new Uint8Array(31), ...proof.slice(1)], root)).toBe(false);
  });
});
