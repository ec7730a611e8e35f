/**
 * The part of Convex's WebSocket sync protocol that `ConvexReactClient` /
 * `ConvexClient` use, served from the in-process runtime (runtime.ts).
 *
 * Client → server: Connect, ModifyQuerySet (Add/Remove), Authenticate
 * (User/None), Mutation, Action, Event (ignored).
 * Server → client: Transition (QueryUpdated/QueryFailed/QueryRemoved),
 * MutationResponse, ActionResponse, AuthError, FatalError, Ping.
 *
 * Versions are tracked as a deployment does: every Transition goes from the
 * last version this connection was sent to a new {querySet, identity, ts},
 * where ts is convex-test's commit timestamp. A mutation's promise resolves in
 * the client only once a Transition reaches its ts, so its response is always
 * followed by one, even an empty one.
 *
 * Reactivity is plain re-execution: whenever the commit timestamp moved, every
 * subscribed query of every connection runs again under that connection's
 * identity, and only results whose JSON changed are sent.
 */
import { getFunctionName, type FunctionReference, type UserIdentity } from "convex/server";
import { convexToJson, type JSONValue } from "convex/values";
import type { WebSocket } from "ws";
import { decodeArgs, failureOf, identityOf, type LocalConvex, type Metered, type Serial } from "./runtime.js";
import { parseDemoToken } from "./token.js";

/** A client message that breaks the protocol: the connection ends with a FatalError. */
class ProtocolError extends Error {}

/** u64 as the protocol encodes it: 8 little-endian bytes, base64. */
export function encodeTs(ts: bigint): string {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(ts);
  return bytes.toString("base64");
}

type Version = { querySet: number; identity: number; ts: bigint };

/** Where a paginated query's first run ended: later runs stop there too (production keeps it in the query journal). */
type Journal = { endCursor: string };

type Subscription = {
  udfPath: string;
  argsJson: JSONValue;
  args: Record<string, unknown> | Error;
  journal: Journal | null;
  /** The last modification sent for this query, as JSON, to send only changes. */
  last?: string;
  cost?: { documentsRead: number; bytesRead: number; ms: number };
};

export type QueryCost = {
  udfPath: string;
  args: JSONValue;
  identity: string | null;
  documentsRead: number;
  bytesRead: number;
  ms: number;
};

type Modification =
  | { type: "QueryUpdated"; queryId: number; value: JSONValue; logLines: string[]; journal: string | null }
  | { type: "QueryFailed"; queryId: number; errorMessage: string; errorData?: JSONValue; logLines: string[]; journal: string | null }
  | { type: "QueryRemoved"; queryId: number };

const num = (v: unknown, what: string): number => {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new ProtocolError(`${what} must be a nonnegative integer`);
  return v;
};
const str = (v: unknown, what: string): string => {
  if (typeof v !== "string") throw new ProtocolError(`${what} must be a string`);
  return v;
};

function paginationOptsOf(args: Record<string, unknown>): Record<string, unknown> | null {
  const p = args.paginationOpts;
  return typeof p === "object" && p !== null && !Array.isArray(p) && "numItems" in p ? (p as Record<string, unknown>) : null;
}

function isPage(v: unknown): v is { page: unknown[]; continueCursor: string } {
  return typeof v === "object" && v !== null && Array.isArray((v as { page?: unknown }).page) && typeof (v as { continueCursor?: unknown }).continueCursor === "string";
}

