/**
 * The tree's storage, in the C2SP tlog-tiles layout: tile (L, N) holds the
 * hashes at tree level 8L of nodes 256N … 256N+255, so level-0 tiles hold
 * leaf hashes and a level-L tile's entry is the root of a complete subtree
 * of 256^L leaves. A partial tile (the right edge of its level) is one
 * document rewritten as it grows, where C2SP serves `.p/W` files; hashes at
 * the levels in between are recomputed from the tile below them.
 *
 * Appending a batch rewrites at most the last tile of each level it reaches
 * plus the tiles it fills; a proof reads about two tiles per level (the one
 * holding the leaf's path and the partial one at the right edge): five at
 * 100,000 events, seven at 16 million.
 */
import type { Doc } from "./_generated/dataModel.js";
import type { MutationCtx, QueryCtx } from "./_generated/server.js";
import { INTEGRITY_LIMITS } from "../shared/integrity.js";
import { HASH_BYTES, nodeHash, type Hash, type HashSource } from "../shared/merkle.js";

const H = INTEGRITY_LIMITS.tileHeight;
const W = INTEGRITY_LIMITS.tileWidth;

type TileDoc = Doc<"sealTiles">;
const key = (level: number, index: number) => `${level}/${index}`;

/** The root of 2^r consecutive hashes of one level, by pairs. */
function reduce(hashes: Hash[]): Hash {
  let row = hashes;
  while (row.length > 1) {
    const next: Hash[] = [];
    for (let i = 0; i < row.length; i += 2) next.push(nodeHash(row[i], row[i + 1]));
    row = next;
  }
  return row[0];
}

function hashesOf(bytes: ArrayBuffer | Uint8Array, from: number, count: number): Hash[] {
  const all = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const out: Hash[] = [];
  for (let i = from; i < from + count; i++) out.push(all.slice(i * HASH_BYTES, (i + 1) * HASH_BYTES));
  return out;
}

/** Which tile holds the hashes a level/index subtree is computed from, and where in it. */
function locate(level: number, index: number) {
  const L = Math.floor(level / H);
  const r = level % H;
  const first = index * 2 ** r;
  return { L, N: Math.floor(first / W), offset: first % W, count: 2 ** r };
}

/**
 * Reads tiles for one call: each tile once. Proof code is synchronous, so a
 * computation runs twice: first with `plan` (which records the tiles it
 * would touch and answers with placeholders, since which subtrees a proof
 * needs depends on sizes only), then, once they are loaded, with `source`.
 */
export class TileReader {
  private tiles = new Map<string, Uint8Array>();
  private memo = new Map<string, Hash>();
  tilesRead = 0;

  constructor(private readonly ctx: QueryCtx) {}

  async run<T>(compute: (src: HashSource) => T): Promise<T> {
    const wanted = new Set<string>();
    const plan: HashSource = (level, index) => {
      const { L, N } = locate(level, index);
      wanted.add(key(L, N));
      return new Uint8Array(HASH_BYTES);
    };
    compute(plan);
    for (const k of wanted) {
      if (this.tiles.has(k)) continue;
      const [L, N] = k.split("/").map(Number);
      await this.load(L, N);
    }
    return compute(this.source);
  }

  async load(level: number, index: number): Promise<Uint8Array | null> {
    const k = key(level, index);
    const have = this.tiles.get(k);
    if (have !== undefined) return have;
    const doc = await this.ctx.db
      .query("sealTiles")
      .withIndex("by_tile", (q) => q.eq("level", level).eq("index", index))
      .unique();
    this.tilesRead++;
    if (doc === null) return null;
    const bytes = new Uint8Array(doc.hashes);
    this.tiles.set(k, bytes);
    return bytes;
  }

  /** Leaf hashes `from` … `from + count - 1`, all in one level-0 tile. */
  async leaves(from: number, count: number): Promise<Hash[]> {
    const bytes = await this.load(0, Math.floor(from / W));
    const offset = from % W;
    if (bytes === null || bytes.length < (offset + count) * HASH_BYTES) throw new Error(`tile 0/${Math.floor(from / W)} is missing leaves`);
    return hashesOf(bytes, offset, count);
  }

  readonly source: HashSource = (level, index) => {
    const k = key(level, index);
    const have = this.memo.get(k);
    if (have !== undefined) return have;
    const { L, N, offset, count } = locate(level, index);
    const bytes = this.tiles.get(key(L, N));
    // A tile shorter than the tree says: the store was altered, or a proof was asked beyond the tree.
    if (bytes === undefined || bytes.length < (offset + count) * HASH_BYTES) throw new Error(`tile ${L}/${N} does not hold node ${level}/${index}`);
    const h = reduce(hashesOf(bytes, offset, count));
    this.memo.set(k, h);
    return h;
  }
}

/**
 * Appends leaf hashes to the tree of `size` leaves: fills the last tile of
 * level 0 and the tiles after it, and carries each tile it completes (its
 * root) up a level. Returns the documents it wrote.
 */
export async function appendLeaves(ctx: MutationCtx, size: number, leaves: Hash[]): Promise<number> {
  let written = 0;
  let add = leaves;
  let pos = size;
  for (let level = 0; add.length > 0; level++) {
    const completed: Hash[] = [];
    let i = 0;
    while (i < add.length) {
      const at = pos + i;
      const N = Math.floor(at / W);
      const offset = at % W;
      const take = Math.min(W - offset, add.length - i);
      let doc: TileDoc | null = null;
      let old = new Uint8Array(0);
      if (offset > 0) {
        doc = await ctx.db
          .query("sealTiles")
          .withIndex("by_tile", (q) => q.eq("level", level).eq("index", N))
          .unique();
        if (doc === null || doc.hashes.byteLength !== offset * HASH_BYTES) throw new Error(`tile ${level}/${N} does not end at ${offset}`);
        old = new Uint8Array(doc.hashes);
      }
      const bytes = new Uint8Array((offset + take) * HASH_BYTES);
      bytes.set(old, 0);
      for (let j = 0; j < take; j++) bytes.set(add[i + j], (offset + j) * HASH_BYTES);
      if (doc === null) await ctx.db.insert("sealTiles", { level, index: N, hashes: bytes.buffer });
      else await ctx.db.patch(doc._id, { hashes: bytes.buffer });
      written++;
      if (offset + take === W) completed.push(reduce(hashesOf(bytes, 0, W)));
      i += take;
    }
    add = completed;
    pos = Math.floor(pos / W);
  }
  return written;
}
