/**
 * An accelerator for convex-test's in-memory database, for the repo's own
 * tools (not part of the package): the bench (bench/runtime.ts), the demo's
 * local runtime (example/local/runtime.ts, and through it `npm run demo`,
 * `npm run bench:dashboard` and the browser tests), and
 * test/benchFastIndex.test.ts, which checks it against convex-test.
 *
 * convex-test's `DatabaseFake` answers every index range by walking
 * `Object.keys` of every document of every table, keeping the ones in range
 * and sorting them: each query costs O(documents), and a loop that pages
 * through the log costs O(documents²). At 100,000 events the bench took 15
 * minutes; at 1,000,000 its paging groups would take many hours.
 *
 * This keeps, per (table, index), the table's committed documents sorted in
 * index order, and answers an index range (or a table scan) by binary search
 * in it. Everything else stays convex-test's: the patched methods hand the
 * same document objects, in the same order, to convex-test's own `paginate`,
 * `queryNext` and syscalls, which count `documentsRead`/`bytesRead` from what
 * they hand back. So the figures cannot change; `verify` mode (the tests, and
 * `--verify-index` on the bench) runs the original next to every fast answer
 * and throws on the first difference.
 *
 * The current transaction's own writes to the queried table (a cleanup batch
 * reads on after deleting) are laid over the committed slice: the documents
 * it wrote are skipped and its versions that fall in the range are merged in,
 * as convex-test's `get` would see them.
 *
 * It steps aside, to convex-test's own code, whenever the answer would depend
 * on something it does not model: `.filter()` operators, search indexes,
 * unusual range shapes (convex-test then raises its own error), a table scan
 * over documents with equal `_creationTime` (ordered by insertion there), or
 * a convex-test version other than the one this was checked against. Even
 * then it saves the walk over every other table's documents: convex-test
 * takes `Object.keys` of all documents and keeps one table's; this keeps
 * each table's ids, in the same order.
 *
 * How it finds the database: convex-test keeps it in an AsyncLocalStorage
 * store it does not export; the store is caught as it passes through
 * `AsyncLocalStorage.prototype.run` during one call, and only that runtime's
 * database instances are patched (other runtimes in the process keep the
 * original methods).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { CommitTsPlaceholder, compareValues, jsonToConvex, type Value } from "convex/values";

/** The convex-test version whose DatabaseFake internals this mirrors (checked by test/benchFastIndex.test.ts). */
export const CHECKED_CONVEX_TEST_VERSION = "0.0.60";

type Doc = { _id: string; _creationTime: number; [field: string]: unknown };
type RangeExpr = { type: "Eq" | "Gt" | "Gte" | "Lt" | "Lte"; fieldPath: string; value: unknown };
type Source =
  | { type: "FullTableScan"; tableName: string; order?: "asc" | "desc" | null }
  | { type: "IndexRange"; indexName: string; range: RangeExpr[]; order?: "asc" | "desc" | null }
  | { type: "Search"; indexName: string; order?: "asc" | "desc" | null };
type Query = { source: Source; operators: Array<Record<string, unknown>> };
type Order = "asc" | "desc";
type PaginateArgs = {
  query: Query;
  cursor: string | null;
  endCursor?: string | null;
  pageSize: number;
  maximumRowsRead?: number;
  maximumBytesRead?: number;
};
type PageResult = { page: Doc[]; isDone: boolean; continueCursor: string; splitCursor: string | null; pageStatus: string | null };
type Resolved = {
  sortedDocs: Doc[];
  filterFn: (doc: Doc) => boolean;
  limit: number | null;
  fieldPathsToSortBy: string[];
  order: Order;
};