class Session {
  private readonly subs = new Map<number, Subscription>();
  private querySet = 0;
  private identityVersion = 0;
  private identity: Partial<UserIdentity> | null = null;
  /** The version the client has: the end of the last Transition sent. */
  private sent: Version = { querySet: 0, identity: 0, ts: 0n };
  closed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly hub: SyncHub,
  ) {}

  send(message: Record<string, unknown>) {
    if (!this.closed && this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(message));
  }

  fatal(error: string) {
    this.send({ type: "FatalError", error });
    this.closed = true;
    this.ws.close(1011, error.slice(0, 120));
  }

  async handle(raw: unknown): Promise<void> {
    if (this.closed) return;
    if (typeof raw !== "object" || raw === null) throw new ProtocolError("a message must be a JSON object");
    const msg = raw as Record<string, unknown>;
    switch (msg.type) {
      case "Connect":
      case "Event":
        return;
      case "ModifyQuerySet":
        return await this.modifyQuerySet(msg);
      case "Authenticate":
        return await this.authenticate(msg);
      case "Mutation":
      case "Action":
        return await this.call(msg);
      default:
        throw new ProtocolError(`unknown message type ${JSON.stringify(msg.type)}`);
    }
  }

  private async modifyQuerySet(msg: Record<string, unknown>) {
    const base = num(msg.baseVersion, "baseVersion");
    const next = num(msg.newVersion, "newVersion");
    if (base !== this.querySet || next !== base + 1) {
      throw new ProtocolError(`query set version ${base}→${next} does not follow ${this.querySet}`);
    }
    if (!Array.isArray(msg.modifications)) throw new ProtocolError("modifications must be an array");
    const fresh = new Set<number>();
    const removed: number[] = [];
    for (const m of msg.modifications as Record<string, unknown>[]) {
      const queryId = num(m?.queryId, "queryId");
      if (m.type === "Add") {
        if (this.subs.has(queryId)) throw new ProtocolError(`query ${queryId} was already added`);
        this.subs.set(queryId, this.subscription(m));
        fresh.add(queryId);
      } else if (m.type === "Remove") {
        if (!this.subs.delete(queryId)) throw new ProtocolError(`query ${queryId} is not in the query set`);
        fresh.delete(queryId);
        removed.push(queryId);
      } else {
        throw new ProtocolError(`unknown query set modification ${JSON.stringify(m.type)}`);
      }
    }
    this.querySet = next;
    await this.sync(await this.hub.convex.snapshotTs(), { fresh, removed });
  }

  private subscription(m: Record<string, unknown>): Subscription {
    const udfPath = str(m.udfPath, "udfPath");
    let args: Record<string, unknown> | Error;
    try {
      if (typeof m.componentPath === "string" && m.componentPath !== "") {
        throw new Error("Only admin auth may call a component's functions directly.");
      }
      args = decodeArgs(m.args);
    } catch (e) {
      args = e instanceof Error ? e : new Error(String(e));
    }
    let journal: Journal | null = null;
    if (typeof m.journal === "string") {
      try {
        const j = JSON.parse(m.journal) as Partial<Journal>;
        if (typeof j.endCursor === "string") journal = { endCursor: j.endCursor };
      } catch {
        // A journal we did not write: run as if new.
      }
    }
    return { udfPath, argsJson: (Array.isArray(m.args) ? m.args[0] : m.args) as JSONValue, args, journal };
  }

  private async authenticate(msg: Record<string, unknown>) {
    const base = num(msg.baseVersion, "baseVersion");
    if (base !== this.identityVersion) throw new ProtocolError(`identity version ${base} does not follow ${this.identityVersion}`);
    let identity: Partial<UserIdentity> | null;
    if (msg.tokenType === "None") {
      identity = null;
    } else if (msg.tokenType === "User") {
      const demo = typeof msg.value === "string" ? parseDemoToken(msg.value) : null;
      if (!demo) {
        this.send({
          type: "AuthError",
          error: "The local runtime accepts only its unsigned demo tokens (example/local/token.ts); this token is not one.",
          baseVersion: base,
          authUpdateAttempted: true,
        });
        return;
      }
      identity = identityOf(demo);
    } else {
      this.send({ type: "AuthError", error: "Admin auth is not available in the local runtime.", baseVersion: base, authUpdateAttempted: true });
      return;
    }
    this.identity = identity;
    this.identityVersion = base + 1;
    await this.sync(await this.hub.convex.snapshotTs(), { all: true });
  }

  private async call(msg: Record<string, unknown>) {
    const requestId = num(msg.requestId, "requestId");
    const udfPath = str(msg.udfPath, "udfPath");
    const isMutation = msg.type === "Mutation";
    const responseType = isMutation ? "MutationResponse" : "ActionResponse";
    const { convex } = this.hub;
    try {
      if (typeof msg.componentPath === "string" && msg.componentPath !== "") {
        throw new Error("Only admin auth may call a component's functions directly.");
      }
      const args = decodeArgs(msg.args);
      const result = isMutation
        ? await convex.mutation(this.identity, await convex.publicFunction(udfPath, "mutation"), args)
        : await convex.action(this.identity, await convex.publicFunction(udfPath, "action"), args);
      const response: Record<string, unknown> = { type: responseType, requestId, success: true, result: convexToJson(result as never), logLines: [] };
      if (isMutation) response.ts = encodeTs(await convex.snapshotTs());
      this.send(response);
    } catch (e) {
      const { message, errorData } = failureOf(e);
      this.hub.log(`${isMutation ? "mutation" : "action"} ${udfPath} failed: ${message}`);
      this.send({ type: responseType, requestId, success: false, result: message, logLines: [], ...(errorData === undefined ? {} : { errorData }) });
    }
    // Whatever it wrote reaches every connection, this one included; the
    // Transition it gets reaches the mutation's ts, which resolves its promise.
    await this.hub.broadcast();
  }

  /**
   * Brings the client to `ts`: re-runs every query when ts or the identity
   * moved, else only the new ones, and sends a Transition if anything changed
   * (versions included, so an empty one still moves the client's ts).
   */
  async sync(ts: bigint, opts: { fresh?: Set<number>; removed?: number[]; all?: boolean }) {
    if (this.closed) return;
    const all = opts.all === true || ts !== this.sent.ts || this.identityVersion !== this.sent.identity;
    const modifications: Modification[] = (opts.removed ?? []).map((queryId) => ({ type: "QueryRemoved" as const, queryId }));
    for (const [queryId, sub] of this.subs) {
      if (!all && !opts.fresh?.has(queryId)) continue;
      const m = await this.evaluate(ts, queryId, sub);
      const key = JSON.stringify(m);
      if (key !== sub.last) {
        sub.last = key;
        modifications.push(m);
      }
    }
    const end: Version = { querySet: this.querySet, identity: this.identityVersion, ts };
    const same = end.querySet === this.sent.querySet && end.identity === this.sent.identity && end.ts === this.sent.ts;
    if (same && modifications.length === 0) return;
    const version = (v: Version) => ({ querySet: v.querySet, identity: v.identity, ts: encodeTs(v.ts) });
    this.send({ type: "Transition", startVersion: version(this.sent), endVersion: version(end), modifications, serverTs: Date.now() });
    this.sent = end;
  }

  private async evaluate(ts: bigint, queryId: number, sub: Subscription): Promise<Modification> {
    try {
      if (sub.args instanceof Error) throw sub.args;
      const ref = await this.hub.convex.publicFunction(sub.udfPath, "query");
      const opts = paginationOptsOf(sub.args);
      const pinned = sub.journal && opts && opts.endCursor == null ? { ...sub.args, paginationOpts: { ...opts, endCursor: sub.journal.endCursor } } : null;
      let result;
      try {
        result = await this.hub.query(ts, this.identity, ref, pinned ?? sub.args);
      } catch (e) {
        if (!pinned) throw e;
        // The function would not take the pinned end: run it as asked, unpinned from now on.
        sub.journal = null;
        result = await this.hub.query(ts, this.identity, ref, sub.args);
      }
      sub.cost = { documentsRead: result.documentsRead, bytesRead: result.bytesRead, ms: result.ms };
      if (!sub.journal && opts && opts.endCursor == null && isPage(result.value)) sub.journal = { endCursor: result.value.continueCursor };
      const journal = sub.journal ? JSON.stringify(sub.journal) : null;
      return { type: "QueryUpdated", queryId, value: convexToJson(result.value as never), logLines: [], journal };
    } catch (e) {
      const { message, errorData } = failureOf(e);
      const journal = sub.journal ? JSON.stringify(sub.journal) : null;
      return { type: "QueryFailed", queryId, errorMessage: message, logLines: [], journal, ...(errorData === undefined ? {} : { errorData }) };
    }
  }

  costs(): QueryCost[] {
    const identity = typeof this.identity?.subject === "string" ? this.identity.subject : null;
    return [...this.subs.values()].map((s) => ({
      udfPath: s.udfPath,
      args: s.argsJson,
      identity,
      documentsRead: s.cost?.documentsRead ?? 0,
      bytesRead: s.cost?.bytesRead ?? 0,
      ms: Math.round((s.cost?.ms ?? 0) * 10) / 10,
    }));
  }
}

