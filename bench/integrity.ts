/**
 * The transparency log's scenarios, each checked against a naive model (the
 * tree rebuilt from every stored event, leaf by leaf, and RFC 9162's proofs
 * made from that list):
 *
 * - `seal`: the sealing loop to completion over the seeded log; documents
 *   written per event sealed, amortised, the tiles and the state included
 *   (target ≤ 1.1); documents read per event.
 * - `prove`: one inclusion proof at the log's size (target ≤ 10 reads),
 *   equal to the model's and checked as a receipt (signature included).
 * - `verify_10k`: 10,000 leaves checked against their events through
 *   `verifyPage`, the `verify` action's page (target: each event read once,
 *   plus one level-0 tile per 256 leaves and the cursor key per page).
 *
 * Runs after the statistics and before retention (which deletes only
 * sealed events), so the reads before it see the seeded log as it was.
 */
import { AuditLog } from "../src/client/index.js";
import { eventJson, eventLeafHash, type SealInfo } from "../src/shared/leaf.js";
import { inclusionProof, nodeHash, RootBuilder, toB64, type Hash, type HashSource } from "../src/shared/merkle.js";
import { generateKey } from "../src/shared/note.js";
import { verifyReceipt } from "../src/shared/receipt.js";
import type { BenchEnv, Cost, ScenarioGroup } from "./plugins.js";
import { auditLogApi } from "./runtime.js";

const api = auditLogApi;
const zero = (): Cost => ({ documentsRead: 0, bytesRead: 0, documentsWritten: 0, bytesWritten: 0, databaseQueries: 0 });
const add = (a: Cost, b: Cost) => {
  for (const k of Object.keys(a) as (keyof Cost)[]) a[k] += b[k];
};
const VERIFY = 10_000;

// The component's tables, read directly for the model (convex-test's runInComponent, untyped in its .d.ts).
type Range = { eq(f: string, v: unknown): Range; gte(f: string, v: unknown): Range; lt(f: string, v: unknown): Range };
type Db = { query(table: string): { withIndex(index: string, f: (q: Range) => Range): { collect(): Promise<unknown[]>; first(): Promise<unknown> } } };
function inComponent<R>(t: BenchEnv["t"], fn: (db: Db) => Promise<R>): Promise<R> {
  const run = (t as unknown as { runInComponent(name: string, f: (ctx: { db: Db }) => Promise<R>): Promise<R> }).runInComponent;
  return run("auditLog", (ctx) => fn(ctx.db));
}

