/**
 * The Merkle tree of RFC 9162 section 2.1 (the same as RFC 6962's): SHA-256,
 * leaves hashed with a 0x00 prefix and nodes with 0x01, a tree of n leaves
 * split at the largest power of two below n. Proofs (2.1.3, 2.1.4) are made
 * from a `HashSource` that knows the hash of every complete, aligned subtree
 * (what the component's tiles store, see tiles.ts), and checked by the RFC's
 * own verification algorithms, so a verifier needs nothing of this package.
 *
 * Pure and synchronous (@noble/hashes): the component, the browser viewer and
 * the CLI run the same code.
 */
import { sha256 } from "@noble/hashes/sha2";

export type Hash = Uint8Array;
export const HASH_BYTES = 32;

const LEAF = Uint8Array.of(0);
const NODE = Uint8Array.of(1);

export function leafHash(data: Uint8Array): Hash {
  return sha256.create().update(LEAF).update(data).digest();
}

export function nodeHash(left: Hash, right: Hash): Hash {
  return sha256.create().update(NODE).update(left).update(right).digest();
}

/** The hash of the empty tree: SHA-256 of nothing. */
export const EMPTY_ROOT: Hash = sha256(new Uint8Array(0));

/** The largest power of two strictly below n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const isPow2 = (n: number) => n > 0 && Math.pow(2, Math.round(Math.log2(n))) === n;

/**
 * The hash of the complete subtree of 2^level leaves starting at leaf
 * `index · 2^level`. Only asked for subtrees inside the tree.
 */
export type HashSource = (level: number, index: number) => Hash;

/** MTH(D[start:end]) for a range whose start is a multiple of the largest power of two ≤ its length (every range the RFC's recursions visit). */
export function rangeHash(src: HashSource, start: number, end: number): Hash {
  const n = end - start;
  if (isPow2(n) && start % n === 0) return src(Math.round(Math.log2(n)), start / n);
  const k = splitPoint(n);
  return nodeHash(rangeHash(src, start, start + k), rangeHash(src, start + k, end));
}

/** The root of the first n leaves. */
export function treeHash(src: HashSource, n: number): Hash {
  return n === 0 ? EMPTY_ROOT : rangeHash(src, 0, n);
}

/** RFC 9162 2.1.3.1: the inclusion proof of leaf m in the tree of the first n leaves, leaf to root. */
export function inclusionProof(src: HashSource, m: number, n: number): Hash[] {
  if (!(Number.isSafeInteger(m) && Number.isSafeInteger(n) && m >= 0 && m < n)) throw new RangeError(`no leaf ${m} in a tree of ${n}`);
  const out: Hash[] = [];
  const path = (m: number, start: number, end: number) => {
    const n = end - start;
    if (n === 1) return;
    const k = splitPoint(n);
    if (m < k) {
      path(m, start, start + k);
      out.push(rangeHash(src, start + k, end));
    } else {
      path(m - k, start + k, end);
      out.push(rangeHash(src, start, start + k));
    }
  };
  path(m, 0, n);
  return out;
}

/** RFC 9162 2.1.4.1: the consistency proof between the trees of the first m and the first n leaves (0 < m ≤ n). */
export function consistencyProof(src: HashSource, m: number, n: number): Hash[] {
  if (!(Number.isSafeInteger(m) && Number.isSafeInteger(n) && m > 0 && m <= n)) throw new RangeError(`no consistency proof from ${m} to ${n}`);
  const out: Hash[] = [];
  const sub = (m: number, start: number, end: number, whole: boolean) => {
    const n = end - start;
    if (m === n) {
      if (!whole) out.push(rangeHash(src, start, end));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      sub(m, start, start + k, whole);
      out.push(rangeHash(src, start + k, end));
    } else {
      sub(m - k, start + k, end, false);
      out.push(rangeHash(src, start, start + k));
    }
  };
  sub(m, 0, n, true);
  return out;
}

export function sameHash(a: Hash, b: Hash): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

const odd = (x: number) => x % 2 === 1;
const half = (x: number) => Math.floor(x / 2);
const wellFormed = (proof: readonly Hash[]) => proof.every((h) => h instanceof Uint8Array && h.length === HASH_BYTES);

/** RFC 9162 2.1.3.2: whether `proof` shows leaf `hash` at `index` in the tree of `size` leaves with this root. */
export function verifyInclusion(hash: Hash, index: number, size: number, proof: readonly Hash[], root: Hash): boolean {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size) || !wellFormed(proof)) return false;
  let fn = index;
  let sn = size - 1;
  let r = hash;
  for (const p of proof) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!odd(fn)) {
        while (!(odd(fn) || fn === 0)) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && sameHash(r, root);
}

/** RFC 9162 2.1.4.2: whether `proof` shows the tree of `size1` leaves is a prefix of the tree of `size2`. */
export function verifyConsistency(size1: number, size2: number, root1: Hash, root2: Hash, proof: readonly Hash[]): boolean {
  if (!(Number.isSafeInteger(size1) && Number.isSafeInteger(size2) && size1 > 0 && size1 <= size2) || !wellFormed(proof)) return false;
  if (size1 === size2) return proof.length === 0 && sameHash(root1, root2);
  if (proof.length === 0) return false;
  const path = isPow2(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn)) {
        while (!(odd(fn) || fn === 0)) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sameHash(fr, root1) && sameHash(sr, root2) && sn === 0;
}

/**
 * Roots of a growing list of leaves, one pass: the right edge as a stack of
 * complete subtrees (a "compact range"), so the root at every size a
 * verifier asks for costs O(log n) on top of the leaves it has added.
 */
export class RootBuilder {
  private stack: { level: number; hash: Hash }[] = [];
  size = 0;

  /** Resumes from a stored right edge (`edge()`), which determines the size. */
  static from(edge: { level: number; hash: Hash }[]): RootBuilder {
    const b = new RootBuilder();
    b.stack = edge.map((e) => ({ level: e.level, hash: e.hash }));
    b.size = edge.reduce((n, e) => n + 2 ** e.level, 0);
    return b;
  }

  /** The complete subtrees of the right edge, largest first: what `from` resumes from. */
  edge(): { level: number; hash: Hash }[] {
    return this.stack.map((e) => ({ level: e.level, hash: e.hash }));
  }

  push(leaf: Hash): void {
    let node = { level: 0, hash: leaf };
    while (this.stack.length > 0 && this.stack[this.stack.length - 1].level === node.level) {
      const left = this.stack.pop()!;
      node = { level: node.level + 1, hash: nodeHash(left.hash, node.hash) };
    }
    this.stack.push(node);
    this.size++;
  }

  root(): Hash {
    if (this.stack.length === 0) return EMPTY_ROOT;
    let r = this.stack[this.stack.length - 1].hash;
    for (let i = this.stack.length - 2; i >= 0; i--) r = nodeHash(this.stack[i].hash, r);
    return r;
  }
}

// ---- base64 (standard, padded), as checkpoints and exports write hashes -------------

export function toB64(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
  return btoa(bin);
}

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict standard base64 (canonical padding), or null. */
export function fromB64(s: unknown): Uint8Array | null {
  if (typeof s !== "string" || !B64.test(s)) return null;
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  // Non-canonical trailing bits decode the same; re-encoding tells them apart.
  return toB64(out) === s ? out : null;
}

/** A 32-byte hash from base64, or null. */
export function hashFromB64(s: unknown): Hash | null {
  const h = fromB64(s);
  return h !== null && h.length === HASH_BYTES ? h : null;
}