/** The parts of convex-test's DatabaseFake used here (internal, hence the version check). */
type Fake = {
  _documents: Record<string, Doc>;
  _writes: Array<Record<string, Doc | null>>;
  _schema: { tables: Map<string, { indexes: Array<{ indexDescriptor: string; fields: string[] }> }> } | null;
  get(table: string, id: string): Doc | null;
  commit(commitTs?: bigint | null): void;
  rollbackWrites(): void;
  stashWrites(): unknown;
  restoreWrites(writes: unknown): void;
  paginate(args: PaginateArgs): PageResult;
  _resolveQuerySource(query: Query): Resolved;
  _evaluateQuery(query: Query): Doc[];
  _iterateDocs(table: string, callback: (doc: Doc) => void): void;
  _docIsAfterCursor(doc: Doc, keys: unknown[], fields: string[], order: Order): number;
};

export type FastIndexStats = {
  /** Index ranges and table scans answered from the sorted arrays. */
  served: number;
  /** Of those, answered with the transaction's own pending writes to the table laid over the committed range. */
  withPendingWrites: number;
  /** Answered by convex-test's own code, by reason. */
  fellBack: Record<string, number>;
  /** Sorted arrays built from scratch, and brought up to date by a merge after commits. */
  builds: number;
  merges: number;
  /** Answers compared with the original (verify mode only). */
  verified: number;
};

export type FastIndexOptions = { verify?: boolean };

// ---- mirrors of convex-test's module-private helpers (dist/index.js) ----

const MAX_COMMIT_TS = 2n ** 63n - 1n;

function tableNameFromId(id: string): string | null {
  const match = id.match(/^[0-9]+/);
  if (!match || match[0].length === id.length) return null;
  return id.slice(match[0].length);
}

function isSimpleObject(value: unknown): boolean {
  const isObject = typeof value === "object";
  const prototype = Object.getPrototypeOf(value);
  const isSimple = prototype === null || prototype === Object.prototype || prototype?.constructor?.name === "Object";
  return isObject && isSimple;
}

function hasPendingValues(value: unknown): boolean {
  if (value instanceof CommitTsPlaceholder) return true;
  if (Array.isArray(value)) return value.some(hasPendingValues);
  if (value !== null && value !== undefined && isSimpleObject(value)) return Object.values(value as object).some(hasPendingValues);
  return false;
}

function substituteCommitTs(value: unknown, commitTs: bigint): unknown {
  if (!hasPendingValues(value)) return value;
  if (value instanceof CommitTsPlaceholder) return commitTs;
  if (Array.isArray(value)) return value.map((v) => substituteCommitTs(v, commitTs));
  return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, substituteCommitTs(v, commitTs)]));
}

/** `evaluateFieldPath`, with the path split once per query instead of once per call. */
function fieldValue(parts: string[], doc: Doc): Value | undefined {
  let result: unknown = doc;
  for (const p of parts) {
    result = result !== undefined && result !== null && isSimpleObject(result) ? (result as Record<string, unknown>)[p] : undefined;
  }
  return result === undefined ? undefined : (substituteCommitTs(result, MAX_COMMIT_TS) as Value);
}

/** `evaluateQueryValue`. */
function queryValue(value: unknown): Value | undefined {
  const v = typeof value === "object" && value !== null && "$undefined" in value ? undefined : jsonToConvex(value as never);
  return v === undefined ? undefined : (substituteCommitTs(v, MAX_COMMIT_TS) as Value);
}

/** `validateIndexRangeExpression` as a predicate: a range it would reject goes to convex-test, which throws. */
function validRange(range: RangeExpr[], fields: string[]): boolean {
  let fieldIndex = 0;
  let state: "eq" | "gt" | "lt" | "done" = "eq";
  for (const filter of range) {
    if (state === "done") return false;
    const kind = filter.type === "Gt" || filter.type === "Gte" ? "gt" : filter.type === "Lt" || filter.type === "Lte" ? "lt" : "eq";
    if (filter.type !== "Eq" && kind === "eq") return false;
    if (state === "eq") {
      if (filter.fieldPath !== fields[fieldIndex]) return false;
      fieldIndex += 1;
      state = kind;
    } else if ((state === "lt" && kind === "gt") || (state === "gt" && kind === "lt")) {
      if (!(fieldIndex > 0 && filter.fieldPath === fields[fieldIndex - 1])) return false;
      state = "done";
    } else {
      return false;
    }
  }
  return true;
}