export const integrityScenarios: ScenarioGroup = {
  name: "integrity",
  run: async (env: BenchEnv) => {
    const { t, measure, record } = env;
    const key = generateKey("bench.convex-audit-log/log", new Uint8Array(32).fill(7));
    const log = new AuditLog(api, { integrity: { signingKey: key.signer } });

    // 1. Seal everything, step by step as the loop does (the cron's step size).
    await new Promise((r) => setTimeout(r, 5));
    const sealCost = zero();
    let sealed = 0;
    let steps = 0;
    let maxStepWrites = 0;
    for (;;) {
      const { result, cost } = await measure((ctx) => ctx.runMutation(api.integrity.seal, { settleMs: 0 }));
      add(sealCost, cost);
      sealed += result.sealed;
      steps++;
      maxStepWrites = Math.max(maxStepWrites, cost.documentsWritten);
      if (result.caughtUp) break;
    }
    // The model: every stored event, by seq, hashed again; the root of that list.
    const leaves: Hash[] = [];
    const ids: string[] = [];
    let modelOk = true;
    for (let from = 0; from < sealed; from += 4000) {
      const docs = (await inComponent(t, (db) =>
        db.query("events").withIndex("by_seq", (q) => q.gte("seq", from).lt("seq", from + 4000)).collect(),
      )) as Array<Record<string, unknown> & { seq: number; seal: SealInfo; _id: string }>;
      for (const d of docs) {
        if (d.seq !== leaves.length) modelOk = false;
        const h = eventLeafHash(eventJson(d), d.seal);
        if (h === null) modelOk = false;
        leaves.push(h ?? new Uint8Array(32));
        ids.push(d._id);
      }
    }
    const b = new RootBuilder();
    for (const l of leaves) b.push(l);
    const status = await t.run((ctx) => ctx.runQuery(api.integrity.status, {}));
    const unsealed = await inComponent(t, (db) => db.query("events").withIndex("by_seq", (q) => q.eq("seq", undefined)).first());
    const sealOk = modelOk && unsealed === null && leaves.length === sealed && status.size === sealed && status.root === toB64(b.root());
    const per = (n: number) => (n / Math.max(1, sealed)).toFixed(3);
    record(
      "seal",
      sealCost,
      sealed,
      sealOk,
      { text: "documents written per event sealed ≤ 1.1 (tiles and state included)", met: (s) => s.rows > 0 && s.documentsWritten <= 1.1 * s.rows },
      `${steps} steps of ≤ 2,000 events: per event sealed ${per(sealCost.documentsWritten)} docs written (the event's patch, ` +
        `${(sealCost.documentsWritten - sealed).toLocaleString("en")} tile and state writes in all), ${per(sealCost.documentsRead)} docs read, ` +
        `${per(sealCost.bytesWritten)} bytes written; largest step wrote ${maxStepWrites} docs; root equal to the model's (every event hashed again)`,
    );

    // 2. One receipt at the full size, against a checkpoint covering everything.
    await t.run((ctx) => log.checkpoint(ctx));
    const memo = new Map<string, Hash>();
    const src: HashSource = (level, index) => {
      const k = `${level}/${index}`;
      let h = memo.get(k);
      if (h === undefined) {
        h = level === 0 ? leaves[index] : nodeHash(src(level - 1, 2 * index), src(level - 1, 2 * index + 1));
        memo.set(k, h);
      }
      return h;
    };
    const seq = Math.floor(sealed * 0.37);
    const { result: receipt, cost: proveCost } = await measure((ctx) => ctx.runQuery(api.integrity.proveEvent, { eventId: ids[seq] }));
    const want = inclusionProof(src, seq, sealed).map(toB64);
    const proveOk = receipt.seq === seq && receipt.checkpoint.size === sealed && JSON.stringify(receipt.proof) === JSON.stringify(want) && verifyReceipt(receipt, [key.verifier]).ok;
    record(
      "prove",
      proveCost,
      1,
      proveOk,
      { text: "reads ≤ 10", met: (s) => s.documentsRead <= 10 },
      `leaf ${seq.toLocaleString("en")} of ${sealed.toLocaleString("en")}: ${receipt.proof.length} hashes, equal to the model's; the event, the checkpoint, the state (verifier keys) and ${proveCost.documentsRead - 3} tiles; receipt checked (signature included)`,
    );

    // 3. 10,000 leaves against their events, page by page.
    const from = Math.max(0, Math.floor(sealed / 2) - VERIFY / 2);
    const to = Math.min(sealed, from + VERIFY);
    const verifyCost = zero();
    let checked = 0;
    let problems = 0;
    let pages = 0;
    for (let at = from; at < to; ) {
      const { result, cost } = await measure((ctx) => ctx.runQuery(api.integrity.verifyPage, { fromSeq: at, toSeq: to }));
      add(verifyCost, cost);
      checked += result.checked;
      problems += result.modified.length + result.absent.length;
      at = result.next;
      pages++;
    }
    const n = to - from;
    const tiles = Math.ceil(n / 256) + pages;
    record(
      "verify_10k",
      verifyCost,
      checked,
      checked === n && problems === 0,
      { text: "reads ≤ events + one tile per 256 + 1 per page", met: (s) => s.documentsRead <= s.rows + tiles },
      `seq ${from.toLocaleString("en")}–${(to - 1).toLocaleString("en")} in ${pages} pages: ${verifyCost.documentsRead.toLocaleString("en")} reads for ${checked.toLocaleString("en")} events (each once, and the level-0 tiles), none modified or missing`,
    );
  },
};
