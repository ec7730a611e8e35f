/**
 * Functions whose failures are recorded: `auditedMutation`,
 * `auditedAction`, `auditedHttpAction`. Each wraps a function builder (your
 * `mutation`, `action`, `httpAction`, or a convex-helpers `customMutation`)
 * and returns a builder of the same type.
 *
 * What Convex allows decides what each can give:
 *
 * - An action is no transaction: the mutations it ran committed or rolled
 *   back on their own. When its handler throws, the wrapper records the
 *   failure in a mutation of its own (committed), then throws the original
 *   error to the caller. All three: the failed mutation's writes rolled
 *   back, the failure on the record, the caller gets the error.
 * - A mutation that throws commits nothing, not even a failure event. So
 *   `auditedMutation` runs its handler as a nested `ctx.runMutation` of
 *   itself, a sub-transaction that rolls back alone, and then:
 *   - `onFailure: "commit"`: records the failure in the outer transaction,
 *     which commits, and resolves to `{ auditFailure }` instead of
 *     throwing; `throwIfAuditFailure` (or the React hook
 *     `useAuditedMutation`) throws the original error again for the caller.
 *   - `onFailure: "throw"`: throws the original error; nothing is recorded
 *     in the component (the rollback takes it). With `mirrorToConvexAudit`
 *     the failure also goes to Convex's `log.audit`, which Enterprise
 *     deployments keep for failed mutations too.
 *
 * A ConvexError whose `code` says access was denied (FORBIDDEN,
 * UNAUTHORIZED …) is recorded as `security.unauthorized_access`.
 */
import { log, makeFunctionReference, type FunctionReference } from "convex/server";
import { ConvexError, v, type PropertyValidators, type Validator } from "convex/values";
import { vAuditFailure, type AuditFailure } from "../shared/auditFailure.js";
import { AuditActions } from "../shared/catalog.js";
import { auditError } from "../shared/errors.js";
import { LIMITS } from "../shared/validators.js";
import type { LogEventArgs, RunMutationCtx } from "./types.js";

/** ConvexError codes recorded as `security.unauthorized_access` unless the app lists its own. */
export const PERMISSION_DENIED_CODES = ["FORBIDDEN", "UNAUTHORIZED", "UNAUTHENTICATED", "PERMISSION_DENIED", "NOT_AUTHORIZED", "ACCESS_DENIED"] as const;

/** The nested call's marker: the request's id, which a client cannot know in advance. */
export const NESTED_ARG = "__auditNested";


export type AuditedOptions = {
  /** The failure event's action. Default `function.failed` (`security.unauthorized_access` for denials). */
  action?: string;
  /** ConvexError codes that mean access was denied. Default PERMISSION_DENIED_CODES. */
  permissionCodes?: readonly string[];
  /** Also send the failure to Convex's `log.audit` (Enterprise deployments deliver it; elsewhere a no-op). */
  mirrorToConvexAudit?: boolean;
};
export type AuditedMutationOptions = AuditedOptions & { onFailure: "commit" | "throw" };

type Logger = { log(ctx: RunMutationCtx, event: LogEventArgs): Promise<string> };
type Def = { args?: PropertyValidators | Validator<unknown, "required", string>; returns?: Validator<unknown, "required", string>; handler: (ctx: never, ...args: never[]) => unknown };
type Meta = { getFunctionMetadata?: () => Promise<{ name: string }>; getRequestMetadata?: () => Promise<{ requestId: string }> };
type AnyCtx = RunMutationCtx & { meta?: Meta };

/** What an error says, for the record and for the caller. */
function describe(e: unknown, permissionCodes: readonly string[]) {
  if (e instanceof ConvexError) {
    const data: unknown = e.data;
    const code = typeof data === "string" ? data : typeof data === "object" && data !== null && typeof (data as { code?: unknown }).code === "string" ? (data as { code: string }).code : undefined;
    const message = typeof data === "object" && data !== null && typeof (data as { message?: unknown }).message === "string" ? (data as { message: string }).message : typeof data === "string" ? data : e.message;
    return { code, message, data, denied: code !== undefined && permissionCodes.includes(code), public: true };
  }
  return { code: undefined, message: e instanceof Error ? e.message : String(e), data: undefined, denied: false, public: false };
}

async function functionName(ctx: AnyCtx): Promise<string> {
  try {
    return (await ctx.meta?.getFunctionMetadata?.())?.name ?? "unknown";
  } catch {
    return "unknown";
  }
}

function failureEvent(kind: string, name: string, e: unknown, options: AuditedOptions, request?: Request): LogEventArgs {
  const d = describe(e, options.permissionCodes ?? PERMISSION_DENIED_CODES);
  const action = d.denied ? AuditActions.UNAUTHORIZED_ACCESS : (options.action ?? AuditActions.FUNCTION_FAILED);
  const text = `${d.code ? `${d.code}: ` : ""}${d.message}`.slice(0, LIMITS.maxErrorMessageLength);
  return {
    action,
    status: "failure",
    errorMessage: text,
    resourceType: "function",
    resourceId: name.slice(0, LIMITS.maxIdLength),
    summary: `${name} failed${d.code ? `: ${d.code}` : ""}`.slice(0, LIMITS.maxSummaryLength),
    metadata: { function: name, kind, ...(d.code ? { errorCode: d.code } : {}) },
    // The client's own header (Convex's request metadata has the IP); an HTTP action's caller is often a server.
    ...(request?.headers.get("user-agent") ? { context: { userAgent: request.headers.get("user-agent")!.slice(0, 512) } } : {}),
  };
}

