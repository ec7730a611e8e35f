/**
 * Prints a results file as Markdown tables, so READMEs quote the committed
 * figures rather than numbers copied by hand:
 *   node --import tsx bench/table.ts [bench/results.json]
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

type Row = {
  name: string;
  documentsRead: number;
  bytesRead: number;
  documentsWritten: number;
  bytesWritten?: number;
  rows: number;
  correct: boolean;
  target?: string;
  pass?: boolean;
  microseconds?: number;
  minMicroseconds?: number;
  note?: string;
  /** Delivery rows (delivery.ts) add these. */
  delivered?: number;
  lost?: number;
  duplicateObjects?: number;
  documentsReadPerEvent?: number;
  bytesSentPerEvent?: number;
  batches?: number;
  requests?: number;
  totalsDocumentsRead?: number;
};

const file = process.argv[2] ?? resolve(dirname(fileURLToPath(import.meta.url)), "results.json");
const results = JSON.parse(readFileSync(file, "utf8")) as { events: number; scenarios: Row[] };
const db = results.scenarios.filter((s) => s.microseconds === undefined);
const cpu = results.scenarios.filter((s) => s.microseconds !== undefined);

console.log(`${results.events.toLocaleString("en")} events:\n`);
console.log("| scenario | docs read | bytes read | docs written | bytes written | rows | correct | target | result |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: | :---: | --- | :---: |");
for (const s of db) {
  console.log(
    `| \`${s.name}\` | ${s.documentsRead} | ${s.bytesRead} | ${s.documentsWritten} | ${s.bytesWritten ?? ""} | ${s.rows} | ` +
      `${s.correct ? "yes" : "**no**"} | ${s.target ?? ""} | ${s.pass ? "PASS" : "**FAIL**"} |`,
  );
}
const delivery = db.filter((s) => s.delivered !== undefined);
if (delivery.length > 0) {
  console.log("\n| delivery scenario | delivered | lost | duplicates | docs read per event | bytes sent per event | batches | requests | sink's own totals.documentsRead | result |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |");
  for (const s of delivery) {
    console.log(
      `| \`${s.name}\` | ${s.delivered} | ${s.lost} | ${s.duplicateObjects} | ${s.documentsReadPerEvent} | ${s.bytesSentPerEvent} | ` +
        `${s.batches} | ${s.requests} | ${s.totalsDocumentsRead ?? ""} | ${s.pass ? "PASS" : "**FAIL**"} |`,
    );
  }
}
if (cpu.length > 0) {
  console.log("\n| CPU scenario (plain Node) | µs per event (median) | µs (fastest run) | correct | what |");
  console.log("| --- | ---: | ---: | :---: | --- |");
  for (const s of cpu) {
    console.log(`| \`${s.name}\` | ${s.microseconds} | ${s.minMicroseconds ?? ""} | ${s.correct ? "yes" : "**no**"} | ${s.note ?? ""} |`);
  }
}
