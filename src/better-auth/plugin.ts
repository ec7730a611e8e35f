/**
 * The BetterAuth plugin: records every endpoint of BETTER_AUTH_ENDPOINTS,
 * success and failure, through a sink (the component in the same Convex
 * transaction, or a signed HTTP delivery to the app's ingestion action).
 *
 * - `hooks.after` sees every call's outcome (`ctx.context.returned` is the
 *   result, or the APIError of a failure), so failures are recorded too.
 * - `hooks.before` resolves, for the endpoints that end or replace it, what
 *   the after hook could no longer find: the caller's session (sign-out,
 *   stopping an impersonation), the user a pending second factor or a reset
 *   token belongs to, a revoked session's id. It hands that to the after
 *   hook through the context it returns (BetterAuth merges it into the call).
 * - `databaseHooks` catch users created or deleted outside the recorded
 *   endpoints: social and passwordless sign-ups, and server code.
 *
 * Put `auditTrail()` last in `plugins`: plugins' after hooks run in order,
 * and the two-factor plugin turns a sign-in into a "second factor required"
 * answer in its own after hook, which a later hook sees.
 */
import type { BetterAuthPlugin } from "better-auth";
import { createAuthMiddleware, getIP, getSessionFromCtx, isAPIError } from "better-auth/api";
import { AuditActions } from "../shared/catalog.js";
import type { LogEventArgs } from "../client/types.js";
import {
  asSession,
  deriveIdentifierKey,
  returnedUserId,
  hashIdentifier,
  obj,
  redirectError,
  str,
  type Json,
  type Seen,
  type SeenSession,
} from "./capture.js";
import { specFor, type EndpointSpec, type Pre, type Scalar } from "./endpoints.js";

/** An event as the plugin hands it to a sink: `AuditLog.logBulk`'s argument. */
export type TrailEvent = LogEventArgs;

/** Where events go. `convexSink` and `httpSink` are the two this package has. */
export type AuditSink = { send(events: TrailEvent[]): Promise<unknown> };

export type AuditTrailOptions = {
  sink: AuditSink;
  /**
   * Key for HMAC-hashing the identifiers attempts carry (emails,
   * usernames). Default: derived from BetterAuth's own secret. Set it when
   * several BetterAuth servers must produce the same hashes.
   */
  identifierKey?: string;
  /** Headers the api-key plugin reads keys from; requests with one act as `apikey:{id}`. Default `["x-api-key"]`. */
  apiKeyHeaders?: string[];
  /**
   * What to do when the sink fails. Default: throw, so the auth call fails
   * with it (inside Convex that rolls the auth write back with the event).
   * A function receives the error and the events and decides (log and
   * continue, queue for later).
   */
  onSinkError?: (error: unknown, events: TrailEvent[]) => void | Promise<void>;
  /** Tags on every event. Default `["better-auth"]`. */
  tags?: string[];
  /** Resolve the account a failed sign-in was aimed at (one read by email or username). Default true. */
  resolveFailedAccounts?: boolean;
};

const STATE = "__convexAuditLog";
type PreState = { session?: SeenSession; pendingUserId?: string; pendingTargetId?: string; pendingProvider?: string };

// BetterAuth's hook context, as far as the plugin reads it.
type HookCtx = {
  path?: string;
  operationId?: string;
  body?: unknown;
  query?: unknown;
  params?: unknown;
  headers?: Headers;
  request?: Request;
  getSignedCookie: (name: string, secret: string) => Promise<string | null | false>;
  context: {
    secret: string;
    options: Parameters<typeof getIP>[1];
    returned?: unknown;
    session?: unknown;
    newSession?: unknown;
    createAuthCookie: (name: string) => { name: string };
    internalAdapter: {
      findVerificationValue(identifier: string): Promise<{ value: string } | null>;
      findSession(token: string): Promise<{ session: { id: string; userId: string } } | null>;
      findUserByEmail(email: string): Promise<{ user: { id: string } } | null>;
      findAccounts(userId: string): Promise<{ id: string; providerId: string }[]>;
    };
    adapter: { findOne(args: { model: string; where: { field: string; value: string }[] }): Promise<unknown> };
  };
} & Record<string, unknown>;