async function mirror(options: AuditedOptions, event: LogEventArgs): Promise<void> {
  if (!options.mirrorToConvexAudit) return;
  await log.audit({ action: event.action, status: "failure", function: String(event.resourceId), error: event.errorMessage ?? null, ip: log.vars.ip, userAgent: log.vars.userAgent, requestId: log.vars.requestId, timestamp: log.vars.now });
}

function withNestedArg(args: Def["args"]): PropertyValidators {
  if (args === undefined) return { [NESTED_ARG]: v.optional(v.string()) };
  const fields = (args as { kind?: string; fields?: PropertyValidators }).kind === "object" ? (args as { fields: PropertyValidators }).fields : (args as PropertyValidators);
  if ((args as { isConvexValidator?: boolean }).isConvexValidator && (args as { kind?: string }).kind !== "object") {
    throw auditError("INVALID_CONFIG", "auditedMutation takes args as an object of validators or v.object(...)");
  }
  return { ...fields, [NESTED_ARG]: v.optional(v.string()) };
}

/** `builder` wrapped so its mutations record their failures (see the module's header for what each mode gives). */
export function auditedMutation<B extends (def: never) => unknown>(auditLog: Logger, builder: B, options: AuditedMutationOptions): B {
  const wrap = (def: Def) => {
    const commit = options.onFailure === "commit";
    const handler = async (ctx: AnyCtx, all: Record<string, unknown>) => {
      const { [NESTED_ARG]: marker, ...args } = all ?? {};
      const run = def.handler as (ctx: AnyCtx, args: Record<string, unknown>) => Promise<unknown>;
      if (!commit) {
        try {
          return await run(ctx, args);
        } catch (e) {
          await mirror(options, failureEvent("mutation", await functionName(ctx), e, options));
          throw e;
        }
      }
      const requestId = (await ctx.meta?.getRequestMetadata?.())?.requestId;
      // The nested call: run the handler. A marker that is not this request's id is a caller's, and ignored.
      if (marker !== undefined && requestId !== undefined && marker === requestId) return await run(ctx, args);
      const name = await functionName(ctx);
      try {
        return await ctx.runMutation(makeFunctionReference<"mutation">(name) as FunctionReference<"mutation">, { ...args, [NESTED_ARG]: requestId });
      } catch (e) {
        const event = failureEvent("mutation", name, e, options);
        await auditLog.log(ctx, event);
        await mirror(options, event);
        const d = describe(e, options.permissionCodes ?? PERMISSION_DENIED_CODES);
        // What Convex itself would tell a client: a ConvexError's data, and nothing of any other error.
        const failure: AuditFailure = d.public
          ? { auditFailure: { message: d.message, ...(d.code ? { code: d.code } : {}), ...(d.data !== undefined ? { data: d.data } : {}) } }
          : { auditFailure: { message: "Server Error" } };
        return failure;
      }
    };
    const registered: Record<string, unknown> = { args: withNestedArg(def.args), handler };
    if (def.returns !== undefined) registered.returns = commit ? v.union(def.returns, vAuditFailure) : def.returns;
    return (builder as unknown as (d: unknown) => unknown)(registered);
  };
  return wrap as unknown as B;
}

/** `builder` wrapped so its actions record a failure, committed, before the error reaches the caller. */
export function auditedAction<B extends (def: never) => unknown>(auditLog: Logger, builder: B, options: AuditedOptions = {}): B {
  const wrap = (def: Def) => {
    const handler = async (ctx: AnyCtx, args: unknown) => {
      try {
        return await (def.handler as (ctx: AnyCtx, args: unknown) => Promise<unknown>)(ctx, args);
      } catch (e) {
        await auditLog.log(ctx, failureEvent("action", await functionName(ctx), e, options));
        throw e;
      }
    };
    return (builder as unknown as (d: unknown) => unknown)({ ...def, handler });
  };
  return wrap as unknown as B;
}

/**
 * `httpAction` wrapped: a handler that throws, or answers 5xx, is recorded
 * as a failure (committed) before the response goes out; a thrown error is
 * thrown on (Convex answers 500).
 */
export function auditedHttpAction<B extends (handler: never) => unknown>(auditLog: Logger, builder: B, options: AuditedOptions & { name?: string } = {}): B {
  const wrap = (handler: (ctx: AnyCtx, request: Request) => Promise<Response>) =>
    (builder as unknown as (h: unknown) => unknown)(async (ctx: AnyCtx, request: Request) => {
      const name = options.name ?? `${request.method} ${new URL(request.url).pathname}`;
      let response: Response;
      try {
        response = await handler(ctx, request);
      } catch (e) {
        await auditLog.log(ctx, failureEvent("httpAction", name, e, options, request));
        throw e;
      }
      if (response.status >= 500) {
        await auditLog.log(ctx, failureEvent("httpAction", name, new Error(`answered ${response.status}`), options, request));
      }
      return response;
    });
  return wrap as unknown as B;
}
