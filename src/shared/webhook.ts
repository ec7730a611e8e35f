/**
 * The webhook sink's contract with its receivers. A batch is a POST whose
 * body is JSON Lines (one event per line, in seal order), signed per
 * Standard Webhooks (signing.ts). `webhook-id` names the batch by its
 * sequence range, so a retry carries the same id; each line carries its
 * event's id (`_id`, or `metadata.uid` in OCSF), so a receiver drops what
 * it already has. A receiver may answer with an acknowledgement of exactly
 * what it read (`webhookAck`): the sender then counts a batch delivered only
 * if the receiver read every byte, and a body cut short on the way (which a
 * receiver answering 200 to anything would not notice) is sent again.
 */
import { auditError } from "./errors.js";
import { sha256Hex } from "./text.js";
import { verifyDelivery } from "./signing.js";

export const WEBHOOK_CONTENT_TYPE = "application/x-ndjson";

/** What a receiver answers: the lines it read and the SHA-256 of the body it got. */
export type WebhookAck = { received: number; sha256: string };

function lines(body: string): string[] {
  return body.split("\n").filter((l) => l.length > 0);
}

/** The acknowledgement of a body as received: answer it as JSON with a 2xx. */
export async function webhookAck(body: string): Promise<WebhookAck> {
  return { received: lines(body).length, sha256: await sha256Hex(body) };
}

/** The id a receiver deduplicates on: the event's `_id`, or its OCSF `metadata.uid`. */
export function deliveredEventId(event: Record<string, unknown>): string | undefined {
  if (typeof event._id === "string") return event._id;
  const meta = event.metadata as { uid?: unknown } | undefined;
  return typeof meta?.uid === "string" ? meta.uid : undefined;
}

/**
 * For receivers: checks the signature (INVALID_SIGNATURE on any failure,
 * including a body that is not the one signed) and parses the batch.
 * Returns the batch id, its events in order, and the acknowledgement to
 * answer with.
 */
export async function verifyWebhookBatch(
  secret: string,
  headers: Headers,
  body: string,
  nowMs: number = Date.now(),
): Promise<{ id: string; events: Record<string, unknown>[]; ack: WebhookAck }> {
  const id = await verifyDelivery(secret, headers, body, nowMs);
  const events = lines(body).map((l, i) => {
    try {
      const parsed: unknown = JSON.parse(l);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
      return parsed as Record<string, unknown>;
    } catch {
      throw auditError("INVALID_ARGUMENT", `line ${i + 1} of the batch is not a JSON object`, `body[${i}]`);
    }
  });
  return { id, events, ack: await webhookAck(body) };
}

/**
 * The sender's check of an answer's acknowledgement: null when it
 * confirms the body, a reason when it does not (or, with `required`, when
 * there is none).
 */
export function checkAck(answer: string, sent: { lines: number; sha256: string; bytes: number }, required: boolean): string | null {
  let ack: Partial<WebhookAck> | undefined;
  try {
    const parsed: unknown = JSON.parse(answer);
    if (typeof parsed === "object" && parsed !== null && "sha256" in parsed) ack = parsed as Partial<WebhookAck>;
  } catch {
    // Not JSON: no acknowledgement.
  }
  if (ack === undefined) return required ? "the receiver answered without an acknowledgement ({received, sha256}) and requireAck is on" : null;
  if (ack.sha256 === sent.sha256) return null;
  return `the receiver acknowledged ${String(ack.received)} line(s) with another SHA-256 than the ${sent.lines} line(s), ${sent.bytes} bytes sent: the body was cut or altered on the way`;
}
