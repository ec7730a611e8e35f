/**
 * The example app on convex-test for the delivery tests: a log of events
 * over a few days and tenants, sealed and checkpointed, sinks configured
 * through the app's own `sinks.configure` (credentials from the app's
 * environment), and a wait for a sink to catch up while its loop runs on
 * real timers against real servers.
 */
import { convexTest } from "convex-test";
import type { FunctionReference } from "convex/server";
import auditLogComponent from "../../src/test.js";
import schema from "../../example/convex/schema.js";
import { components, internal } from "../../example/convex/_generated/api.js";
import { generateKey } from "../../src/shared/note.js";
import type { SinkStatus, SinkTarget } from "../../src/shared/delivery.js";
import type { EventInput } from "../../src/shared/validators.js";

const modules = import.meta.glob("../../example/convex/**/*.ts");

export const SIGNING = generateKey("test.convex-audit-log/delivery", new Uint8Array(32).fill(3));
export const DAY = 86_400_000;
export const T0 = Date.UTC(2026, 4, 28, 6);

export type Harness = ReturnType<typeof harness>;

/** Sets the app's environment: the signing key and every sink's credentials (one JSON variable, as the example reads it). */
export function setEnv(credentials: Record<string, unknown>) {
  process.env.AUDIT_LOG_SIGNING_KEY = SIGNING.signer;
  process.env.AUDIT_SINK_CREDENTIALS = JSON.stringify(credentials);
}

/** `n` events from `seed`: three tenants (and some with none), a handful of actions, over `days` days. */
export function events(n: number, seed = 1, days = 3, start = T0): EventInput[] {
  let x = seed * 7919 + 1;
  const rnd = () => ((x = (x * 48271) % 2147483647) / 2147483647);
  const actions = ["user.login", "record.viewed", "record.updated", "user.login.failed", "api_key.created", "member.added", "document.shared"];
  const tenants = ["acme", "globex", "initech", undefined];
  return Array.from({ length: n }, (_, i) => {
    const tenantId = tenants[Math.floor(rnd() * tenants.length)];
    return {
      action: actions[Math.floor(rnd() * actions.length)],
      actorId: `user_${Math.floor(rnd() * 9)}`,
      ...(tenantId !== undefined ? { tenantId } : {}),
      resourceType: "document",
      resourceId: `doc_${i % 11}`,
      timestamp: start + Math.floor((i / n) * days * DAY),
      metadata: { i },
    } as EventInput;
  });
}

export function harness() {
  const t = convexTest({ schema, modules, transactionLimits: true });
  auditLogComponent.register(t);
  const api = components.auditLog;

  async function log(list: EventInput[]) {
    for (let i = 0; i < list.length; i += 200) await t.mutation(api.log.logBulk, { events: list.slice(i, i + 200), options: {} });
  }
  async function sealAll() {
    for (;;) if ((await t.mutation(api.integrity.seal, { settleMs: 0 })).caughtUp) return;
  }
  async function checkpoint() {
    await t.mutation(internal.integrity.checkpoint, {});
  }
  async function configure(args: { name: string; target: SinkTarget; format?: "event" | "ocsf" | "otlp"; batchEvents?: number; retry?: { baseMs?: number; maxMs?: number; maxAttempts?: number }; timeoutMs?: number; withCredentials?: boolean; fromSeq?: number }) {
    return await t.mutation(internal.sinks.configure, args);
  }
  async function status(name: string): Promise<SinkStatus> {
    const s = await t.query(api.sinks.get, { name });
    if (s === null) throw new Error(`no sink ${name}`);
    return s;
  }
  /**
   * Waits until the sink has delivered everything sealed and rests (or
   * stopped: failed or paused), starting a step when its loop rests with
   * work left, as the cron would. Gives up after `ms`.
   */
  async function settle(name: string, ms = 20_000): Promise<SinkStatus> {
    const until = Date.now() + ms;
    let polls = 0;
    for (;;) {
      const s = await status(name);
      if (s.status === "failed" || s.status === "paused") return s;
      if (!s.stepPending) {
        if (s.lagEvents === 0) return s;
        await t.mutation(api.sinks.deliver, { name });
      } else if (++polls % 20 === 0) await runOverdueStep(name);
      if (Date.now() > until) throw new Error(`sink ${name} did not settle: ${JSON.stringify(s)}; its step: ${JSON.stringify(await stepOf(name))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  /**
   * convex-test starts a scheduled function on a timer set when it is
   * scheduled, not when the scheduling transaction commits; under load the
   * timer can fire first, find no job, and drop it, leaving it `pending`
   * for ever (a deployment starts it after the commit). A step still
   * pending two seconds after its time is run here, as the scheduler would
   * have run it.
   */
  async function runOverdueStep(name: string) {
    const step = (await stepOf(name)) as { job: { name: string; args: [{ sinkId: string; seq: number }]; scheduledTime: number; state: { kind: string } } | null } | null;
    const job = step?.job;
    if (job == null || job.state.kind !== "pending" || job.scheduledTime > Date.now() - 2000) return;
    const internalApi = api as unknown as { sinks: Record<string, FunctionReference<"action" | "mutation", "internal">> };
    if (job.name === "sinks:deliverStep") await t.action(internalApi.sinks.deliverStep as FunctionReference<"action", "internal">, job.args[0]);
    else await t.mutation(internalApi.sinks.mirrorStep as FunctionReference<"mutation", "internal">, job.args[0]);
  }
  /** The scheduled function of a sink's pending step, as the component's scheduler holds it. */
  async function stepOf(name: string): Promise<unknown> {
    return await (t as unknown as { runInComponent: (n: string, f: (ctx: never) => Promise<unknown>) => Promise<unknown> }).runInComponent(
      "auditLog",
      async (ctx: { db: { query: (t: string) => { collect: () => Promise<Array<{ name: string; job?: string; seq: number }>> }; system: { get: (id: string) => Promise<unknown> } } }) => {
        const sink = (await ctx.db.query("sinks").collect()).find((x) => x.name === name);
        return sink?.job === undefined ? null : { seq: sink.seq, job: await ctx.db.system.get(sink.job) };
      },
    );
  }
  return { t, api, log, sealAll, checkpoint, configure, status, settle };
}
