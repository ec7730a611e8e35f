/**
 * Sending a claimed batch (deliveryBatch.ts) over HTTP, in the delivery
 * step's action: S3 PUTs signed with SigV4 (aws4fetch), Standard Webhooks
 * POSTs (signing.ts), OTLP/HTTP JSON POSTs. Each answer is checked for what
 * it says about the bytes that arrived, not only for its status: S3's ETag
 * against the MD5 of the gzip sent (and Content-MD5 plus the payload's
 * SHA-256 in the signature, so S3 itself refuses a body cut on the way), a
 * webhook receiver's acknowledgement, OTLP's partial success. A failure is a
 * `DeliveryError` saying whether a retry can help.
 *
 * Credentials come from the app's function for this one call and are never
 * written anywhere; `scrub` takes them out of any error text before it is
 * stored in the sink's status.
 */
import { AwsClient } from "aws4fetch";
import { gzipSync } from "fflate";
import { md5 } from "@noble/hashes/legacy";
import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex } from "@noble/hashes/utils";
import type { OtlpCredentials, S3Credentials, SinkCredentials, WebhookCredentials } from "../shared/delivery.js";
import { redactSecretsInText } from "../shared/secrets.js";
import { signDelivery } from "../shared/signing.js";
import { sha256Hex, utf8Length } from "../shared/text.js";
import { checkAck, WEBHOOK_CONTENT_TYPE } from "../shared/webhook.js";
import type { Batch } from "./deliveryBatch.js";

export class DeliveryError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
    readonly httpStatus?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export type Sent = { requests: number; bytes: number };

const encoder = new TextEncoder();
const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

/** Statuses a retry can help with (RFC 9110, and OTLP/HTTP's list): timeouts, throttling, server trouble. */
const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

function retryAfter(res: Response): number | undefined {
  const h = res.headers.get("retry-after");
  if (h === null) return undefined;
  const seconds = Number(h);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(h);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** A fetch that gives up after `timeoutMs`, and whose network failures are DeliveryErrors. */
async function send(fetcher: typeof fetch, url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await fetcher(url, { ...init, signal: controller.signal });
  } catch (e) {
    if (controller.signal.aborted) throw new DeliveryError("TIMEOUT", `no answer from ${hostOf(url)} within ${timeoutMs} ms`, true);
    const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : "";
    throw new DeliveryError("UNREACHABLE", `${hostOf(url)} could not be reached (${e instanceof Error ? e.message : String(e)}${cause})`, true);
  } finally {
    clearTimeout(timer);
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "the endpoint";
  }
}

/** A non-2xx answer as a DeliveryError: its status, and the first few hundred characters of what it said. */
async function refused(res: Response, what: string, classify?: (status: number, text: string) => { code: string; retryable: boolean } | undefined): Promise<never> {
  const text = (await res.text().catch(() => "")).slice(0, 2000);
  const s3Code = /<Code>([^<]{1,64})<\/Code>/.exec(text)?.[1];
  const s3Message = /<Message>([^<]{1,300})<\/Message>/.exec(text)?.[1];
  const said = s3Code !== undefined ? `${s3Code}${s3Message ? `: ${s3Message}` : ""}` : text.replace(/\s+/g, " ").trim().slice(0, 300);
  const kind = classify?.(res.status, said) ?? { code: `HTTP_${res.status}`, retryable: RETRYABLE_STATUS.has(res.status) };
  throw new DeliveryError(kind.code, `${what} answered ${res.status}${said ? ` (${said})` : ""}`, kind.retryable, res.status, retryAfter(res));
}

function need<T extends SinkCredentials>(creds: unknown, fields: (keyof T)[], name: string): T {
  const c = creds as Record<string, unknown> | null | undefined;
  const missing = fields.filter((f) => typeof c?.[f as string] !== "string" || (c[f as string] as string).length === 0);
  if (c === null || typeof c !== "object" || missing.length > 0) {
    throw new DeliveryError("CREDENTIALS", `the app's credentials function returned no ${missing.join(", ") || "object"} for sink ${name}`, false);
  }
  return c as T;
}

