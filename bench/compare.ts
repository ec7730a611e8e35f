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
// Scenarios are matched by name: a scenario added (or removed) between A and B is listed, not a difference.
const byName = (list: Array<Record<string, unknown>>) => new Map(list.map((s) => [String(s.name), s]));
const ma = byName(sa);
const mb = byName(sb);
const onlyA = [...ma.keys()].filter((n) => !mb.has(n));
const onlyB = [...mb.keys()].filter((n) => !ma.has(n));
const both = [...ma.keys()].filter((n) => mb.has(n));
for (const name of both) {
  const [x, y] = [ma.get(name)!, mb.get(name)!];
  for (const f of FIELDS) {
    if (JSON.stringify(x[f]) !== JSON.stringify(y[f])) diffs.push(`${name}.${f}: ${JSON.stringify(x[f])} vs ${JSON.stringify(y[f])}`);
  }
}
if (onlyA.length > 0) console.log(`only in ${fileA}: ${onlyA.join(", ")}`);
if (onlyB.length > 0) console.log(`only in ${fileB}: ${onlyB.join(", ")}`);
console.log(`${both.length} scenarios in both, ${FIELDS.length} fields each: ${diffs.length === 0 ? "identical" : `${diffs.length} difference(s)`}`);
for (const d of diffs) console.log(`  ${d}`);
process.exitCode = diffs.length === 0 ? 0 : 1;
