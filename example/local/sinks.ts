/**
 * The demo's delivery sinks: a local S3-compatible server (s3rver) and a
 * webhook receiver that checks every batch's signature, both on 127.0.0.1
 * (dev/deliveryServers.ts), and the two sinks the example app configures
 * to them through its own `sinks.configure`:
 *
 *   archive → the S3 bucket `audit-archive`, under `audit/`, one gzipped
 *             JSON Lines object per batch and day (and a checkpoint beside them)
 *   siem    → the webhook receiver, signed per Standard Webhooks
 *
 * Their credentials reach the delivery steps as in a deployment: from the
 * app's `sinks.credentials` query, which reads AUDIT_SINK_CREDENTIALS from
 * the environment (set here, before the sinks are configured). Nothing
 * leaves the machine.
 */
import { webcrypto } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { S3_KEY, startS3, startWebhookReceiver, type S3Server, type WebhookReceiver } from "../../dev/deliveryServers.js";
import type { SinkTarget } from "../../src/shared/delivery.js";
import { internal } from "../convex/_generated/api.js";
import type { LocalConvex } from "./runtime.js";

export const DEMO_BUCKET = "audit-archive";
export const DEMO_PREFIX = "audit/";
export const DEMO_SINK_NAMES = { archive: "archive", siem: "siem" } as const;

/** What arrived at the sinks' servers, as `/_local/sinks` shows it. */
export type SinksArrived = {
  s3: { url: string; bucket: string; prefix: string; objects: number; checkpoints: number; keys: string[] };
  webhook: {
    url: string;
    batches: number;
    events: number;
    /** Distinct event ids: a batch sent again (a retry, a backfill) carries the same ids. */
    distinctEvents: number;
    refused: number;
    recent: { id: string; events: number; firstSeq: number | null; lastSeq: number | null }[];
  };
};

export type DemoSinks = {
  s3: S3Server;
  webhook: WebhookReceiver;
  bucket: string;
  /** The value of AUDIT_SINK_CREDENTIALS: a JSON object by sink name. */
  credentials: Record<string, unknown>;
  targets: { archive: SinkTarget; siem: SinkTarget };
  /** Configures both sinks through the example's `sinks.configure` (after setting the credentials in the environment). */
  configure(convex: LocalConvex): Promise<void>;
  arrived(): Promise<SinksArrived>;
  /** One S3 object's events (gunzipped JSON Lines), or a checkpoint's JSON, as text. */
  object(key: string): Promise<string>;
  /** Console lines: where the servers are and how to look at what arrived. */
  describe(runtimeUrl: string): string[];
  close(): Promise<void>;
};

export async function startDemoSinks(): Promise<DemoSinks> {
  const secret = "whsec_" + Buffer.from(webcrypto.getRandomValues(new Uint8Array(24))).toString("base64");
  const s3 = await startS3([DEMO_BUCKET]);
  let webhook: WebhookReceiver;
  try {
    webhook = await startWebhookReceiver(secret);
  } catch (e) {
    await s3.close();
    throw e;
  }
  const credentials = { [DEMO_SINK_NAMES.archive]: { ...S3_KEY }, [DEMO_SINK_NAMES.siem]: { secret } };
  const targets = {
    archive: { kind: "s3", endpoint: s3.url, bucket: DEMO_BUCKET, region: "us-east-1", prefix: DEMO_PREFIX } as SinkTarget,
    siem: { kind: "webhook", url: webhook.url, requireAck: true } as SinkTarget,
  };

  return {
    s3,
    webhook,
    bucket: DEMO_BUCKET,
    credentials,
    targets,
    async configure(convex) {
      // The deployment's environment, which the app's `sinks.credentials` query reads at each batch.
      process.env.AUDIT_SINK_CREDENTIALS = JSON.stringify(credentials);
      // Small batches and short retries, so the demo shows several batches and recovers quickly.
      const retry = { baseMs: 500, maxMs: 10_000, maxAttempts: 20 };
      await convex.t.mutation(internal.sinks.configure, { name: DEMO_SINK_NAMES.archive, target: targets.archive, format: "event", batchEvents: 200, retry, timeoutMs: 10_000 });
      await convex.t.mutation(internal.sinks.configure, { name: DEMO_SINK_NAMES.siem, target: targets.siem, format: "event", batchEvents: 50, retry, timeoutMs: 10_000 });
    },
    async arrived() {
      const keys = await s3.list(DEMO_BUCKET, DEMO_PREFIX);
      const received = webhook.received;
      const ids = new Set(received.flatMap((b) => b.ids));
      return {
        s3: {
          url: s3.url,
          bucket: DEMO_BUCKET,
          prefix: DEMO_PREFIX,
          objects: keys.filter((k) => k.endsWith(".jsonl.gz")).length,
          checkpoints: keys.filter((k) => k.includes("/checkpoints/")).length,
          keys,
        },
        webhook: {
          url: webhook.url,
          batches: received.length,
          events: received.reduce((n, b) => n + b.ids.length, 0),
          distinctEvents: ids.size,
          refused: webhook.refused,
          recent: received.slice(-20).map((b) => ({ id: b.id, events: b.ids.length, firstSeq: b.seqs[0] ?? null, lastSeq: b.seqs[b.seqs.length - 1] ?? null })),
        },
      };
    },
    async object(key) {
      const body = await s3.get(DEMO_BUCKET, key);
      return key.endsWith(".gz") ? gunzipSync(body).toString("utf8") : body.toString("utf8");
    },
    describe(runtimeUrl) {
      return [
        `sinks: archive → S3 ${s3.url}, bucket ${DEMO_BUCKET}, prefix ${DEMO_PREFIX} (s3rver; key id ${S3_KEY.accessKeyId}, secret ${S3_KEY.secretAccessKey})`,
        `       siem    → webhook ${webhook.url} (signed; the receiver verifies every batch)`,
        `       what arrived: ${runtimeUrl}/_local/sinks  ·  one object: ${runtimeUrl}/_local/sinks/s3/<key>`,
        `       the bucket itself: curl '${s3.url}/${DEMO_BUCKET}?list-type=2&prefix=${DEMO_PREFIX}'  (s3rver lists without a signature),`,
        `       or AWS_ACCESS_KEY_ID=${S3_KEY.accessKeyId} AWS_SECRET_ACCESS_KEY=${S3_KEY.secretAccessKey} aws --endpoint-url ${s3.url} s3 ls s3://${DEMO_BUCKET}/ --recursive`,
      ];
    },
    async close() {
      await Promise.allSettled([webhook.close(), s3.close()]);
    },
  };
}
