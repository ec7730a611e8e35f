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
 * Leading characters a spreadsheet (Excel, LibreOffice, Google Sheets) may
 * read as the start of a formula, so a cell like `=HYPERLINK(...)` logged by
 * an attacker would run when an auditor opens the report (OWASP "CSV
 * Injection"). Tab and CR are on the list because some importers strip them
 * and then see the formula character behind them.
 */
export const FORMULA_TRIGGERS = ["=", "+", "-", "@", "\t", "\r"] as const;

/** Prefixes a cell that starts with a formula trigger with an apostrophe, which spreadsheets show as text. */
export function neutralizeFormula(cell: string): string {
  return cell.length > 0 && (FORMULA_TRIGGERS as readonly string[]).includes(cell[0]) ? `'${cell}` : cell;
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

