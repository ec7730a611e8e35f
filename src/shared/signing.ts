/**
 * Signed deliveries of events over HTTP, in the Standard Webhooks format
 * (https://www.standardwebhooks.com): headers `webhook-id`,
 * `webhook-timestamp` (seconds) and `webhook-signature`
 * (`v1,<base64 HMAC-SHA-256 of "<id>.<timestamp>.<body>">`, several separated
 * by spaces while a secret is rotated). The BetterAuth plugin's HTTP sink
 * signs with it; the app's ingestion HTTP action verifies with it. Web Crypto
 * only, so it runs in Convex's runtime, in Node and at the edge.
 */
import { auditError } from "./errors.js";

export const SIGNATURE_HEADERS = {
  id: "webhook-id",
  timestamp: "webhook-timestamp",
  signature: "webhook-signature",
} as const;

/** How far a delivery's timestamp may be from the receiver's clock, in seconds (Standard Webhooks' suggestion). */
export const DEFAULT_TOLERANCE_SECONDS = 300;
/** A shared secret shorter than this (in bytes) is refused: it could be guessed. */
export const MIN_SECRET_BYTES = 24;

const encoder = new TextEncoder();

/**
 * The secret's bytes: `whsec_<base64>` as Standard Webhooks spells it, or any
 * other string as its UTF-8 bytes. Too short is INVALID_CONFIG.
 */
export function secretBytes(secret: string | undefined): Uint8Array {
  if (typeof secret !== "string" || secret.length === 0) {
    throw auditError("INVALID_CONFIG", "the signing secret is not set (keep it in an environment variable)", "secret");
  }
  let bytes: Uint8Array;
  if (secret.startsWith("whsec_")) {
    try {
      bytes = Uint8Array.from(atob(secret.slice(6)), (c) => c.charCodeAt(0));
    } catch {
      throw auditError("INVALID_CONFIG", "a whsec_ secret must be base64 after the prefix", "secret");
    }
  } else {
    bytes = encoder.encode(secret);
  }
  if (bytes.length < MIN_SECRET_BYTES) {
    throw auditError("INVALID_CONFIG", `the signing secret must be at least ${MIN_SECRET_BYTES} bytes`, "secret");
  }
  return bytes;
}

async function hmac(key: Uint8Array, text: string): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", key as BufferSource, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, encoder.encode(text)));
}

function base64(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** The three headers for `body`, sent at `timestampSeconds`. */
export async function signDelivery(
  secret: string,
  id: string,
  timestampSeconds: number,
  body: string,
): Promise<Record<string, string>> {
  const mac = await hmac(secretBytes(secret), `${id}.${timestampSeconds}.${body}`);
  return {
    [SIGNATURE_HEADERS.id]: id,
    [SIGNATURE_HEADERS.timestamp]: String(timestampSeconds),
    [SIGNATURE_HEADERS.signature]: `v1,${base64(mac)}`,
  };
}

/** Equal strings, in time that does not depend on where they differ. */
function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}

/**
 * Checks a delivery: its id and timestamp present, the timestamp within
 * `toleranceSeconds` of `nowMs` (an older one is a replay or a stuck queue),
 * and one of its `v1` signatures the HMAC of id, timestamp and body under the
 * secret. Any failure is INVALID_SIGNATURE, with nothing about the expected
 * value in the message. Returns the delivery id.
 */
export async function verifyDelivery(
  secret: string,
  headers: Headers,
  body: string,
  nowMs: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): Promise<string> {
  const key = secretBytes(secret);
  const id = headers.get(SIGNATURE_HEADERS.id);
  const ts = headers.get(SIGNATURE_HEADERS.timestamp);
  const signatures = headers.get(SIGNATURE_HEADERS.signature);
  const refuse = (why: string) => auditError("INVALID_SIGNATURE", why);
  if (!id || !ts || !signatures) throw refuse("the delivery is not signed (webhook-id, webhook-timestamp and webhook-signature are required)");
  if (id.length > 256 || signatures.length > 4096) throw refuse("the signature headers are malformed");
  if (!/^\d{1,12}$/.test(ts)) throw refuse("webhook-timestamp must be seconds since the epoch");
  if (Math.abs(nowMs / 1000 - Number(ts)) > toleranceSeconds) {
    throw refuse(`the delivery's timestamp is more than ${toleranceSeconds} s from now (a replay, or a clock that is off)`);
  }
  const expected = base64(await hmac(key, `${id}.${ts}.${body}`));
  const offered = signatures
    .split(" ")
    .filter((s) => s.startsWith("v1,"))
    .map((s) => s.slice(3));
  if (!offered.some((s) => constantTimeEqual(s, expected))) throw refuse("no signature matches");
  return id;
}