export class SyncHub {
  private readonly sessions = new Set<Session>();
  private readonly pinger: NodeJS.Timeout;
  private readonly cache = new Map<string, Promise<Metered>>();
  private cacheTs: bigint | null = null;

  constructor(
    readonly convex: LocalConvex,
    readonly serial: Serial,
    readonly log: (line: string) => void,
  ) {
    // The client drops a connection it has heard nothing on for 60 s.
    this.pinger = setInterval(() => {
      for (const s of this.sessions) s.send({ type: "Ping" });
    }, 15_000);
    this.pinger.unref();
  }

  attach(ws: WebSocket) {
    const session = new Session(ws, this);
    this.sessions.add(session);
    ws.on("message", (data: Buffer) => {
      let message: unknown;
      try {
        message = JSON.parse(data.toString("utf8"));
      } catch {
        session.fatal("a message must be JSON");
        return;
      }
      // In arrival order, one at a time with everything else that touches convex-test.
      this.serial
        .run(() => session.handle(message))
        .catch((e: unknown) => {
          if (e instanceof ProtocolError) session.fatal(e.message);
          else {
            this.log(`sync: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
            session.fatal("internal error in the local runtime");
          }
        });
    });
    const drop = () => {
      session.closed = true;
      this.sessions.delete(session);
    };
    ws.on("close", drop);
    ws.on("error", drop);
  }

  /**
   * Runs a query, or reuses the run of the same query, arguments and identity
   * at the same ts (two tabs, or two components subscribing to one query).
   */
  query(ts: bigint, identity: Partial<UserIdentity> | null, ref: FunctionReference<"query">, args: Record<string, unknown>): Promise<Metered> {
    if (ts !== this.cacheTs) {
      this.cache.clear();
      this.cacheTs = ts;
    }
    const key = JSON.stringify([getFunctionName(ref), identity, convexToJson(args as never)]);
    let run = this.cache.get(key);
    if (!run) {
      run = this.convex.query(identity, ref, args);
      this.cache.set(key, run);
    }
    return run;
  }

  /** Brings every connection to the current ts. Call inside `serial`. */
  async broadcast() {
    if (this.sessions.size === 0) return;
    const ts = await this.convex.snapshotTs();
    for (const s of this.sessions) await s.sync(ts, {});
  }

  costs(): QueryCost[] {
    return [...this.sessions].flatMap((s) => s.costs());
  }

  close() {
    clearInterval(this.pinger);
    for (const s of this.sessions) s.closed = true;
    this.sessions.clear();
  }
}