const specOf = (ctx: HookCtx): EndpointSpec | undefined => specFor(ctx.path, ctx.operationId);

/** Runs a lookup the after hook can do without: a failure is no reason to fail the call. */
async function quietly<T>(f: () => Promise<T>): Promise<T | undefined> {
  try {
    return await f();
  } catch {
    return undefined;
  }
}

async function resolvePre(ctx: HookCtx, pre: Pre): Promise<PreState> {
  const body = obj(ctx.body);
  const session = asSession(await quietly(() => getSessionFromCtx(ctx as never)));
  const out: PreState = session ? { session } : {};
  const adapter = ctx.context.internalAdapter;
  if (pre === "twoFactorUser" && session === undefined) {
    // The user a sign-in's pending second factor belongs to, as the two-factor plugin finds them (without consuming it).
    const cookie = ctx.context.createAuthCookie("two_factor").name;
    const signed = await quietly(() => ctx.getSignedCookie(cookie, ctx.context.secret));
    if (typeof signed === "string") out.pendingUserId = str(await quietly(() => adapter.findVerificationValue(signed)), "value");
  } else if (pre === "resetUser") {
    const token = str(body, "token") ?? str(obj(ctx.query), "token");
    if (token !== undefined) out.pendingUserId = str(await quietly(() => adapter.findVerificationValue(`reset-password:${token}`)), "value");
  } else if (pre === "accountProvider" && session !== undefined) {
    const accountId = str(body, "accountId");
    const accounts = await quietly(() => adapter.findAccounts(session.user.id));
    out.pendingProvider = str(accounts?.find((a) => a.id === accountId), "providerId", 64);
  } else if (pre === "emailTokenUser") {
    // The verification link's token names the email; reading its payload (not trusting it) finds the account.
    const email = str(jwtPayload(str(obj(ctx.query), "token", 4096)), "email", 320);
    if (email !== undefined) out.pendingUserId = str(obj(await quietly(() => adapter.findUserByEmail(email)), "user"), "id");
  } else if (pre === "sessionByToken" || pre === "adminSessionByToken") {
    const token = str(body, pre === "sessionByToken" ? "token" : "sessionToken");
    const found = token === undefined ? undefined : await quietly(() => adapter.findSession(token));
    out.pendingTargetId = str(found?.session, "id");
    out.pendingUserId = str(found?.session, "userId");
  }
  return out;
}

