/**
 * The webhook sink speaks Standard Webhooks: checked against the spec's
 * reference library (`standardwebhooks`) both ways, and the receivers'
 * helper (`verifyWebhookBatch`) refuses every forgery with a typed error —
 * another secret, another body, id or timestamp, a replay from outside the
 * tolerance, missing or malformed headers — while accepting a rotation's
 * several signatures. The acknowledgement check catches a cut body.
 */
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { describe, expect, test } from "vitest";
import { isAuditLogError } from "../src/shared/errors.js";
import { signDelivery } from "../src/shared/signing.js";
import { sha256Hex } from "../src/shared/text.js";
import { checkAck, deliveredEventId, verifyWebhookBatch, webhookAck } from "../src/shared/webhook.js";

const SECRET = "whsec_" + btoa("0123456789abcdef0123456789abcdef");
const OTHER = "whsec_" + btoa("fedcba9876543210fedcba9876543210");
const NOW = 1_790_000_000_000;
const body = ['{"_id":"e1","seq":0,"action":"user.login"}', '{"_id":"e2","seq":1,"action":"record.updated"}'].join("\n") + "\n";

async function refused(p: Promise<unknown>, code = "INVALID_SIGNATURE") {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(isAuditLogError(err, code as never), String(err)).toBe(true);
}

describe("Standard Webhooks", () => {
  test("what the sink signs, the reference library verifies; what it signs, the helper verifies", async () => {
    const headers = await signDelivery(SECRET, "archive:0-1", NOW / 1000, body);
    // The reference library checks the timestamp against its own clock, and parses the body as one JSON value: a one-event batch.
    const one = body.split("\n")[0] + "\n";
    const fresh = await signDelivery(SECRET, "archive:0-0", Math.floor(Date.now() / 1000), one);
    expect(new Webhook(SECRET).verify(one, fresh)).toEqual({ _id: "e1", seq: 0, action: "user.login" });
    expect(() => new Webhook(OTHER).verify(one, fresh)).toThrow();
    expect(() => new Webhook(SECRET).verify(one.replace("e1", "e9"), fresh)).toThrow();
    const theirs = new Webhook(SECRET).sign("archive:0-1", new Date(NOW), body);
    const got = await verifyWebhookBatch(SECRET, new Headers({ ...headers, "webhook-signature": theirs }), body, NOW);
    expect(got.id).toBe("archive:0-1");
    expect(got.events.map(deliveredEventId)).toEqual(["e1", "e2"]);
    expect(got.ack).toEqual({ received: 2, sha256: await sha256Hex(body) });
  });

  test("every forgery is INVALID_SIGNATURE; a rotation's second signature is accepted", async () => {
    const h = await signDelivery(SECRET, "hooks:0-1", NOW / 1000, body);
    const verify = (headers: Record<string, string>, b = body, now = NOW) => verifyWebhookBatch(SECRET, new Headers(headers), b, now);
    await expect(verify(h)).resolves.toMatchObject({ id: "hooks:0-1" });
    await refused(verifyWebhookBatch(OTHER, new Headers(h), body, NOW));
    await refused(verify(h, body.replace("user.login", "user.logout")));
    await refused(verify(h, body.slice(0, -10)));
    await refused(verify({ ...h, "webhook-id": "hooks:0-2" }));
    await refused(verify({ ...h, "webhook-timestamp": String(NOW / 1000 + 1) }));
    await refused(verify(h, body, NOW + 301_000));
    await refused(verify(h, body, NOW - 301_000));
    await refused(verify({ ...h, "webhook-timestamp": "1e9" }));
    for (const k of ["webhook-id", "webhook-timestamp", "webhook-signature"]) await refused(verify(Object.fromEntries(Object.entries(h).filter(([x]) => x !== k))));
    await refused(verify({ ...h, "webhook-signature": h["webhook-signature"].replace("v1,", "v2,") }));
    await refused(verify({ ...h, "webhook-signature": "v1," + "A".repeat(5000) }));
    const old = await signDelivery(OTHER, "hooks:0-1", NOW / 1000, body);
    await expect(verify({ ...h, "webhook-signature": `${old["webhook-signature"]} ${h["webhook-signature"]}` })).resolves.toMatchObject({ id: "hooks:0-1" });
    // A signed body whose lines are not JSON objects is not a batch.
    const bad = "not json\n";
    await refused(verify(await signDelivery(SECRET, "x", NOW / 1000, bad), bad), "INVALID_ARGUMENT");
  });

  test("random alterations of a signed batch never verify", async () => {
    const h = await signDelivery(SECRET, "hooks:10-19", NOW / 1000, body);
    await fc.assert(
      fc.asyncProperty(fc.nat(body.length - 1), fc.integer({ min: 1, max: 127 }), async (at, delta) => {
        const altered = body.slice(0, at) + String.fromCharCode((body.charCodeAt(at) + delta) % 128) + body.slice(at + 1);
        fc.pre(altered !== body);
        await refused(verifyWebhookBatch(SECRET, new Headers(h), altered, NOW));
      }),
      { numRuns: 200 },
    );
  });

  test("the acknowledgement: the same bytes pass, a cut body is named, none is fine unless required", async () => {
    const ack = JSON.stringify(await webhookAck(body));
    const sent = { lines: 2, sha256: await sha256Hex(body), bytes: body.length };
    expect(checkAck(ack, sent, true)).toBeNull();
    expect(checkAck(JSON.stringify(await webhookAck(body.slice(0, 30))), sent, false)).toMatch(/cut or altered/);
    expect(checkAck("ok", sent, false)).toBeNull();
    expect(checkAck("", sent, true)).toMatch(/requireAck/);
  });
});