function s3Url(target: Extract<Batch["target"], { kind: "s3" }>, key: string): string {
  const path = key.split("/").map(encodeURIComponent).join("/");
  const base = target.endpoint.replace(/\/+$/, "");
  if (target.addressing === "virtual") {
    const u = new URL(base);
    return `${u.protocol}//${target.bucket}.${u.host}${u.pathname.replace(/\/+$/, "")}/${path}`;
  }
  return `${base}/${target.bucket}/${path}`;
}

const s3Status = (status: number, said: string) => {
  if (said.startsWith("NoSuchBucket")) return { code: "NO_SUCH_BUCKET", retryable: false };
  if (status === 401 || status === 403) return { code: "FORBIDDEN", retryable: false };
  if (said.startsWith("SlowDown")) return { code: "HTTP_503", retryable: true };
  if (said.startsWith("BadDigest") || said.startsWith("XAmzContentSHA256Mismatch") || said.startsWith("IncompleteBody")) {
    return { code: "TRUNCATED", retryable: true };
  }
  return undefined;
};

async function putObject(fetcher: typeof fetch, client: AwsClient, batch: Batch, key: string, body: Uint8Array, contentType: string): Promise<void> {
  const t = batch.target as Extract<Batch["target"], { kind: "s3" }>;
  const url = s3Url(t, key);
  const md5sum = md5(body);
  const signed = await client.sign(url, {
    method: "PUT",
    body: body as BodyInit,
    headers: { "content-type": contentType, "content-md5": b64(md5sum), "x-amz-content-sha256": bytesToHex(sha256(body)) },
  });
  const res = await send(fetcher, signed.url, { method: "PUT", headers: signed.headers, body: body as BodyInit }, batch.timeoutMs);
  if (!res.ok) await refused(res, `S3 PUT ${key}`, s3Status);
  await res.text().catch(() => "");
  const etag = res.headers.get("etag")?.replace(/"/g, "");
  if (t.checkEtag !== false && etag !== undefined && /^[0-9a-f]{32}$/i.test(etag) && etag.toLowerCase() !== bytesToHex(md5sum)) {
    throw new DeliveryError("TRUNCATED", `S3 stored ${key} with ETag ${etag}, not the MD5 of the ${body.length} bytes sent: the body was cut or altered on the way`, true);
  }
}

async function sendS3(fetcher: typeof fetch, batch: Batch, creds: unknown): Promise<Sent> {
  const t = batch.target as Extract<Batch["target"], { kind: "s3" }>;
  const c = need<S3Credentials>(creds, ["accessKeyId", "secretAccessKey"], batch.name);
  const client = new AwsClient({ accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken, service: "s3", region: t.region ?? "us-east-1" });
  let bytes = 0;
  for (const part of batch.parts) {
    // mtime 0: the same lines give the same bytes, so an object sent again is the same object.
    const gz = gzipSync(encoder.encode(part.body), { mtime: 0 });
    await putObject(fetcher, client, batch, part.key, gz, "application/gzip");
    bytes += gz.length;
  }
  if (batch.checkpoint !== undefined) {
    const { key, ...cp } = batch.checkpoint;
    const body = encoder.encode(JSON.stringify(cp) + "\n");
    await putObject(fetcher, client, batch, key, body, "application/json");
    bytes += body.length;
  }
  return { requests: batch.parts.length + (batch.checkpoint ? 1 : 0), bytes };
}

async function sendWebhook(fetcher: typeof fetch, batch: Batch, creds: unknown): Promise<Sent> {
  const t = batch.target as Extract<Batch["target"], { kind: "webhook" }>;
  const c = need<WebhookCredentials>(creds, ["secret"], batch.name);
  let bytes = 0;
  for (const part of batch.parts) {
    const headers = await signDelivery(c.secret, part.key, Math.floor(Date.now() / 1000), part.body);
    const res = await send(fetcher, t.url, { method: "POST", headers: { ...headers, "content-type": WEBHOOK_CONTENT_TYPE }, body: part.body }, batch.timeoutMs);
    if (!res.ok) {
      await refused(res, "the webhook receiver", (status) => (status === 401 || status === 403 ? { code: "FORBIDDEN", retryable: false } : undefined));
    }
    const answer = (await res.text().catch(() => "")).slice(0, 4096);
    const size = utf8Length(part.body);
    const problem = checkAck(answer, { lines: part.lines, sha256: await sha256Hex(part.body), bytes: size }, t.requireAck === true);
    if (problem !== null) throw new DeliveryError("TRUNCATED", problem, true, res.status);
    bytes += size;
  }
  return { requests: batch.parts.length, bytes };
}

async function sendOtlp(fetcher: typeof fetch, batch: Batch, creds: unknown): Promise<Sent> {
  const t = batch.target as Extract<Batch["target"], { kind: "otlp" }>;
  const headers = (creds as OtlpCredentials | null | undefined)?.headers ?? {};
  if (typeof headers !== "object" || Object.values(headers).some((h) => typeof h !== "string")) {
    throw new DeliveryError("CREDENTIALS", `the app's credentials function returned headers that are not strings for sink ${batch.name}`, false);
  }
  let bytes = 0;
  for (const part of batch.parts) {
    const res = await send(fetcher, t.url, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: part.body }, batch.timeoutMs);
    if (!res.ok) await refused(res, "the OTLP endpoint", (status) => (status === 401 || status === 403 ? { code: "FORBIDDEN", retryable: false } : undefined));
    const answer = await res.text().catch(() => "");
    let rejected = 0;
    let why = "";
    try {
      const p = (JSON.parse(answer || "{}") as { partialSuccess?: { rejectedLogRecords?: number | string; errorMessage?: string } }).partialSuccess;
      rejected = Number(p?.rejectedLogRecords ?? 0);
      why = p?.errorMessage ?? "";
    } catch {
      // A 2xx without a JSON body: OTLP allows an empty answer.
    }
    // OTLP says not to retry a partial success: the collector will refuse the same records again.
    if (rejected > 0) throw new DeliveryError("REJECTED", `the OTLP endpoint rejected ${rejected} of ${part.lines} log records${why ? ` (${why.slice(0, 300)})` : ""}`, false, res.status);
    bytes += utf8Length(part.body);
  }
  return { requests: batch.parts.length, bytes };
}

/** Sends every part of the batch (and its checkpoint); throws a DeliveryError at the first that does not arrive whole. */
export async function sendBatch(batch: Batch, creds: unknown, fetcher: typeof fetch = fetch): Promise<Sent> {
  switch (batch.target.kind) {
    case "s3":
      return await sendS3(fetcher, batch, creds);
    case "webhook":
      return await sendWebhook(fetcher, batch, creds);
    case "otlp":
      return await sendOtlp(fetcher, batch, creds);
    case "convexAudit":
      throw new Error("the log.audit mirror is sent by its own mutation step");
    default:
      return batch.target satisfies never;
  }
}

/** Every string of the credentials, so error text can be cleaned of them. */
export function secretsOf(creds: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === "string" && v.length >= 4) out.push(v);
    else if (typeof v === "object" && v !== null) Object.values(v).forEach(walk);
  };
  walk(creds);
  return out;
}

/** Error text fit to store: no credential, nothing shaped like a secret, at most 1,000 characters. */
export function scrub(message: string, secrets: string[]): string {
  let out = message;
  for (const s of secrets) out = out.split(s).join("[redacted]");
  return redactSecretsInText(out).slice(0, 1000);
}
