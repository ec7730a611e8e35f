/**
 * `npm run demo:export -- --events N --out DIR`: the export contract end to
 * end on the local runtime. Logs N varied events (the bench's workload),
 * seals them all, signs a checkpoint covering every one, exports the log
 * with `exportReport({ format: "sealed" })`, and writes
 *
 *   DIR/events.jsonl       one line per leaf (seq, leafHash, the event)
 *   DIR/checkpoints.jsonl  {"size", "note"} per checkpoint, smallest first
 *   DIR/verifier.key       the note verifier key
 *
 * then `npx convex-audit-log verify --events DIR/events.jsonl --checkpoints
 * DIR/checkpoints.jsonl --key DIR/verifier.key` checks them. `--key FILE`
 * signs with a signer key from a file (default: a new one, printed).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { webcrypto } from "node:crypto";
import { AuditLog, generateKey, parseSignerKey } from "convex-audit-log";
import { generate, toInput } from "../../dev/workload.js";
import { components } from "../convex/_generated/api.js";
import { checkpointLine } from "../../src/shared/sealedExport.js";
import { createLocalConvex } from "./runtime.js";

function parse(argv: string[]) {
  const out = { events: 1000, out: "audit-export", key: undefined as string | undefined, seed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    const value = () => inline ?? argv[++i] ?? (() => { throw new Error(`${flag} needs a value`); })();
    if (flag === "--events") out.events = Number(value().replace(/[_,]/g, ""));
    else if (flag === "--out") out.out = value();
    else if (flag === "--key") out.key = value();
    else if (flag === "--seed") out.seed = Number(value());
    else throw new Error(`unknown argument ${argv[i]} (use --events N, --out DIR, --key FILE, --seed S)`);
  }
  if (!Number.isInteger(out.events) || out.events < 1) throw new Error("--events takes a whole number ≥ 1");
  return out;
}

async function main() {
  const cli = parse(process.argv.slice(2));
  let signer: string;
  let verifier: string;
  if (cli.key !== undefined) {
    signer = readFileSync(cli.key, "utf8").trim();
    const k = parseSignerKey(signer);
    if (k === null) throw new Error(`${cli.key} holds no note signer key (npx convex-audit-log keygen makes one)`);
    verifier = k.verifier.text;
  } else {
    ({ signer, verifier } = generateKey("demo.convex-audit-log.local", webcrypto.getRandomValues(new Uint8Array(32))));
  }
  const log = new AuditLog(components.auditLog, { integrity: { signingKey: signer, personalFields: ["metadata.email"] } });
  const { t } = createLocalConvex();
  const started = Date.now();

  const w = generate(cli.events, cli.seed);
  for (let i = 0; i < w.rows.length; i += 500) {
    const batch = w.rows.slice(i, i + 500).map((row, j) => toInput(w, row, i + j));
    await t.run((ctx) => ctx.runMutation(components.auditLog.log.logBulk, { events: batch }));
  }
  // settleMs 0: every transaction here holds convex-test's lock, so no logging mutation is still open.
  let sealed = 0;
  for (;;) {
    const r = await t.run((ctx) => log.seal(ctx, { settleMs: 0 }));
    sealed += r.sealed;
    if (r.caughtUp) break;
  }
  const cp = await t.run((ctx) => log.checkpoint(ctx));
  console.log(`logged ${cli.events} events, sealed ${sealed}, checkpoint size ${cp.size}`);

  const jobId = await t.run((ctx) => log.exportReport(ctx, { format: "sealed", startDate: 0, endDate: Date.now() }));
  // The export's steps are scheduled functions: let each one finish before looking (a look
  // that overlapped a step's file write would be a transaction around it).
  let job = null;
  for (;;) {
    await new Promise((r) => setTimeout(r, 20));
    await t.finishInProgressScheduledFunctions();
    job = await t.run((ctx) => log.getReportExport(ctx, { jobId }));
    if (job === null || job.status !== "running") break;
  }
  if (job === null || job.status !== "done") throw new Error(`the export ended ${job?.status}: ${job?.error?.message ?? ""}`);
  const parts: string[] = [];
  for (let part = 0; part < job.files.length; part++) {
    const bytes = await t.action(async (ctx) => await log.readReportPart(ctx, { jobId, part }));
    parts.push(new TextDecoder().decode(bytes!));
  }
  let checkpoints = "";
  for (let cursor: string | null = null; ; ) {
    const page: { page: { size: number; note: string }[]; isDone: boolean; continueCursor: string } = await t.run((ctx) =>
      log.checkpoints(ctx, { paginationOpts: { numItems: 1000, cursor } }),
    );
    checkpoints += page.page.filter((c) => c.size <= cp.size).map(checkpointLine).join("");
    if (page.isDone) break;
    cursor = page.continueCursor;
  }
  mkdirSync(cli.out, { recursive: true });
  writeFileSync(join(cli.out, "events.jsonl"), parts.join(""));
  writeFileSync(join(cli.out, "checkpoints.jsonl"), checkpoints);
  writeFileSync(join(cli.out, "verifier.key"), verifier + "\n");
  console.log(`wrote ${join(cli.out, "events.jsonl")} (${job.rowsWritten} leaves), checkpoints.jsonl, verifier.key in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`check it: npx convex-audit-log verify --events ${join(cli.out, "events.jsonl")} --checkpoints ${join(cli.out, "checkpoints.jsonl")} --key ${join(cli.out, "verifier.key")}`);
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