/**
 * `compareValues`, with shortcuts where its answer is plain: two numbers
 * that are neither NaN nor zero (it orders -0 before 0 and NaNs by bits),
 * and two strings whose first differing UTF-16 unit is below the surrogates
 * (it orders strings by UTF-8 bytes, which is code point order). Only the
 * sign of the result is used.
 */
function compareKeys(a: Value | undefined, b: Value | undefined): number {
  if (typeof a === "number" && typeof b === "number" && a !== 0 && b !== 0 && a === a && b === b) {
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === "string" && typeof b === "string") {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const x = a.charCodeAt(i);
      const y = b.charCodeAt(i);
      if (x !== y) return x < 0xd800 && y < 0xd800 ? x - y : compareValues(a, b);
    }
    return a.length - b.length;
  }
  return compareValues(a, b);
}

/**
 * Sorted as convex-test's comparator over `fields` would sort them, with
 * each document's key read once rather than once per comparison.
 */
function sortByIndex(docs: Doc[], fields: string[]): Doc[] {
  const paths = fields.map((f) => f.split("."));
  const keyed = docs.map((d) => ({ d, k: paths.map((p) => fieldValue(p, d)) }));
  keyed.sort((a, b) => {
    for (let i = 0; i < a.k.length; i++) {
      const v = compareKeys(a.k[i], b.k[i]);
      if (v !== 0) return v;
    }
    return 0;
  });
  return keyed.map((x) => x.d);
}

function comparator(fields: string[]) {
  const paths = fields.map((f) => f.split("."));
  return (a: Doc, b: Doc): number => {
    for (const p of paths) {
      const v = compareKeys(fieldValue(p, a), fieldValue(p, b));
      if (v !== 0) return v;
    }
    return 0;
  };
}

// ---- the cache ----

type IndexCache = {
  fields: string[];
  compare: (a: Doc, b: Doc) => number;
  /** Committed documents of the table in ascending index order. */
  docs: Doc[];
  /** Ids written by commits since `docs` was last brought up to date. */
  dirty: Set<string>;
  /** by_creation_time only: no two documents share a _creationTime (a table scan's order is then this one). */
  distinctCreationTimes: boolean;
};
type TableCache = { byId: Map<string, Doc>; indexes: Map<string, IndexCache> };

type Range = {
  docs: Doc[];
  lo: number;
  hi: number;
  order: Order;
  sortFields: string[];
  limit: number | null;
  compare: (a: Doc, b: Doc) => number;
  /**
   * The current transaction's writes to the table: committed documents it
   * wrote are skipped, and its versions that fall in the range (ascending)
   * are merged in, as convex-test's `get` would see them.
   */
  pending: { ids: Set<string>; docs: Doc[] } | null;
};

