/**
 * Delivery sinks in the example dashboard (issue [delivery]): the local
 * runtime started as `npm run demo` starts it, with a local S3 server and
 * webhook receiver (example/local/sinks.ts), the `archive` (S3) and `siem`
 * (webhook) sinks configured through the app's own `sinks.configure`, and
 * the "Delivery sinks" panel driven in Chromium: both sinks catch up, one
 * is paused and falls behind while events are logged, resumed and catches
 * up, backfilled and sends again. What the panel says is checked against
 * what the servers really hold: the bucket's keys and objects, and the
 * batches the webhook receiver verified.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { repoRoot } from "../../example/local/runtime.js";
import { buildApp } from "../../example/local/app.js";
import { startLocalRuntime, type LocalRuntime } from "../../example/local/server.js";
import { DEMO_BUCKET, DEMO_PREFIX, type DemoSinks, type SinksArrived } from "../../example/local/sinks.js";
import { internal } from "../../example/convex/_generated/api.js";
import { startFaultProxy } from "../../dev/deliveryServers.js";
import { launchChromium, openAs, pageErrors } from "./browser.js";

const distDir = join(repoRoot, "test-results", "e2e-app-sinks");
const shots = join(repoRoot, "test-results", "screenshots");

let runtime: LocalRuntime;
let sinks: DemoSinks;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  await buildApp(distDir);
  runtime = await startLocalRuntime({ port: 0, staticDir: distDir, quiet: true, sinks: true, rollupEveryMs: 500, checkpointEveryMs: 1_000 });
  sinks = runtime.sinks!;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await runtime?.close();
});


const open = (as: string) => openAs(browser, runtime.url, as, 1800);

async function finish(page: Page, name: string) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  expect(pageErrors(page)).toEqual([]);
  await page.close();
}

const card = (page: Page, name: string): Locator => page.getByTestId("panel-sinks").locator(`[data-testid="sink"][data-name="${name}"]`);
const attr = async (c: Locator, name: string) => (await c.getAttribute(name)) ?? "";
const num = async (c: Locator, name: string) => Number(await attr(c, name));

/** Waits until the card says the sink is active, has delivered, and has nothing sealed left to deliver. */
async function caughtUp(c: Locator, timeout = 30_000) {
  await expect
    .poll(async () => `${await attr(c, "data-status")} lag=${await attr(c, "data-lag-events")} delivered>0=${(await num(c, "data-delivered")) > 0}`, { timeout })
    .toBe("active lag=0 delivered>0=true");
}

/** Every sequence number in the bucket's event objects (each line is a sealed event with its `seq`). */
async function seqsInBucket(): Promise<number[]> {
  const objects = await sinks.s3.objects(DEMO_BUCKET, DEMO_PREFIX);
  return [...objects.values()].flatMap((events) => events.map((e) => e.seq as number));
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const distinct = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b);

