/**
 * Where the plugin's events go.
 *
 * - `convexSink(auditLog, ctx)`: BetterAuth running inside Convex (through
 *   `@convex-dev/better-auth`, whose `createAuth(ctx)` builds the auth per
 *   call). The events are logged through the app's AuditLog with that `ctx`:
 *   in a mutation, in the same transaction as the auth write, so one commits
 *   only with the other; in an HTTP action, in a mutation of their own.
 * - `httpSink({ url, secret })`: BetterAuth on its own server. Each batch is
 *   POSTed to the app's ingestion HTTP action, signed (Standard Webhooks:
 *   HMAC-SHA-256 over id, timestamp and body with a shared secret), and
 *   retried on network errors and 5xx; every event carries its own
 *   idempotency key, so a retried delivery stores nothing twice.
 */
import type { AuditLog } from "../client/auditLog.js";
import type { RunMutationCtx } from "../client/types.js";
import { auditError } from "../shared/errors.js";
import { signDelivery } from "../shared/signing.js";
import type { AuditSink, TrailEvent } from "./plugin.js";

type Logger = Pick<AuditLog<never>, "logBulk">;

export function convexSink(auditLog: Logger, ctx: Partial<RunMutationCtx>): AuditSink {
  return {
    send: async (events: TrailEvent[]) => {
      if (typeof ctx.runMutation !== "function") {
        // A query's ctx cannot write: an auth call that must be recorded cannot run there.
        throw auditError("INVALID_CONFIG", "convexSink needs a mutation's, an action's or an HTTP action's ctx to record auth events");
      }
      return await auditLog.logBulk(ctx as RunMutationCtx, events as never);
    },
  };
}

export type HttpSinkOptions = {
  /** The app's ingestion HTTP action, e.g. `https://<deployment>.convex.site/audit/ingest`. */
  url: string;
  /** The shared secret (`whsec_<base64>` or any string of 24+ bytes); the same one the ingestion action verifies with. */
  secret: string;
  /** Attempts in all, network errors and 5xx answers retried with backoff. Default 3. */
  attempts?: number;
  /** For tests and unusual runtimes. Default `globalThis.fetch`. */
  fetch?: (request: Request) => Promise<Response>;
};

export function httpSink(options: HttpSinkOptions): AuditSink {
  const attempts = Math.max(1, options.attempts ?? 3);
  const send = options.fetch ?? ((r: Request) => globalThis.fetch(r));
  return {
    send: async (events: TrailEvent[]) => {
      const body = JSON.stringify({ events });
      // One id per delivery, kept across its retries, as Standard Webhooks has it.
      const id = `msg_${crypto.randomUUID()}`;
      let last: unknown;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const headers = await signDelivery(options.secret, id, Math.floor(Date.now() / 1000), body);
        try {
          const response = await send(
            new Request(options.url, { method: "POST", body, headers: { ...headers, "content-type": "application/json" } }),
          );
          if (response.ok) return await response.json().catch(() => null);
          last = new Error(`audit ingestion answered ${response.status}: ${(await response.text()).slice(0, 512)}`);
          // A refusal (bad signature, bad event) will not pass on a retry.
          if (response.status < 500 && response.status !== 408 && response.status !== 429) break;
        } catch (e) {
          last = e;
        }
        if (attempt < attempts) await new Promise((r) => setTimeout(r, 100 * 4 ** (attempt - 1)));
      }
      throw last;
    },
  };
}
