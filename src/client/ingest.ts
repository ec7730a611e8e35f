/**
 * The receiving end of `httpSink`: an HTTP action handler that stores events
 * delivered by a BetterAuth server (or any trusted server holding the shared
 * secret). Every check runs before anything is written, and the events are
 * stored in one `logBulk`, all or none:
 *
 * 1. POST, and a body of at most `maxBodyBytes` (413 otherwise);
 * 2. the Standard Webhooks signature: id, timestamp within the tolerance,
 *    HMAC-SHA-256 under the secret (401 INVALID_SIGNATURE otherwise);
 * 3. `{ events: [...] }`, 1 to 500 events, each with an idempotency key
 *    (400 INVALID_ARGUMENT otherwise), then every event check of `logBulk`
 *    (400 with its typed error).
 *
 * A replayed or retried delivery within the tolerance stores nothing again:
 * each event's idempotency key makes `logBulk` return the stored event's id.
 */
import { auditError, isAuditLogError } from "../shared/errors.js";
import { DEFAULT_TOLERANCE_SECONDS, verifyDelivery } from "../shared/signing.js";
import { LIMITS } from "../shared/validators.js";
import type { LogChangeArgs, RunMutationCtx } from "./types.js";

export type IngestOptions = {
  /** The shared secret, or a function that reads it (from `process.env`) when a request arrives. */
  secret: string | (() => string | undefined);
  /** How old (or how far ahead) a delivery's timestamp may be, in seconds. Default 300. */
  toleranceSeconds?: number;
  /** Largest body accepted. Default 1 MiB. */
  maxBodyBytes?: number;
};

type Logger = { logBulk(ctx: RunMutationCtx, events: LogChangeArgs[]): Promise<string[]> };

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

const refusal = (status: number, e: { data: { code: string; message: string; path?: string } }) => json(status, e.data);

export function ingestHandler(auditLog: Logger, options: IngestOptions) {
  const maxBytes = options.maxBodyBytes ?? 1024 * 1024;
  return async (ctx: RunMutationCtx, request: Request): Promise<Response> => {
    if (request.method !== "POST") return json(405, { code: "INVALID_ARGUMENT", message: "POST events here" });
    const declared = Number(request.headers.get("content-length") ?? "0");
    if (declared > maxBytes) return json(413, { code: "BATCH_TOO_LARGE", message: `the body is over ${maxBytes} bytes` });
    const bytes = new Uint8Array(await request.arrayBuffer());
    if (bytes.byteLength > maxBytes) return json(413, { code: "BATCH_TOO_LARGE", message: `the body is over ${maxBytes} bytes` });
    let body: string;
    try {
      body = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      return json(400, { code: "INVALID_ARGUMENT", message: "the body is not UTF-8" });
    }
    try {
      const secret = typeof options.secret === "function" ? options.secret() : options.secret;
      await verifyDelivery(secret ?? "", request.headers, body, Date.now(), options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS);
    } catch (e) {
      if (isAuditLogError(e, "INVALID_SIGNATURE")) return refusal(401, e);
      // A missing or short secret is the app's configuration, not the caller's fault.
      if (isAuditLogError(e)) return refusal(500, e);
      throw e;
    }
    try {
      const events = parseEvents(body);
      const ids = await auditLog.logBulk(ctx, events);
      return json(200, { ids });
    } catch (e) {
      if (isAuditLogError(e)) return refusal(400, e);
      throw e;
    }
  };
}

function parseEvents(body: string): LogChangeArgs[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw auditError("INVALID_ARGUMENT", "the body is not JSON");
  }
  const events = typeof parsed === "object" && parsed !== null ? (parsed as { events?: unknown }).events : undefined;
  if (!Array.isArray(events) || events.length === 0 || events.length > LIMITS.maxBulk) {
    throw auditError("INVALID_ARGUMENT", `the body must be { events: [...] } with 1 to ${LIMITS.maxBulk} events`, "events");
  }
  events.forEach((e, i) => {
    const key = typeof e === "object" && e !== null ? (e as { idempotencyKey?: unknown }).idempotencyKey : undefined;
    // Without a key a retried delivery would store its events twice.
    if (typeof key !== "string" || key.length === 0) {
      throw auditError("INVALID_ARGUMENT", "every delivered event needs an idempotencyKey", `events[${i}].idempotencyKey`);
    }
  });
  return events as LogChangeArgs[];
}