describe("delivery sinks in the dashboard", () => {
  test("both sinks catch up; pause, fall behind, resume, catch up; backfill sends again; the servers hold what the panel says", async () => {
    const page = await open("root");
    const archive = card(page, "archive");
    const siem = card(page, "siem");
    await archive.waitFor({ timeout: 15_000 });
    expect(await attr(archive, "data-kind")).toBe("s3");
    expect(await attr(siem, "data-kind")).toBe("webhook");
    expect(await archive.getByTestId("sink-target").textContent()).toContain(`${sinks.s3.url}/${DEMO_BUCKET}/${DEMO_PREFIX}`);
    expect(await siem.getByTestId("sink-target").textContent()).toBe(sinks.webhook.url);

    // 1. Both reach lag 0 with the seeded story delivered.
    await caughtUp(archive);
    await caughtUp(siem);
    for (const c of [archive, siem]) {
      expect(await num(c, "data-last-delivered-seq")).toBe((await num(c, "data-next-seq")) - 1);
      expect(await num(c, "data-bytes-sent")).toBeGreaterThan(0);
      expect(await c.getByTestId("sink-last-delivered").textContent()).toMatch(/^seq \d+ at /);
    }
    // The bucket really holds every delivered event, in gzipped JSON Lines objects, and a checkpoint beside them.
    const keys = await sinks.s3.list(DEMO_BUCKET, DEMO_PREFIX);
    expect(keys.some((k) => /^audit\/events\/dt=\d{4}-\d{2}-\d{2}\/events-\d{12}-\d{12}\.jsonl\.gz$/.test(k))).toBe(true);
    expect(keys.some((k) => k.startsWith(`${DEMO_PREFIX}checkpoints/`))).toBe(true);
    const archived = await num(archive, "data-next-seq");
    expect(distinct(await seqsInBucket()).slice(0, archived)).toEqual(range(archived));
    // The receiver verified the signature of every batch it got, and got every delivered event.
    expect(sinks.webhook.refused).toBe(0);
    const hooked = await num(siem, "data-next-seq");
    expect(distinct(sinks.webhook.received.flatMap((b) => b.seqs)).slice(0, hooked)).toEqual(range(hooked));

    // 2. Pause the webhook sink: it says so, and falls behind while events are logged.
    await siem.getByTestId("sink-pause").click();
    await expect.poll(() => attr(siem, "data-status"), { timeout: 10_000 }).toBe("paused");
    expect(await siem.getByTestId("sink-resume").isEnabled()).toBe(true);
    const batchesWhilePaused = sinks.webhook.received.length;
    const pausedAt = await num(siem, "data-next-seq");
    await page.getByTestId("generate-burst-count").fill("120");
    await page.getByTestId("generate-burst").click();
    await expect.poll(() => num(siem, "data-lag-events"), { timeout: 20_000 }).toBeGreaterThanOrEqual(120);
    // The archive goes on without it.
    await expect.poll(() => num(archive, "data-next-seq"), { timeout: 20_000 }).toBeGreaterThanOrEqual(pausedAt + 120);
    await caughtUp(archive);
    expect(await num(siem, "data-next-seq")).toBe(pausedAt);
    expect(sinks.webhook.received.length).toBe(batchesWhilePaused);
    await page.getByTestId("panel-sinks").screenshot({ path: join(shots, "sinks-paused.png") });

    // 3. Resume: it catches up, and the receiver has every event up to the cursor.
    const deliveredBeforeResume = await num(siem, "data-delivered");
    await siem.getByTestId("sink-resume").click();
    await expect.poll(() => num(siem, "data-next-seq"), { timeout: 20_000 }).toBeGreaterThanOrEqual(pausedAt + 120);
    await caughtUp(siem);
    expect(await num(siem, "data-delivered")).toBeGreaterThanOrEqual(deliveredBeforeResume + 120);
    expect(sinks.webhook.received.length).toBeGreaterThan(batchesWhilePaused);
    const resumedTo = await num(siem, "data-next-seq");
    expect(distinct(sinks.webhook.received.flatMap((b) => b.seqs)).slice(0, resumedTo)).toEqual(range(resumedTo));
    // The bucket has the burst too.
    const archivedNow = await num(archive, "data-next-seq");
    expect(distinct(await seqsInBucket()).slice(0, archivedNow)).toEqual(range(archivedNow));

    // 4. Backfill the webhook sink from seq 0: the totals grow by everything sent again,
    //    with the same batch ids and event ids (a receiver drops what it has).
    const before = { delivered: await num(siem, "data-delivered"), batches: await num(siem, "data-batches"), received: sinks.webhook.received.length };
    const idsBefore = new Set(sinks.webhook.received.flatMap((b) => b.ids));
    await siem.getByTestId("sink-backfill-from").fill("0");
    await siem.getByTestId("sink-backfill").click();
    await expect.poll(async () => (await siem.getByTestId("sink-action-result").textContent()) ?? "", { timeout: 10_000 }).toMatch(/Backfill: sending again from seq 0/);
    await expect.poll(() => num(siem, "data-delivered"), { timeout: 30_000 }).toBeGreaterThanOrEqual(before.delivered + resumedTo);
    await caughtUp(siem);
    expect(await num(siem, "data-batches")).toBeGreaterThan(before.batches);
    expect(sinks.webhook.received.length).toBeGreaterThan(before.received);
    const resent = sinks.webhook.received.slice(before.received);
    expect(resent[0].seqs[0]).toBe(0);
    expect(resent.flatMap((b) => b.ids).filter((id) => idsBefore.has(id)).length).toBeGreaterThanOrEqual(resumedTo);
    expect(sinks.webhook.refused).toBe(0);

    // Backfilling the archive writes the same objects again: the totals grow, the keys do not double.
    const eventKeys = async () => (await sinks.s3.list(DEMO_BUCKET, `${DEMO_PREFIX}events/`)).sort();
    const keysBefore = await eventKeys();
    const archiveDelivered = await num(archive, "data-delivered");
    await archive.getByTestId("sink-backfill-from").fill("0");
    await archive.getByTestId("sink-backfill").click();
    await expect.poll(() => num(archive, "data-delivered"), { timeout: 30_000 }).toBeGreaterThanOrEqual(archiveDelivered + archivedNow);
    await caughtUp(archive);
    const keysAfter = await eventKeys();
    for (const k of keysBefore) expect(keysAfter).toContain(k);

    // The status page the demo prints agrees with the servers.
    const arrived = (await (await fetch(`${runtime.url}/_local/sinks`)).json()) as SinksArrived;
    expect(arrived.s3.bucket).toBe(DEMO_BUCKET);
    expect(arrived.s3.objects).toBe(keysAfter.length);
    expect(arrived.webhook.batches).toBe(sinks.webhook.received.length);
    expect(arrived.webhook.distinctEvents).toBeGreaterThanOrEqual(resumedTo);
    const object = await fetch(`${runtime.url}/_local/sinks/s3/${keysAfter[0].split("/").map(encodeURIComponent).join("/")}`);
    expect(object.status).toBe(200);
    const lines = (await object.text()).split("\n").filter((l) => l.length > 0);
    expect(lines.length).toBeGreaterThan(0);
    expect(typeof (JSON.parse(lines[0]) as { seq?: unknown }).seq).toBe("number");

    await finish(page, "sinks-admin");
  });

  test("a failing receiver shows as retrying with its last error (code, HTTP status), then recovers", async () => {
    const page = await open("root");
    const siem = card(page, "siem");
    await caughtUp(siem);
    // The same receiver behind a proxy that answers 500 until told otherwise; configure keeps the cursor.
    const proxy = await startFaultProxy(new URL(sinks.webhook.url).origin);
    try {
      proxy.plan(() => "fail500");
      const retarget = (url: string) =>
        runtime.run((c) => c.t.mutation(internal.sinks.configure, { name: "siem", target: { kind: "webhook", url, requireAck: true } }));
      await retarget(`${proxy.url}/audit`);
      await page.getByTestId("generate-login").click();
      await expect.poll(() => attr(siem, "data-status"), { timeout: 20_000 }).toBe("retrying");
      const error = siem.getByTestId("sink-last-error");
      await error.waitFor({ timeout: 10_000 });
      expect(await error.getAttribute("data-code")).not.toBe("");
      expect(await error.textContent()).toContain("HTTP 500");
      expect(await num(siem, "data-failures")).toBeGreaterThan(0);
      expect(await num(siem, "data-lag-events")).toBeGreaterThan(0);
      await page.getByTestId("panel-sinks").screenshot({ path: join(shots, "sinks-retrying.png") });
      // The receiver answers again: the retry delivers, and the sink is active with nothing left.
      proxy.plan(() => "pass");
      await caughtUp(siem);
      expect(proxy.log.some((r) => r.fault === "pass" && r.upstream === 200)).toBe(true);
      await retarget(sinks.webhook.url);
    } finally {
      await proxy.close();
    }
    await finish(page, "sinks-recovered");
  });

  test("a backfill past the cursor is refused in the panel, not sent", async () => {
    const page = await open("root");
    const siem = card(page, "siem");
    await siem.waitFor({ timeout: 15_000 });
    const next = await num(siem, "data-next-seq");
    await siem.getByTestId("sink-backfill-from").fill(String(next + 1000));
    expect(await siem.getByTestId("sink-backfill").isDisabled()).toBe(true);
    await siem.getByTestId("sink-backfill-invalid").waitFor({ timeout: 5_000 });
    await siem.getByTestId("sink-backfill-from").fill("abc");
    expect(await siem.getByTestId("sink-backfill").isDisabled()).toBe(true);
    await finish(page, "sinks-bad-backfill");
  });

  test("only admins see the sinks: a plain user's panel says why", async () => {
    const page = await open("ada");
    const panel = page.getByTestId("panel-sinks");
    await expect.poll(() => panel.getByTestId("audit-query-error").getAttribute("data-code"), { timeout: 15_000 }).toBe("FORBIDDEN");
    expect(await panel.getByTestId("sink").count()).toBe(0);
    await finish(page, "sinks-plain-user");
  });
});