function convexTestVersion(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const main = require.resolve("convex-test");
    const pkg = main.slice(0, main.lastIndexOf("/dist/")) + "/package.json";
    return (JSON.parse(readFileSync(pkg, "utf8")) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** The databases (one per component) of the convex-test runtime `t`. */
function databasesOf(t: { finishInProgressScheduledFunctions: () => Promise<unknown> }): Fake[] {
  const proto = AsyncLocalStorage.prototype as unknown as { run: (...args: unknown[]) => unknown };
  const run = proto.run;
  let store: { components?: Record<string, { db?: Fake }>; transactionManager?: unknown } | undefined;
  proto.run = function (this: unknown, ...args: unknown[]) {
    const s = args[0] as typeof store;
    if (s && typeof s === "object" && "components" in s && "transactionManager" in s) store = s;
    return run.apply(this, args);
  };
  let pending: Promise<unknown>;
  try {
    // Any method of `t` enters its store synchronously; this one does nothing else.
    pending = t.finishInProgressScheduledFunctions();
  } finally {
    proto.run = run;
  }
  void pending.catch(() => undefined);
  return Object.values(store?.components ?? {})
    .map((c) => c.db)
    .filter((db): db is Fake => !!db && typeof db._resolveQuerySource === "function");
}

/**
 * Patches the databases of convex-test runtime `t`. Returns the counters, or
 * null when this convex-test is not the version the patch mirrors (the
 * caller then runs on convex-test's own code, only slower).
 */
export function accelerate(
  t: { finishInProgressScheduledFunctions: () => Promise<unknown> },
  options: FastIndexOptions = {},
): FastIndexStats | null {
  const version = convexTestVersion();
  if (version !== CHECKED_CONVEX_TEST_VERSION) {
    console.warn(`fast index: convex-test ${version ?? "(unknown version)"} is not ${CHECKED_CONVEX_TEST_VERSION}; running on its own code`);
    return null;
  }
  const dbs = databasesOf(t);
  if (dbs.length === 0) {
    console.warn("fast index: could not find convex-test's databases; running on its own code");
    return null;
  }
  const stats: FastIndexStats = { served: 0, withPendingWrites: 0, fellBack: {}, builds: 0, merges: 0, verified: 0 };
  for (const db of dbs) patch(db, stats, options.verify ?? false);
  return stats;
}

/**
 * What the overrides of one database share. Each override below is a
 * function of this state alone, so it can be read without the others.
 */
type Patch = {
  stats: FastIndexStats;
  verify: boolean;
  /** convex-test's own methods: for fallbacks, for verify mode's reference answers, and for the calls that are only wrapped. */
  original: Pick<
    Fake,
    "commit" | "rollbackWrites" | "stashWrites" | "restoreWrites" | "paginate" | "_resolveQuerySource" | "_evaluateQuery" | "_iterateDocs"
  >;
  /** Per table, its documents by id and its sorted indexes; null until first used (see `allTables`). */
  tables: Map<string, TableCache> | null;
  /** Set by `paginate` for the `_resolveQuerySource` call it makes. */
  hint: { query: Query; resolved: Resolved } | null;
  /**
   * Ids of queries answered with lazy rows. convex-test keeps every query's
   * results for good; a loop that stops early (each cleanup batch's ranges)
   * would keep its whole sorted array alive, one per commit, gigabytes at a
   * million events. Queries do not outlive their transaction, so they are
   * dropped when the outermost transaction ends.
   */
  openQueries: number[];
  /**
   * Stashed write sets: a mutation's snapshot query runs with the
   * mutation's writes stashed, and its end is not the outer transaction's.
   */
  stashed: number;
  /** While set (verify mode's reference runs), every patched method is the original. */
  bypass: boolean;
};

function patch(db: Fake, stats: FastIndexStats, verify: boolean) {
  const p: Patch = {
    stats,
    verify,
    original: {
      commit: db.commit,
      rollbackWrites: db.rollbackWrites,
      stashWrites: db.stashWrites,
      restoreWrites: db.restoreWrites,
      paginate: db.paginate,
      _resolveQuerySource: db._resolveQuerySource,
      _evaluateQuery: db._evaluateQuery,
      _iterateDocs: db._iterateDocs,
    },
    tables: null,
    hint: null,
    openQueries: [],
    stashed: 0,
    bypass: false,
  };
  db._resolveQuerySource = patchedResolveQuerySource(p);
  db._evaluateQuery = patchedEvaluateQuery(p);
  db.paginate = patchedPaginate(p);
  db._iterateDocs = patchedIterateDocs(p);
  db.stashWrites = patchedStashWrites(p);
  db.restoreWrites = patchedRestoreWrites(p);
  db.rollbackWrites = patchedRollbackWrites(p);
  db.commit = patchedCommit(p);
}

// ---- the overrides, one per convex-test method ----

function patchedResolveQuerySource(p: Patch) {
  return function (this: Fake, query: Query): Resolved {
    if (p.bypass) return p.original._resolveQuerySource.call(this, query);
    if (p.hint !== null && p.hint.query === query) {
      const h = p.hint.resolved;
      p.hint = null;
      return h;
    }
    const r = resolve(p, this, query);
    if (typeof r === "string") return p.original._resolveQuerySource.call(this, query);
    const out = resolved(r, take(r));
    if (p.verify) {
      const o = reference(p, () => p.original._resolveQuerySource.call(this, query));
      if (!sameDocs(o.sortedDocs, out.sortedDocs) || o.order !== out.order || o.limit !== out.limit ||
        JSON.stringify(o.fieldPathsToSortBy) !== JSON.stringify(out.fieldPathsToSortBy)) mismatch("source", query);
      p.stats.verified += 1;
    }
    return out;
  };
}

// What `startQuery` evaluates for `for await`, `.take()`, `.first()` and
// `.collect()`: with no filter, the first `limit` documents of the range.
// convex-test evaluates them all up front and `queryNext` shifts them off
// one by one; a loop that stops early (a cleanup batch, a search page)
// would still copy its whole range, so they are produced as `queryNext`
// asks (its only other question is whether `length` is 0).
function patchedEvaluateQuery(p: Patch) {
  return function (this: Fake, query: Query): Doc[] {
    if (p.bypass) return p.original._evaluateQuery.call(this, query);
    const r = resolve(p, this, query);
    if (typeof r === "string") return p.original._evaluateQuery.call(this, query);
    const limit = r.limit;
    const max = limit === null ? Infinity : Number.isInteger(limit) && limit >= 0 ? limit : undefined;
    if (!p.verify && max !== undefined) {
      p.openQueries.push((this as unknown as { _nextQueryId: number })._nextQueryId); // the id startQuery is about to give it
      return lazyRows(rows(r), max);
    }
    const out = max === undefined ? take(r).slice(0, limit!) : take(r, max);
    if (p.verify) {
      if (!sameDocs(reference(p, () => p.original._evaluateQuery.call(this, query)), out)) mismatch("query", query);
      p.stats.verified += 1;
    }
    return out;
  };
}

// convex-test's `paginate` walks the range from its start to the cursor:
// hand it the range from the cursor on (found by binary search with its own
// comparison), and with no end cursor only one document past a full page,
// which is all it looks at (the extra one tells it whether the page is the
// last). Its loop then counts and returns exactly what it would have.
function patchedPaginate(p: Patch) {
  return function (this: Fake, args: PaginateArgs): PageResult {
    if (p.bypass) return p.original.paginate.call(this, args);
    const r = resolve(p, this, args.query);
    if (typeof r === "string") return p.original.paginate.call(this, args);
    let sortedDocs: Doc[];
    try {
      const { cursor, endCursor, pageSize } = args;
      const count = !endCursor && Number.isInteger(pageSize) && pageSize >= 1 ? pageSize + 1 : Infinity;
      if (cursor === null) sortedDocs = take(r, count);
      else if (cursor === "_end_cursor") sortedDocs = [];
      else if (typeof cursor === "string" && cursor.length > 0) {
        const keys = (JSON.parse(cursor) as Array<string | null>).map((k) => (k === null ? undefined : jsonToConvex(JSON.parse(k))));
        const cursorFields = r.sortFields.includes("_id") ? r.sortFields : [...r.sortFields, "_id"];
        sortedDocs = take(r, count, (doc) => this._docIsAfterCursor(doc, keys, cursorFields, r.order) > 0);
      } else {
        fallBack(p, "cursorShape");
        return p.original.paginate.call(this, args);
      }
    } catch {
      fallBack(p, "cursorParse");
      return p.original.paginate.call(this, args); // raises convex-test's own error, if any
    }
    p.hint = { query: args.query, resolved: resolved(r, sortedDocs) };
    let out: PageResult;
    try {
      out = p.original.paginate.call(this, args);
    } finally {
      p.hint = null;
    }
    if (p.verify) {
      const o = reference(p, () => p.original.paginate.call(this, args));
      if (!sameDocs(o.page, out.page) || o.isDone !== out.isDone || o.continueCursor !== out.continueCursor ||
        o.splitCursor !== out.splitCursor || o.pageStatus !== out.pageStatus) mismatch("page", args.query);
      p.stats.verified += 1;
    }
    return out;
  };
}

// The fallbacks' table walk: the table's own ids (same order as
// Object.keys over all documents, filtered) instead of every document's.
function patchedIterateDocs(p: Patch) {
  return function (this: Fake, table: string, callback: (doc: Doc) => void): void {
    if (p.bypass) return p.original._iterateDocs.call(this, table, callback);
    const tc = allTables(p, this).get(table);
    const ids = new Set<string>(tc ? tc.byId.keys() : []);
    for (const level of this._writes) {
      for (const id of Object.keys(level)) if (tableNameFromId(id) === table) ids.add(id);
    }
    const docs: Doc[] = [];
    for (const id of ids) {
      const doc = this.get(table, id);
      if (doc !== null) docs.push(doc);
    }
    if (p.verify) {
      const o: Doc[] = [];
      p.original._iterateDocs.call(this, table, (d) => o.push(d));
      if (!sameDocs(o, docs)) throw new Error(`fast index: table walk of ${table} differs from convex-test's`);
      p.stats.verified += 1;
    }
    for (const doc of docs) callback(doc);
  };
}

function patchedStashWrites(p: Patch) {
  return function (this: Fake): unknown {
    p.stashed += 1;
    return p.original.stashWrites.call(this);
  };
}

function patchedRestoreWrites(p: Patch) {
  return function (this: Fake, writes: unknown): void {
    p.stashed -= 1;
    p.original.restoreWrites.call(this, writes);
  };
}

function patchedRollbackWrites(p: Patch) {
  return function (this: Fake): void {
    p.original.rollbackWrites.call(this);
    if (this._writes.length === 0) dropQueries(p, this);
  };
}

function patchedCommit(p: Patch) {
  return function (this: Fake, commitTs?: bigint | null): void {
    const outermost = this._writes.length === 1;
    const writes = this._writes[this._writes.length - 1];
    p.original.commit.call(this, commitTs);
    if (outermost) dropQueries(p, this);
    if (!outermost || p.tables === null || writes === undefined) return;
    for (const id of Object.keys(writes)) {
      const name = tableNameFromId(id);
      if (name === null) continue;
      const tc = tableOf(p, name);
      const doc = this._documents[id];
      if (doc === undefined) tc.byId.delete(id);
      else tc.byId.set(id, doc);
      for (const ic of tc.indexes.values()) ic.dirty.add(id);
    }
  };
}

// ---- what the overrides share ----

function dropQueries(p: Patch, self: Fake) {
  if (p.stashed > 0) return;
  const results = (self as unknown as { _queryResults: Record<number, unknown> })._queryResults;
  for (const id of p.openQueries) delete results[id];
  p.openQueries = [];
}

function reference<T>(p: Patch, fn: () => T): T {
  p.bypass = true;
  try {
    return fn();
  } finally {
    p.bypass = false;
  }
}

function fallBack(p: Patch, reason: string) {
  p.stats.fellBack[reason] = (p.stats.fellBack[reason] ?? 0) + 1;
  return reason;
}

// Built on first use from one pass over the committed documents (in
// Object.keys order, which is the order convex-test iterates a table in),
// then kept current by `commit`.
function allTables(p: Patch, self: Fake): Map<string, TableCache> {
  if (p.tables === null) {
    p.tables = new Map();
    for (const id of Object.keys(self._documents)) {
      const name = tableNameFromId(id);
      if (name !== null) tableOf(p, name).byId.set(id, self._documents[id]);
    }
  }
  return p.tables;
}

function tableOf(p: Patch, name: string): TableCache {
  let tc = p.tables!.get(name);
  if (!tc) p.tables!.set(name, (tc = { byId: new Map(), indexes: new Map() }));
  return tc;
}

function indexOf(p: Patch, tc: TableCache, key: string, fields: string[]): IndexCache {
  let ic = tc.indexes.get(key);
  if (!ic) {
    const compare = comparator(fields);
    ic = { fields, compare, docs: sortByIndex([...tc.byId.values()], fields), dirty: new Set(), distinctCreationTimes: false };
    tc.indexes.set(key, ic);
    p.stats.builds += 1;
    checkCreationTimes(ic, key);
  } else if (ic.dirty.size > 0) {
    // Linear in the table plus the written documents' sort, which is
    // never more than a rebuild (a cleanup's deletes add nothing to sort).
    const dirty = ic.dirty;
    const kept = ic.docs.filter((d) => !dirty.has(d._id));
    const added: Doc[] = [];
    for (const id of dirty) {
      const doc = tc.byId.get(id);
      if (doc !== undefined) added.push(doc);
    }
    ic.docs = merge(kept, sortByIndex(added, ic.fields), ic.compare);
    p.stats.merges += 1;
    ic.dirty = new Set();
    checkCreationTimes(ic, key);
  }
  return ic;
}

function checkCreationTimes(ic: IndexCache, key: string) {
  if (key !== "by_creation_time") return;
  ic.distinctCreationTimes = ic.docs.every((d, i) => i === 0 || ic.docs[i - 1]._creationTime !== d._creationTime);
}

function pendingIds(self: Fake, table: string): Set<string> {
  const ids = new Set<string>();
  for (const level of self._writes) for (const id in level) if (tableNameFromId(id) === table) ids.add(id);
  return ids;
}

/** The query as a slice [lo, hi) of a sorted array, or why it cannot be one. */
function resolve(p: Patch, self: Fake, query: Query): Range | string {
  const source = query.source;
  if (query.operators.some((op) => !("limit" in op))) return fallBack(p, "filter");
  const limitOp = query.operators.filter((op) => "limit" in op)[0] as { limit: number } | undefined;
  const limit = limitOp?.limit ?? null;
  const order: Order = source.order ?? "asc";
  let table: string;
  let key: string;
  let fields: string[];
  let sortFields: string[];
  let range: RangeExpr[] = [];
  if (source.type === "IndexRange") {
    const [tableName, indexName] = source.indexName.split(".");
    table = tableName;
    key = indexName;
    if (indexName === "by_creation_time") fields = ["_creationTime", "_id"];
    else if (indexName === "by_id") fields = ["_id"];
    else {
      const index = self._schema?.tables.get(tableName)?.indexes.find((i) => i.indexDescriptor === indexName);
      if (index === undefined) return fallBack(p, "unknownIndex");
      fields = index.fields.concat(["_creationTime", "_id"]);
    }
    sortFields = fields;
    range = source.range;
    if (!validRange(range, fields)) return fallBack(p, "rangeShape");
  } else if (source.type === "FullTableScan") {
    table = source.tableName;
    key = "by_creation_time";
    fields = ["_creationTime", "_id"];
    sortFields = ["_creationTime"];
  } else {
    return fallBack(p, "search");
  }
  const written = pendingIds(self, table);
  allTables(p, self);
  const ic = indexOf(p, tableOf(p, table), key, fields);
  if (source.type === "FullTableScan" && !ic.distinctCreationTimes) return fallBack(p, "creationTimeTie");

  // Where a document stands against the range: -1 below, 0 in, 1 above.
  // Index order is lexicographic over `fields` and the range is equalities
  // on a prefix then bounds on the next field, so this is monotone along
  // `docs` and the documents in range are one slice.
  const checks = range.map((r) => ({ type: r.type, path: r.fieldPath.split("."), value: queryValue(r.value) }));
  const side = (doc: Doc): number => {
    for (const c of checks) {
      const cmp = compareValues(fieldValue(c.path, doc), c.value);
      switch (c.type) {
        case "Eq":
          if (cmp !== 0) return cmp < 0 ? -1 : 1;
          break;
        case "Gt":
          if (cmp <= 0) return -1;
          break;
        case "Gte":
          if (cmp < 0) return -1;
          break;
        case "Lt":
          if (cmp >= 0) return 1;
          break;
        case "Lte":
          if (cmp > 0) return 1;
          break;
      }
    }
    return 0;
  };
  const docs = ic.docs;
  const lo = firstIndex(docs.length, (i) => side(docs[i]) >= 0);
  const hi = firstIndex(docs.length, (i) => side(docs[i]) > 0, lo);
  let pending: Range["pending"] = null;
  if (written.size > 0) {
    const mine: Doc[] = [];
    for (const id of written) {
      const doc = self.get(table, id);
      if (doc !== null && side(doc) === 0) mine.push(doc);
    }
    pending = { ids: written, docs: mine.sort(ic.compare) };
    p.stats.withPendingWrites += 1;
  }
  p.stats.served += 1;
  return { docs, lo, hi, order, sortFields, limit, compare: ic.compare, pending };
}

/**
 * The documents of the range in query order, one per call, starting at the
 * first one for which `from` holds (`from` must be false then true along
 * the order, like convex-test's cursor test). Reads only arrays that are
 * never changed in place, so it can be read after later writes.
 */
function rows(r: Range, from?: (doc: Doc) => boolean): () => Doc | undefined {
  const n = r.hi - r.lo;
  const asc = r.order === "asc";
  const at = (i: number) => (asc ? r.docs[r.lo + i] : r.docs[r.hi - 1 - i]);
  let i = from ? firstIndex(n, (k) => from(at(k))) : 0;
  if (r.pending === null) return () => (i < n ? at(i++) : undefined);
  const skip = r.pending.ids;
  const mine = asc ? r.pending.docs : [...r.pending.docs].reverse();
  let j = from ? firstIndex(mine.length, (k) => from(mine[k])) : 0;
  const dir = asc ? 1 : -1;
  return () => {
    while (i < n && skip.has(at(i)._id)) i++;
    const a = i < n ? at(i) : undefined;
    const b = j < mine.length ? mine[j] : undefined;
    if (b !== undefined && (a === undefined || dir * r.compare(b, a) < 0)) {
      j++;
      return b;
    }
    if (a !== undefined) i++;
    return a;
  };
}

function take(r: Range, count = Infinity, from?: (doc: Doc) => boolean): Doc[] {
  const next = rows(r, from);
  const out: Doc[] = [];
  for (let doc; out.length < count && (doc = next()) !== undefined; ) out.push(doc);
  return out;
}

function resolved(r: Range, sortedDocs: Doc[]): Resolved {
  return {
    sortedDocs,
    filterFn: () => true,
    limit: r.limit,
    fieldPathsToSortBy: r.sortFields,
    order: r.order,
  };
}

function mismatch(what: string, query: Query): never {
  throw new Error(`fast index: ${what} differs from convex-test's for ${JSON.stringify(query.source)}`);
}

function sameDocs(a: Doc[], b: Doc[]) {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** What `queryNext` reads of a query's results (`length === 0`, `shift()`), produced on demand. */
function lazyRows(produce: () => Doc | undefined, max: number): Doc[] {
  // convex-test never drops a query's results: let go of the sorted array
  // (and the transaction's writes) as soon as the rows run out.
  let next: (() => Doc | undefined) | null = produce;
  let given = 0;
  let head = max > 0 ? next() : undefined;
  if (head === undefined) next = null;
  const rows = {
    get length() {
      return head === undefined ? 0 : 1;
    },
    shift() {
      const doc = head;
      given += 1;
      head = given < max && next !== null ? next() : undefined;
      if (head === undefined) next = null;
      return doc;
    },
  };
  return rows as unknown as Doc[];
}

/** The first i in [from, n) with pred(i), or n; pred must be false then true along the range. */
function firstIndex(n: number, pred: (i: number) => boolean, from = 0): number {
  let lo = from;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pred(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function merge(a: Doc[], b: Doc[], compare: (x: Doc, y: Doc) => number): Doc[] {
  if (b.length === 0) return a;
  const out = new Array<Doc>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = compare(a[i], b[j]) <= 0 ? a[i++] : b[j++];
  while (i < a.length) out[k++] = a[i++];
  while (j < b.length) out[k++] = b[j++];
  return out;
}
