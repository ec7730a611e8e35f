/**
 * The example app's Convex functions and the component, in this process, on
 * convex-test's runtime: what the local sync server (server.ts) calls into.
 *
 * convex-test is a test runtime: it keeps one in-memory database and is not
 * meant for interleaved requests, so everything the server asks of it goes
 * through one queue (`serial`). Functions scheduled with `ctx.scheduler` are
 * the exception: convex-test fires them from its own timers, and its
 * transaction lock keeps them from overlapping a transaction of ours. The
 * server notices what they wrote by the snapshot timestamp moving.
 */
import { convexTest } from "convex-test";
import { makeFunctionReference, type FunctionReference, type UserIdentity } from "convex/server";
import { ConvexError, convexToJson, jsonToConvex, type JSONValue, type Value } from "convex/values";
import { readdirSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import componentSchema from "../../src/component/schema.js";
import schema from "../convex/schema.js";
import { accelerate } from "../../dev/fastIndex.js";
import { components, internal } from "../convex/_generated/api.js";
import { LOCAL_ISSUER, type DemoIdentity } from "./token.js";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

type ModuleLoader = () => Promise<Record<string, unknown>>;

/** Function modules under `dir` (tests and helpers are not), keyed by absolute path as convex-test wants. */
export function modulesUnder(dir: string): Record<string, ModuleLoader> {
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) => {
      const p = join(d, e.name);
      if (e.isDirectory()) return walk(p);
      return /\.(ts|js)$/.test(e.name) && !/\.test\.ts$|\.d\.ts$|test-helper/.test(e.name) ? [p] : [];
    });
  return Object.fromEntries(walk(dir).map((f) => [f, () => import(pathToFileURL(f).href) as Promise<Record<string, unknown>>]));
}

export type FunctionKind = "query" | "mutation" | "action";

/** What a deployment says when a client names a function it does not expose. */
export class FunctionNotFound extends Error {}

/** `dir/file:fn`, `file.js:fn` or `file` (the default export) → module path and export name. */
export function splitUdfPath(udfPath: string): { module: string; name: string } {
  const at = udfPath.lastIndexOf(":");
  let module = at === -1 ? udfPath : udfPath.slice(0, at);
  const name = at === -1 ? "default" : udfPath.slice(at + 1);
  if (module.endsWith(".js")) module = module.slice(0, -3);
  return { module, name };
}

/** The identity convex-test gives the functions for a demo token's payload. */
export function identityOf(demo: DemoIdentity): Partial<UserIdentity> {
  const identity: Record<string, unknown> = {
    subject: demo.sub,
    issuer: LOCAL_ISSUER,
    tokenIdentifier: `${LOCAL_ISSUER}|${demo.sub}`,
  };
  // Only the claims the demo defines: a token cannot smuggle in other attributes.
  for (const key of ["name", "role", "orgId"] as const) if (typeof demo[key] === "string") identity[key] = demo[key];
  return identity as Partial<UserIdentity>;
}

/** A query's result with what it read: the figures a deployment bills and limits. */
export type Metered = { value: unknown; documentsRead: number; bytesRead: number; ms: number };

/** Runs one async job at a time, in the order they were asked for. */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(job: () => Promise<T>): Promise<T> {
    const p = this.tail.then(job);
    this.tail = p.catch(() => undefined);
    return p;
  }
}

export type RollupResult = { folded: number; caughtUp: boolean; rolledUpThrough: number | null };

/**
 * A failed call as the wire carries it: the message, and for a ConvexError
 * its data (JSON-encoded), from which the client rebuilds a ConvexError with
 * the same `data`. Messages read like a dev deployment's ("Uncaught Error: …").
 */
export function failureOf(e: unknown): { message: string; errorData?: JSONValue } {
  if (e instanceof FunctionNotFound) return { message: e.message };
  const isConvexError = e instanceof ConvexError || (typeof e === "object" && e !== null && Symbol.for("ConvexError") in e);
  if (isConvexError) {
    const err = e as ConvexError<Value>;
    let errorData: JSONValue = null;
    try {
      errorData = convexToJson(err.data ?? null);
    } catch {
      errorData = String(err.data);
    }
    return { message: `Uncaught ConvexError: ${err.message}`, errorData };
  }
  if (e instanceof Error) return { message: `Uncaught ${e.name}: ${e.message}` };
  return { message: `Uncaught ${String(e)}` };
}

/** A call's arguments off the wire: `[args]` (the sync protocol) or `args`, a plain object. */
export function decodeArgs(wire: unknown): Record<string, unknown> {
  const json = Array.isArray(wire) ? (wire.length === 1 ? wire[0] : undefined) : wire === undefined ? {} : wire;
  if (json === undefined) throw new Error("Arguments must be sent as an array holding one object.");
  const value = jsonToConvex(json as JSONValue);
  if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof ArrayBuffer) {
    throw new Error("The arguments to a Convex function must be an object.");
  }
  return value as Record<string, unknown>;
}

