// @vitest-environment node
import { afterAll, beforeAll, expect, test } from "vitest";
import { harness, events, setEnv } from "./support/deliveryHarness.js";
import { S3_KEY, startFaultProxy, startOtlpReceiver, startS3, startWebhookReceiver, type S3Server } from "../dev/deliveryServers.js";

const SECRET = "whsec_" + btoa("x".repeat(32));
let s3: S3Server;
const closers: Array<() => Promise<void>> = [];
beforeAll(async () => {
  s3 = await startS3();
  closers.push(s3.close);
});
afterAll(async () => {
  for (const c of closers) await c();
});

test("smoke", async () => {
  setEnv({ archive: S3_KEY, hooks: { secret: SECRET }, otel: { headers: { authorization: "Bearer t0ken-abc" } } });
  const proxy = await startFaultProxy(s3.url, { s3Key: S3_KEY });
  closers.push(proxy.close);
  const hook = await startWebhookReceiver(SECRET);
  closers.push(hook.close);
  const otel = await startOtlpReceiver();
  closers.push(otel.close);
  const h = harness();
  await h.log(events(120));
  await h.sealAll();
  await h.checkpoint();
  await h.configure({ name: "archive", target: { kind: "s3", endpoint: proxy.url, bucket: "audit", prefix: "p1" }, batchEvents: 25 });
  await h.configure({ name: "hooks", target: { kind: "webhook", url: hook.url }, batchEvents: 25 });
  await h.configure({ name: "otel", target: { kind: "otlp", url: otel.url }, batchEvents: 50 });
  const a = await h.settle("archive");
  console.log(JSON.stringify(a, null, 1));
  const objs = await s3.objects("audit", "p1/");
  console.log([...objs.keys()], await s3.list("audit", "p1/checkpoints"));
  console.log(await h.settle("hooks"), hook.received.length);
  console.log(await h.settle("otel"), otel.records.length);
  expect(a.lagEvents).toBe(0);
});
