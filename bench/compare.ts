/**
 * `node --import tsx bench/compare.ts A.json B.json`: whether two bench
 * results have the same figures, scenario by scenario (exit 1 if not). Made
 * to check that the fast index changes no figure: run the bench twice with
 * `--fixed-clock`, once with `--exact-runtime`, and compare.
 */
import { readFileSync } from "node:fs";

const FIELDS = [
  "name",
  "documentsRead",
  "bytesRead",
  "documentsWritten",
  "bytesWritten",
  "databaseQueries",
  "rows",
  "correct",
  "target",
  "pass",
  "note",
] as const;

type Results = { events: number; targets: unknown; scenarios: Array<Record<string, unknown>> };

const [fileA, fileB] = process.argv.slice(2);
if (!fileA || !fileB) {
  console.error("usage: node --import tsx bench/compare.ts A.json B.json");
  process.exit(2);
}
const a = JSON.parse(readFileSync(fileA, "utf8")) as Results;
const b = JSON.parse(readFileSync(fileB, "utf8")) as Results;
// CPU timings differ from run to run by nature; only counted figures are compared.
const counted = (r: Results) => r.scenarios.filter((s) => !String(s.name).startsWith("cpu_"));
const sa = counted(a);
const sb = counted(b);

const diffs: string[] = [];
if (a.events !== b.events) diffs.push(`events: ${a.events} vs ${b.events}`);
if (JSON.stringify(a.targets) !== JSON.stringify(b.targets)) diffs.push("query targets differ");
if (sa.length !== sb.length) diffs.push(`scenario count: ${sa.length} vs ${sb.length}`);
for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
  for (const f of FIELDS) {
    if (JSON.stringify(sa[i][f]) !== JSON.stringify(sb[i][f])) {
      diffs.push(`${String(sa[i].name)}.${f}: ${JSON.stringify(sa[i][f])} vs ${JSON.stringify(sb[i][f])}`);
    }
  }
}
console.log(`${sa.length} scenarios, ${FIELDS.length} fields each: ${diffs.length === 0 ? "identical" : `${diffs.length} difference(s)`}`);
for (const d of diffs) console.log(`  ${d}`);
process.exitCode = diffs.length === 0 ? 0 : 1;
