/**
 * A strict RFC 4180 reader for tests and the benchmark: CRLF records, quoted
 * fields with doubled quotes, and an error on anything else. Written apart
 * from src/shared/csv.ts on purpose: it checks that writer, so it must not
 * share its code.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < text.length; ) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 2;
      } else if (ch === '"') {
        quoted = false;
        i++;
        if (i < text.length && text[i] !== "," && text[i] !== "\r") throw new Error(`text after a closing quote at ${i}`);
      } else {
        cell += ch;
        i++;
      }
    } else if (ch === '"') {
      if (cell !== "" || wasQuoted) throw new Error(`quote in a plain field at ${i}`);
      quoted = wasQuoted = true;
      i++;
    } else if (ch === ",") {
      row.push(cell);
      cell = "";
      wasQuoted = false;
      i++;
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      wasQuoted = false;
      i += 2;
    } else if (ch === "\r" || ch === "\n") {
      throw new Error(`bare line break at ${i}`);
    } else {
      cell += ch;
      i++;
    }
  }
  if (quoted || cell !== "" || row.length > 0 || wasQuoted) throw new Error("the last record is not complete");
  return rows;
}
