/**
 * A small CSV writer: RFC 4180 quoting, CRLF line endings, and
 * formula-injection neutralisation for spreadsheets.
 *
 * Pure string work with no Node API, so it runs in Convex's runtime. It
 * writes one row at a time: a large export never holds more than its current
 * part in memory.
 */

export const CRLF = "\r\n";

/** The UTF-8 byte order mark. Excel needs it to read a CSV as UTF-8; most other tools ignore it. */
export const UTF8_BOM = "\uFEFF";

/**
 * Characters a spreadsheet (Excel, LibreOffice, Google Sheets) may read as
 * the start of a formula, so a cell like `=HYPERLINK(...)` logged by an
 * attacker would run when an auditor opens the report (OWASP "CSV
 * Injection"): the ASCII four, their full-width and small forms, which some
 * spreadsheets fold to ASCII, and the minus sign U+2212. Tab and CR are on
 * the list because some importers strip them and then see what is behind.
 */
export const FORMULA_TRIGGERS = [
  "=", "+", "-", "@", "\t", "\r",
  "\uFF1D", "\uFF0B", "\uFF0D", "\uFF20", "\u2212", "\uFE66", "\uFE62", "\uFE63",
] as const;
const TRIGGERS = new Set<string>(FORMULA_TRIGGERS);

/** What an importer may skip before it reads a cell: Unicode white space and invisible format characters (a BOM, zero-width spaces, bidi marks). */
const SKIPPED = /^[\s\p{Cf}]*/u;

/**
 * Prefixes a cell with an apostrophe, which spreadsheets show as text, when
 * its first significant character (after any white space and format
 * characters) is a formula trigger, or it starts with one.
 */
export function neutralizeFormula(cell: string): string {
  if (cell.length === 0) return cell;
  if (TRIGGERS.has(cell[0])) return `'${cell}`;
  const first = cell[SKIPPED.exec(cell)![0].length];
  return first !== undefined && TRIGGERS.has(first) ? `'${cell}` : cell;
}

const NEEDS_QUOTES = /[",\r\n]/;

/** RFC 4180: a field with a comma, a double quote, CR or LF is quoted, and its quotes doubled. */
export function quoteField(cell: string): string {
  return NEEDS_QUOTES.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

/** One CSV cell as written: neutralised, then quoted if it needs it. */
export function csvCell(cell: string): string {
  return quoteField(neutralizeFormula(cell));
}

/** One record, CRLF-terminated. */
export function csvRow(cells: readonly string[]): string {
  let out = "";
  for (let i = 0; i < cells.length; i++) {
    if (i > 0) out += ",";
    out += csvCell(cells[i]);
  }
  return out + CRLF;
}