/** The payload of a JWT, unverified: only ever used to find which account a link was for. */
function jwtPayload(token: string | undefined): Json {
  const part = token?.split(".")[1];
  if (part === undefined) return {};
  try {
    return obj(JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/"))));
  } catch {
    return {};
  }
}

function failureOf(returned: unknown): { error?: Seen["error"]; location?: string } {
  if (!isAPIError(returned)) return {};
  const e = returned as { statusCode: number; body?: unknown; message?: string; headers?: HeadersInit };
  if (e.statusCode >= 300 && e.statusCode < 400) {
    // A redirect: a success, unless it carries an error (OAuth callbacks, magic links, email links).
    const location = new Headers(e.headers ?? {}).get("location") ?? undefined;
    const code = redirectError(location);
    return { location, ...(code !== undefined ? { error: { status: e.statusCode, code } } : {}) };
  }
  const body = obj(e.body);
  return { error: { status: e.statusCode, code: str(body, "code", 128), message: str(body, "message", 1024) ?? e.message?.slice(0, 1024) } };
}

function apiKeyIdOf(ctx: HookCtx, headers: string[]): string | undefined {
  const session = obj(obj(ctx.context.session), "session");
  const token = session.token;
  if (typeof token !== "string") return undefined;
  // The api-key plugin's session carries the key as its token and the key's id as its id.
  return headers.some((h) => ctx.headers?.get(h) === token) ? str(session, "id") : undefined;
}

export function auditTrail(options: AuditTrailOptions): BetterAuthPlugin {
  const apiKeyHeaders = options.apiKeyHeaders ?? ["x-api-key"];
  const tags = options.tags ?? ["better-auth"];
  let derivedKey: Promise<string> | undefined;
  const identifierKey = (authSecret: string) => (options.identifierKey !== undefined ? Promise.resolve(options.identifierKey) : (derivedKey ??= deriveIdentifierKey(authSecret)));

  const deliver = async (events: TrailEvent[]) => {
    try {
      await options.sink.send(events);
    } catch (e) {
      if (options.onSinkError === undefined) throw e;
      await options.onSinkError(e, events);
    }
  };

  const requestContext = (ctx: HookCtx, path: string) => {
    const source = ctx.request ?? ctx.headers;
    const ip = source ? getIP(source, ctx.context.options) : null;
    const userAgent = ctx.headers?.get("user-agent") ?? ctx.request?.headers.get("user-agent") ?? undefined;
    return {
      ...(ip ? { ip } : {}),
      ...(userAgent ? { userAgent: userAgent.slice(0, 512) } : {}),
      source: `better-auth:${path}`.slice(0, 256),
    };
  };

  const record = async (ctx: HookCtx, spec: EndpointSpec) => {
    const path = ctx.path !== undefined && ctx.path !== "/" ? ctx.path : `op:${ctx.operationId ?? "?"}`;
    const pre = (ctx[STATE] as PreState | undefined) ?? {};
    const { error, location } = failureOf(ctx.context.returned);
    const s: Seen = {
      path,
      body: obj(ctx.body),
      query: obj(ctx.query),
      params: obj(ctx.params),
      returned: isAPIError(ctx.context.returned) ? {} : obj(ctx.context.returned),
      error,
      location,
      session: pre.session ?? asSession(ctx.context.session),
      newSession: asSession(ctx.context.newSession),
      pendingUserId: pre.pendingUserId,
      pendingTargetId: pre.pendingTargetId,
      pendingProvider: pre.pendingProvider,
      apiKeyId: apiKeyIdOf(ctx, apiKeyHeaders),
    };
    if (s.session === undefined && s.newSession === undefined && s.apiKeyId === undefined) {
      // Not every endpoint keeps the session its middleware found (and a refused call may not have run it): look it up.
      s.session = asSession(await quietly(() => getSessionFromCtx(ctx as never)));
    }
    const outcome = spec.outcome?.(s);
    if (outcome === "skip") return;
    const failed = error !== undefined;
    const action = failed ? (spec.failure ?? spec.action) : (outcome?.action ?? spec.action);
    const label = outcome?.label ?? spec.label;

    const metadata: Record<string, Scalar | undefined> = { method: spec.method, ...spec.metadata?.(s) };
    let target = spec.target?.(s);
    const identifier = spec.identifier === undefined ? undefined : str(s.body, spec.identifier, 320);
    if (identifier !== undefined) metadata.identifierHash = await hashIdentifier(await identifierKey(ctx.context.secret), identifier);
    const unresolved = failed || outcome !== undefined;
    if (unresolved && target?.id === undefined && identifier !== undefined && options.resolveFailedAccounts !== false && spec.identifier !== "newEmail") {
      // Which account a failed (or second-factor-pending) attempt was aimed at, when it exists: attempts on one account group by it.
      const found =
        spec.identifier === "email"
          ? await quietly(() => ctx.context.internalAdapter.findUserByEmail(identifier.toLowerCase()))
          : await quietly(() => ctx.context.adapter.findOne({ model: "user", where: [{ field: "username", value: identifier.toLowerCase() }] }));
      const id = str(obj(found, "user"), "id") ?? str(found, "id");
      if (id !== undefined) target = { type: "user", id };
    }
    if (failed) {
      metadata.errorCode = error.code;
      metadata.httpStatus = error.status;
    }
    const actorSession = s.session ?? s.newSession;
    // With no session at all (a sign-up without auto sign-in), the user the call returned acted.
    const actorId =
      spec.actor?.(s) ?? (s.apiKeyId !== undefined ? `apikey:${s.apiKeyId}` : (actorSession?.user.id ?? (failed ? undefined : returnedUserId(s.returned))));
    if (actorSession?.session.impersonatedBy !== undefined && spec.actor === undefined) metadata.impersonatedBy = actorSession.session.impersonatedBy;
    if (s.apiKeyId !== undefined) metadata.onBehalfOf = actorSession?.user.id;

    const event: TrailEvent = {
      action,
      status: failed ? "failure" : "success",
      actor: { type: s.apiKeyId !== undefined ? "apiKey" : "user", ...(actorSession?.user.role ? { role: actorSession.user.role } : {}) },
      summary: failed ? `${label} failed${error.code ? `: ${error.code}` : ""}` : label,
      metadata: Object.fromEntries(Object.entries(metadata).filter(([, v]) => v !== undefined)),
      context: requestContext(ctx, path),
      tags,
      idempotencyKey: `better-auth:${crypto.randomUUID()}`,
      timestamp: Date.now(),
    };
    if (actorId !== undefined) event.actorId = actorId;
    if (failed) event.errorMessage = `${error.code ?? `HTTP ${error.status}`}${error.message ? `: ${error.message}` : ""}`.slice(0, 1024);
    const tenantId = spec.tenant?.(s);
    if (tenantId !== undefined) event.tenantId = tenantId;
    if (target?.id !== undefined) {
      event.resourceType = target.type;
      event.resourceId = target.id;
    }
    await deliver([event]);
  };

  /** A user created or deleted by no recorded endpoint: social or passwordless sign-up, or server code. */
  const recordUser = async (kind: "create" | "delete", user: unknown, endpoint: HookCtx | null | undefined) => {
    const ctx = endpoint ?? null;
    const id = str(user, "id");
    if (id === undefined) return;
    const spec = ctx === null ? undefined : specOf(ctx);
    if (ctx !== null && (ctx.path === "/sign-up/email" || spec?.action === AuditActions.USER_CREATED || spec?.action === AuditActions.USER_DELETED || spec?.action === AuditActions.ADMIN_USER_REMOVED)) return;
    const signUp = kind === "create" && ctx !== null;
    const event: TrailEvent = {
      action: signUp ? AuditActions.USER_SIGNUP : kind === "create" ? AuditActions.USER_CREATED : AuditActions.USER_DELETED,
      actor: signUp ? { id, type: "user" } : { id: "better-auth", type: "system" },
      resourceType: "user",
      resourceId: id,
      summary: signUp
        ? `Sign-up (${spec?.method?.replace("_", " ") ?? "server"})`
        : `User ${kind === "create" ? "created" : "deleted"} ${ctx === null ? "by server code" : `during ${ctx.path ?? "a call"}`}`,
      metadata: signUp ? { method: spec?.method ?? "server" } : {},
      ...(ctx !== null ? { context: requestContext(ctx, ctx.path ?? "?") } : {}),
      tags,
      idempotencyKey: `better-auth:${crypto.randomUUID()}`,
      timestamp: Date.now(),
    };
    await deliver([event]);
  };

  return {
    id: "convex-audit-log",
    hooks: {
      before: [
        {
          matcher: (ctx) => specOf(ctx as unknown as HookCtx)?.pre !== undefined,
          handler: createAuthMiddleware(async (ctx) => {
            const state = await resolvePre(ctx as unknown as HookCtx, specOf(ctx as unknown as HookCtx)!.pre!);
            return { context: { [STATE]: state } };
          }),
        },
      ],
      after: [
        {
          matcher: (ctx) => specOf(ctx as unknown as HookCtx) !== undefined,
          handler: createAuthMiddleware(async (ctx) => {
            await record(ctx as unknown as HookCtx, specOf(ctx as unknown as HookCtx)!);
          }),
        },
      ],
    },
    init: () => ({
      options: {
        databaseHooks: {
          user: {
            create: { after: async (user, ctx) => await recordUser("create", user, ctx as unknown as HookCtx | null) },
            delete: { after: async (user, ctx) => await recordUser("delete", user, ctx as unknown as HookCtx | null) },
          },
        },
      },
    }),
  } satisfies BetterAuthPlugin;
}