export type LocalConvexOptions = {
  /**
   * Answer index ranges from sorted arrays (dev/fastIndex.ts) rather than
   * convex-test's scan and sort of every document: the same documents in the
   * same order, so the same results and read counts, but a query at 100,000
   * events takes milliseconds instead of seconds. Default true.
   */
  fastIndex?: boolean;
};

export function createLocalConvex(options: LocalConvexOptions = {}) {
  const appDir = join(repoRoot, "example", "convex");
  const appModules = modulesUnder(appDir);
  const t = convexTest({ schema, modules: appModules, transactionLimits: true });
  t.registerComponent("auditLog", componentSchema, modulesUnder(join(repoRoot, "src", "component")));
  if (options.fastIndex !== false) accelerate(t);

  // The client names modules relative to the convex/ folder, without extension.
  const byModule = new Map<string, ModuleLoader>(
    Object.entries(appModules).map(([file, load]) => [relative(appDir, file).replace(/\.(ts|js)$/, "").split(sep).join("/"), load]),
  );

  const accessor = (identity: Partial<UserIdentity> | null) => (identity ? t.withIdentity(identity) : t);

  /**
   * The reference for a public function of `kind`, or FunctionNotFound, as a
   * deployment answers: internal functions, other kinds and unknown names are
   * all "not found" to a client.
   */
  async function publicFunction<K extends FunctionKind>(udfPath: string, kind: K): Promise<FunctionReference<K>> {
    const { module, name } = splitUdfPath(udfPath);
    const load = byModule.get(module);
    const exports = load ? await load() : undefined;
    const fn = exports && Object.hasOwn(exports, name) ? (exports[name] as Record<string, unknown> | undefined) : undefined;
    const flag = { query: "isQuery", mutation: "isMutation", action: "isAction" }[kind];
    if (!fn || fn.isPublic !== true) {
      throw new FunctionNotFound(`Could not find public function for '${module}:${name}'. Did you forget to run \`npx convex dev\` or \`npx convex deploy\`?`);
    }
    if (fn[flag] !== true) {
      const actual = fn.isQuery ? "Query" : fn.isMutation ? "Mutation" : fn.isAction ? "Action" : "something else";
      throw new FunctionNotFound(`Trying to execute ${module}:${name} as ${kind[0].toUpperCase()}${kind.slice(1)}, but it is defined as ${actual}.`);
    }
    return makeFunctionReference<K>(`${module}:${name}`);
  }

  /** The latest commit's timestamp (ns). A read-only query, so asking does not move it. */
  async function snapshotTs(): Promise<bigint> {
    return await t.query(async (ctx) => ctx.meta.getSnapshotTs());
  }

  /**
   * Runs a public query as `identity` inside a wrapper query that reads the
   * transaction's metrics before and after: the nested query's reads fold into
   * the wrapper's, and the identity reaches it as it would from a client.
   */
  async function query(identity: Partial<UserIdentity> | null, ref: FunctionReference<"query">, args: Record<string, unknown>): Promise<Metered> {
    const started = performance.now();
    const out = await accessor(identity).query(async (ctx) => {
      const m0 = await ctx.meta.getTransactionMetrics();
      const value = (await ctx.runQuery(ref, args)) as unknown;
      const m1 = await ctx.meta.getTransactionMetrics();
      return {
        value: value as never,
        documentsRead: m1.documentsRead.used - m0.documentsRead.used,
        bytesRead: m1.bytesRead.used - m0.bytesRead.used,
      };
    });
    // A query that returns nothing reads as null, as it does from a deployment.
    return { ...out, value: (out.value as unknown) ?? null, ms: performance.now() - started };
  }

  async function mutation(identity: Partial<UserIdentity> | null, ref: FunctionReference<"mutation">, args: Record<string, unknown>) {
    return ((await accessor(identity).mutation(ref, args)) as unknown) ?? null;
  }

  async function action(identity: Partial<UserIdentity> | null, ref: FunctionReference<"action">, args: Record<string, unknown>) {
    return ((await accessor(identity).action(ref, args)) as unknown) ?? null;
  }

  /**
   * One batch of the component's stats rollup, the work its cron does in a
   * deployment. `settleMs: 0` is safe here: every transaction in this process
   * holds convex-test's lock, so no logging mutation can still be open.
   */
  async function rollupBatch(): Promise<RollupResult> {
    return await t.run((ctx) => ctx.runMutation(components.auditLog.stats.rollup, { settleMs: 0 }));
  }

  /**
   * One sealing step and a signed checkpoint, what the component's cron and
   * the app's checkpoint cron do in a deployment (example/convex/crons.ts).
   */
  async function checkpoint(): Promise<void> {
    await t.mutation(internal.integrity.checkpoint, {});
  }

  return { t, publicFunction, snapshotTs, query, mutation, action, rollupBatch, checkpoint };
}

export type LocalConvex = ReturnType<typeof createLocalConvex>;
