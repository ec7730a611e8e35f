/**
 * The in-memory model the component's answers are checked against: a plain
 * filter and sort over every seeded row, written independently of the
 * component's index and cursor logic so a shared mistake is unlikely.
 */
import type { Row } from "../dev/workload.js";

export type Window = { fromTimestamp?: number; toTimestamp?: number };

export class Model {
  readonly rows: Row[] = [];
  readonly ids: string[] = [];

  add(row: Row, id: string): void {
    this.rows.push(row);
    this.ids.push(id);
  }

  /**
   * Ids of matching rows, newest first. Ties on `timestamp` go to the later
   * insert: the indexes end with `_creationTime`, which grows with insertion
   * order.
   */
  expected(match: (row: Row) => boolean, window: Window = {}): string[] {
    const hits: number[] = [];
    const { fromTimestamp: from, toTimestamp: to } = window;
    for (let i = 0; i < this.rows.length; i++) {
      const row = this.rows[i];
      if (from !== undefined && row.timestamp < from) continue;
      if (to !== undefined && row.timestamp > to) continue;
      if (match(row)) hits.push(i);
    }
    hits.sort((a, b) => this.rows[b].timestamp - this.rows[a].timestamp || b - a);
    return hits.map((i) => this.ids[i]);
  }

  /** How many rows share each key, for picking typical and heavy query targets. */
  countBy(key: (row: Row) => string | undefined): Map<string, number> {
    const counts = new Map<string, number>();
    for (const row of this.rows) {
      const k = key(row);
      if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    return counts;
  }
}
