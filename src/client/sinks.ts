/**
 * Delivery sinks from the app's side. The one thing only the app can do is
 * hold the credentials: components cannot read the app's environment, and
 * a secret stored in the component's tables would be in every backup. So
 * the app names one of its own queries, which the delivery step calls for
 * each batch and which reads the secrets from `process.env`; the component
 * stores only that query's function handle.
 *
 * ```ts
 * // convex/auditSinks.ts
 * export const credentials = internalQuery({
 *   args: vSinkCredentialsArgs,
 *   handler: async (_ctx, { sink }) =>
 *     sink === "archive"
 *       ? { accessKeyId: process.env.AUDIT_S3_KEY_ID!, secretAccessKey: process.env.AUDIT_S3_SECRET! }
 *       : { secret: process.env.AUDIT_WEBHOOK_SECRET! },
 * });
 * ```
 */
import { createFunctionHandle, type FunctionReference } from "convex/server";
import { v } from "convex/values";
import type { ComponentApi } from "../component/_generated/component.js";
import type { SinkTarget } from "../shared/delivery.js";
import type { RunMutationCtx } from "./types.js";

/** The arguments the credentials query is called with: the sink's name and kind. */
export const vSinkCredentialsArgs = { sink: v.string(), kind: v.string() };

export type ConfigureSinkArgs = {
  name: string;
  target: SinkTarget;
  /** `event` (the sealed event, verifiable like an export's line; the default) or `ocsf`; `otlp` for an OTLP sink. */
  format?: "event" | "ocsf" | "otlp";
  batchEvents?: number;
  retry?: { baseMs?: number; maxMs?: number; maxAttempts?: number };
  timeoutMs?: number;
  /** Your query that returns this sink's credentials (`internal.auditSinks.credentials`), or its function handle. */
  credentials?: FunctionReference<"query", "internal" | "public"> | string;
  /** Start from this sequence number instead of the first event. */
  fromSeq?: number;
  /** Who made the change (the signed-in user when left out). */
  by?: string;
};

export async function configureSink(
  component: ComponentApi,
  ctx: RunMutationCtx,
  args: ConfigureSinkArgs,
  by: string | undefined,
  options: object,
): Promise<{ created: boolean }> {
  const { credentials, ...rest } = args;
  const handle = credentials === undefined || typeof credentials === "string" ? credentials : await createFunctionHandle(credentials);
  return await ctx.runMutation(component.sinks.configure, {
    ...rest,
    ...(handle !== undefined ? { credentials: handle } : {}),
    ...(by !== undefined ? { by } : {}),
    options,
  });
}
